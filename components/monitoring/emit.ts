import { writeArtifact } from "../../tools/plan/artifacts";
import { renderDashboards } from "./dashboards";
import { renderRuleFile } from "./rules";

/** Writes `monitoring/rules.yaml` and `monitoring/dashboards/<name>.json` under `dir`. */
export function emitMonitoring(dir: string): string[] {
  return [
    writeArtifact(dir, "monitoring/rules.yaml", renderRuleFile()),
    ...Object.entries(renderDashboards()).map(([file, json]) => writeArtifact(dir, `monitoring/dashboards/${file}`, json)),
  ];
}
