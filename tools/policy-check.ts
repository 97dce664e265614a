import { exitAfterFlush } from "./exit";
import { reportError } from "./plan/errors";
import { runPolicyCheck } from "./run-policy-check";

runPolicyCheck(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => exitAfterFlush(reportError(error, undefined)),
);
