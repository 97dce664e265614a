import * as fs from "node:fs";
import * as path from "node:path";
import { runPlanInProcess, STACKS, type PlanRun } from "./program";

/**
 * A cloud stack's text plan (`npm run plan -- --stack NAME`: its lines and exit code), planned in
 * this process once and shared: several test files read the same text plan (the tree, the cost
 * table, the header). Memoised per process and, under `npm test`, across the run's files through
 * PLATFORM_PLAN_CACHE (written once, atomically by rename), as planFor does for the JSON plan.
 */
const plans = new Map<string, PlanRun>();

export function textPlanFor(stack: (typeof STACKS)[number]): PlanRun {
  const cached = plans.get(stack);
  if (cached) return cached;
  const dir = process.env.PLATFORM_PLAN_CACHE;
  const shared = dir ? path.join(dir, `text-plan-${stack}.json`) : undefined;
  let run: PlanRun;
  if (shared && fs.existsSync(shared)) run = JSON.parse(fs.readFileSync(shared, "utf8")) as PlanRun;
  else {
    run = runPlanInProcess(["--stack", stack]);
    if (shared && run.status === 0) {
      const tmp = `${shared}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(run));
      fs.renameSync(tmp, shared);
    }
  }
  plans.set(stack, run);
  return run;
}
