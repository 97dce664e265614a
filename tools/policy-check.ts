import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { evaluatePolicies, hasMandatoryViolation, type PlanResource } from "./plan/policy";
import { exitAfterFlush } from "./exit";

const USAGE = `usage: npm run policy:check -- FILE.json --stack NAME

Evaluates the policy pack (policies/), with the stack's policy configuration
(derived from Pulumi.NAME.yaml: npm run policy:config -- --stack NAME), against the resources in FILE.json: an array of
{ "type", "name", "parent", "inputs", "options" } as in the plan's --json
"resources", or an object with such a "resources" array (the plan's whole --json).
Prints {"policy": {"violations": [...]}}; no cloud call is made.
Exit codes: 0 no mandatory violation, 1 a mandatory violation, 2 usage error.`;

export const EXIT_USAGE = 2;

class UsageError extends Error {}

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

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { stack: { type: "string", short: "s" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [file] = positionals;
  if (!values.stack || file === undefined || positionals.length !== 1) {
    console.error(USAGE);
    return EXIT_USAGE;
  }
  try {
    const report = await evaluatePolicies(readResources(file), values.stack);
    console.log(JSON.stringify({ policy: report }, null, 2));
    return hasMandatoryViolation(report) ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return EXIT_USAGE;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    exitAfterFlush(EXIT_USAGE);
  },
);
