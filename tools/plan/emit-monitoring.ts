import type { AlertingConfig } from "../../config";
import { writeArtifact } from "./artifacts";
import { placeholderCredentials, renderAlertmanagerConfig } from "../../components/monitoring/alertmanager";
import { renderDashboards } from "../../components/monitoring/dashboards";
import { renderRuleFile, ruleGroups } from "../../components/monitoring/rules";

/**
 * Writes `monitoring/rules.yaml` (with the stack's expected Pi sites), `monitoring/dashboards/<name>.json`
 * and, given the stack's alerting, `monitoring/alertmanager.yaml` with placeholders for its credentials.
 */
export function emitMonitoring(
  dir: string,
  edgeSites: readonly string[] = [],
  alerting?: AlertingConfig,
  databaseMaxConnections?: number,
): string[] {
  return [
    writeArtifact(dir, "monitoring/rules.yaml", renderRuleFile(ruleGroups(edgeSites, { databaseMaxConnections }))),
    ...(alerting
      ? [
          writeArtifact(
            dir,
            "monitoring/alertmanager.yaml",
            renderAlertmanagerConfig(alerting, placeholderCredentials(alerting)),
          ),
        ]
      : []),
    ...Object.entries(renderDashboards()).map(([file, json]) =>
      writeArtifact(dir, `monitoring/dashboards/${file}`, json),
    ),
  ];
}
