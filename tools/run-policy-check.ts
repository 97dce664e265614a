import * as fs from "node:fs";
import { evaluatePolicies, hasMandatoryViolation, type PlanResource } from "./plan/policy";
import { EXIT, parseCliArgs, reportError, UsageError } from "./plan/errors";
import { type CliIo, consoleIo } from "./cli-io";

const USAGE = `usage: npm run policy:check -- FILE.json --stack NAME

Evaluates the policy pack (policies/), with the stack's policy configuration
(derived from Pulumi.NAME.yaml: npm run policy:config -- --stack NAME), against the resources in FILE.json: an array of
{ "type", "name", "parent", "inputs", "options" } as in the plan's --json
"resources", or an object with such a "resources" array (the plan's whole --json).
Prints {"policy": {"violations": [...]}}; no cloud call is made.
Exit codes: 0 no mandatory violation, 1 a mandatory violation, 2 usage error (a bad flag, an unknown
stack, an unreadable or malformed file), 3 another error. Errors are one line; DEBUG=1 adds the stack trace.`;

/** Where policy:check writes: stdout (the report, the usage) and stderr (errors). */
export type PolicyCheckIo = CliIo;

function readResources(file: string): PlanResource[] {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const list = Array.isArray(data) ? data : (data as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(list))
    throw new UsageError(`${file}: expected an array of resources or an object with "resources"`);
  list.forEach((r: unknown, i) => {
    const res = r as Partial<PlanResource> | null;
    if (!res || typeof res.type !== "string" || typeof res.name !== "string")
      throw new UsageError(`${file}: resource ${i} needs a string "type" and "name"`);
    if (res.inputs !== undefined && (typeof res.inputs !== "object" || res.inputs === null))
      throw new UsageError(`${file}: resource ${i} "inputs" must be an object`);
  });
  return list.map((r: PlanResource) => ({ ...r, inputs: r.inputs ?? {}, options: r.options ?? {} }));
}

/** The file and the stack to check, or "help". */
function parseFlags(argv: string[]): { file: string; stack: string } | "help" {
  const { values, positionals } = parseCliArgs(
    argv,
    { stack: { type: "string", short: "s" }, help: { type: "boolean", short: "h" } },
    "policy:check",
  );
  if (values.help) return "help";
  const problems: string[] = [];
  if (!values.stack) problems.push("--stack NAME is required");
  const [file] = positionals;
  if (file === undefined || positionals.length !== 1)
    problems.push(`expected one FILE.json (the resources to check), got ${positionals.length}`);
  if (problems.length > 0 || file === undefined || !values.stack)
    throw new UsageError(`${problems.join("; ")} (npm run policy:check -- --help)`);
  return { file, stack: values.stack };
}

/**
 * `npm run policy:check` with `argv`, its lines written through `io`; resolves to the exit code
 * (EXIT in plan/errors.ts). The CLI (policy-check.ts) is this with the process's streams; tests
 * call it in-process to skip a Node start.
 */
export async function runPolicyCheck(argv: string[], io: PolicyCheckIo = consoleIo): Promise<number> {
  try {
    const flags = parseFlags(argv);
    if (flags === "help") {
      io.out(USAGE);
      return EXIT.planned;
    }
    const report = await evaluatePolicies(readResources(flags.file), flags.stack);
    io.out(JSON.stringify({ policy: report }, null, 2));
    return hasMandatoryViolation(report) ? EXIT.policy : EXIT.planned;
  } catch (error) {
    return reportError(error, undefined, io.err);
  }
}
