import { exitAfterFlush } from "../exit";
import { report, runPlan } from "./run";

runPlan(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => exitAfterFlush(report(error, undefined)),
);
