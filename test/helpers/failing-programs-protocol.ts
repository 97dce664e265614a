/**
 * What test/helpers/failing-programs.ts (a script: importing it runs it) is given and prints, for
 * test/plan-errors.test.ts.
 */

/** A program file planned against the dev stack's config, or the plan CLI's argv. */
export type FailingProgramItem = { program: string } | { cli: string[] };

/** One item's outcome, as the runner prints it (one JSON line each). */
export interface FailingProgramResult {
  index: number;
  /** The exit code the plan CLI would end with (reportError's, or runPlan's). */
  status: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The marker of a result line on stdout: anything else there was written outside every item. */
export const RESULT_PREFIX = "failing-program-result ";
