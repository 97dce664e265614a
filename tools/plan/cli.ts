// First, before the SDK loads: no stack traces or source maps unless DEBUG=1 (stack-traces.ts).
import "./no-stack-traces";
import { exitAfterFlush } from "../exit";
import { report, runPlan } from "./run";

runPlan(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => exitAfterFlush(report(error, undefined)),
);
