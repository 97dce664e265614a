import { EdgeUnreachableError } from "../../components/edge/reachability";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError } from "../../config";
import { ownMessage } from "./program-errors";

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

/**
 * A command line's flags, strictly (an unknown flag or a missing value is a UsageError naming the
 * command's --help), for the CLIs that answer every mistake with exit 2 and one line.
 */
export function parseCliFlags<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  command: string,
) {
  try {
    return parseArgs({ args: argv, options, strict: true }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (npm run ${command} -- --help)`);
  }
}

/** As parseCliFlags, for a command that also takes operands (`policy:check FILE.json`): its flags and its positionals. */
export function parseCliArgs<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  command: string,
) {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { values, positionals };
  } catch (error) {
    // Node's advice for an operand that starts with "-" would only confuse: the command takes none such.
    const message = ((error as Error).message.split("\n")[0] ?? "").replace(
      /\. To specify a positional argument.*$/,
      "",
    );
    throw new UsageError(`${message} (npm run ${command} -- --help)`);
  }
}

/** One line per error (the problems of a config error each on their own), the exit code by kind. */
export function reportError(
  error: unknown,
  stack: string | undefined,
  write: (line: string) => void = console.error,
): number {
  const prefix = stack ? `Stack ${stack}: ` : "";
  const debug = process.env.DEBUG === "1" && error instanceof Error && error.stack ? `\n${error.stack}` : "";
  if (error instanceof ConfigError || error instanceof UsageError) {
    write(`${prefix}${ownMessage(error)}${debug}`);
    return EXIT.usage;
  }
  if (error instanceof EdgeUnreachableError) {
    write(`${prefix}${ownMessage(error)}${debug}`);
    return EXIT.internal;
  }
  // An error inside the program: its own message, whichever way the SDK delivered it (program-errors.ts).
  const message = ownMessage(error).split("\n")[0];
  write(`${prefix}error: ${message}${debug || " (DEBUG=1 for the stack trace)"}`);
  return EXIT.internal;
}
