/** Exit codes of the plan CLI (and policy:check): what a script or CI step can tell apart. */
export const EXIT = {
  /** Planned; no mandatory policy violation. */
  planned: 0,
  /** A mandatory policy is violated. */
  policy: 1,
  /** Invalid configuration or usage: a bad flag, an unknown stack, a broken stack file, bad values. */
  usage: 2,
  /** The plan could not run: an error inside the program or the tool (or, with --check-reachability, an unreachable Pi). */
  internal: 3,
} as const;

/** A mistake in how the tool was called or in the files it was pointed at: exit 2, one line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
