import { writeArtifact } from "../../tools/plan/artifacts";
import { renderDashboards } from "./dashboards";
import { renderRuleFile, ruleGroups } from "./rules";

/** Writes `monitoring/rules.yaml` (with the stack's expected Pi sites) and `monitoring/dashboards/<name>.json` under `dir`. */
export function emitMonitoring(dir: string, edgeSites: readonly string[] = []): string[] {
  return [
    writeArtifact(dir, "monitoring/rules.yaml", renderRuleFile(ruleGroups(edgeSites))),
    ...Object.entries(renderDashboards()).map(([file, json]) => writeArtifact(dir, `monitoring/dashboards/${file}`, json)),
  ];
}
