import { writeArtifact } from "../../tools/plan/artifacts";
import { renderDashboards } from "./dashboards";
import { edgeSites, type EdgeSitesSource } from "./index";
import { renderRuleFile, ruleGroups } from "./rules";

/** Writes `monitoring/rules.yaml` (with the stack's expected Pis) and `monitoring/dashboards/<name>.json` under `dir`. */
export function emitMonitoring(dir: string, config?: EdgeSitesSource): string[] {
  return [
    writeArtifact(dir, "monitoring/rules.yaml", renderRuleFile(ruleGroups(config ? edgeSites(config) : []))),
    ...Object.entries(renderDashboards()).map(([file, json]) => writeArtifact(dir, `monitoring/dashboards/${file}`, json)),
  ];
}
