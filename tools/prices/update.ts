/**
 * `npm run prices:update`: refreshes cost/prices.json from the AWS Price List API with the
 * caller's AWS credentials (docs/cost.md). Its code is run-update.ts.
 */
import { exitAfterFlush } from "../exit";
import { reportUpdateError, runPricesUpdate } from "./run-update";

runPricesUpdate(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => exitAfterFlush(reportUpdateError(error)),
);
