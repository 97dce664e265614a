import { exitAfterFlush } from "../exit";
import { report, runPlan } from "./run";

// The SDK records a stack trace for every promise it makes (debuggablePromise), and tsx maps each
// through the TypeScript source maps: about 0.3 s of CPU per plan of prod. Only DEBUG=1 prints a
// stack trace, so only then are they mapped (nothing else in the output depends on it).
if (process.env.DEBUG !== "1") process.setSourceMapsEnabled(false);

runPlan(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => exitAfterFlush(report(error, undefined)),
);
