/**
 * `npm run prices:update`: refreshes cost/prices.json from the AWS Price List API with the
 * caller's AWS credentials (docs/cost.md). The CLI is update.ts; this is its code, callable in-process.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PricingClient, type PricingClientConfig } from "@aws-sdk/client-pricing";
import { parsePrices, PRICES_FILE, type PricesFile } from "../../cost/prices";
import { EXIT, parseCliFlags, UsageError } from "../plan/errors";
import { renderPricesFile } from "./file";
import { CLASS_SECTIONS, isClassSection, USAGE_PREFIX, type ClassSection } from "./queries";
import {
  API_REGIONS,
  notYetFromPriceList,
  refreshPrices,
  RefreshError,
  renderChanges,
  type ApiRegion,
} from "./refresh";
import { type CliIo, consoleIo } from "../cli-io";

const USAGE = `usage: npm run prices:update -- [--check] [--region REGION]... [--add SECTION:NAME]...
                                [--file FILE] [--api-region REGION]

Asks the AWS Price List API (pricing:GetProducts) again for every figure of cost/prices.json
that has a query, in every region of the file, and writes the file with today's date, the API
as source, the query, the product's SKU and the price's description on each figure. The assumption
(the Spot discount) and documented zeros are kept as they are.
Credentials: the AWS SDK's default chain (AWS_PROFILE, SSO, environment, instance role); the
caller needs the IAM permission pricing:GetProducts, nothing else.
--check          report what would change, write nothing (exit 1 when a price differs)
--region REGION  also price REGION (every figure of the file's regions); repeatable
--add SECTION:NAME
                 also price a class in every region: ${CLASS_SECTIONS.map((s) => `${s}:NAME`).join(", ")}
                 (e.g. --add rdsPostgres:db.r7g.large prices it Single-AZ and Multi-AZ,
                 --add elasticache:NODE for Redis OSS and Valkey); repeatable
--file FILE      the prices file (default cost/prices.json)
--api-region R   the Price List endpoint: ${API_REGIONS.join(", ")} (default us-east-1)
Exit codes: 0 written (or --check: nothing differs), 1 --check: a price differs, 2 invalid usage,
file, credentials or permissions, 3 the Price List could not give a figure (each problem listed
with its query) or another error. DEBUG=1 adds stack traces.`;

/** Where prices:update writes: stdout (the changes, the summary, the usage) and stderr (errors). */
export type PricesUpdateIo = CliIo;

/**
 * How the Price List client is made, beyond its region: nothing for the CLI (the SDK's defaults:
 * credential chain, endpoint, retries from the environment); a test gives its loopback endpoint
 * and throwaway credentials here instead of in the process's environment.
 */
export type PricingClientOptions = Omit<PricingClientConfig, "region">;

interface Flags {
  check: boolean;
  regions: string[];
  adds: { section: ClassSection; name: string }[];
  file: string;
  apiRegion: ApiRegion;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

function parseFlags(argv: string[]): Flags | "help" {
  const values = parseCliFlags(
    argv,
    {
      check: { type: "boolean" },
      region: { type: "string", multiple: true },
      add: { type: "string", multiple: true },
      file: { type: "string" },
      "api-region": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    "prices:update",
  );
  if (values.help) return "help";
  const problems: string[] = [];
  const regions = values.region ?? [];
  for (const r of regions)
    if (!REGION.test(r)) problems.push(`--region: got "${r}"; expected an AWS region such as eu-west-1`);
    else if (!Object.hasOwn(USAGE_PREFIX, r))
      problems.push(
        `--region: ${r} has no usage-type prefix in tools/prices/queries.ts (USAGE_PREFIX; WAF's usage types need it); add it first`,
      );
  const adds = (values.add ?? []).flatMap((add) => {
    const [section = "", name = ""] = add.split(":", 2);
    if (isClassSection(section) && name) return [{ section, name }];
    problems.push(`--add: got "${add}"; expected SECTION:NAME with SECTION one of ${CLASS_SECTIONS.join(", ")}`);
    return [];
  });
  const apiRegion = values["api-region"] ?? "us-east-1";
  if (!(API_REGIONS as readonly string[]).includes(apiRegion))
    problems.push(`--api-region: got "${apiRegion}"; the Price List API answers in ${API_REGIONS.join(", ")} only`);
  if (problems.length > 0) throw new UsageError(problems.join("\n"));
  return {
    check: values.check ?? false,
    regions,
    adds,
    file: values.file ?? PRICES_FILE,
    apiRegion: apiRegion as ApiRegion,
  };
}

function readPricesFile(file: string): PricesFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`--file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  try {
    return parsePrices(text, file);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Writes through a temporary file, so an interrupted run never leaves half a prices file. */
function writeAtomically(file: string, text: string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

async function update(flags: Flags, io: PricesUpdateIo, clientOptions: PricingClientOptions): Promise<number> {
  const current = readPricesFile(flags.file);
  const today = new Date().toISOString().slice(0, 10);
  const api = new PricingClient({ ...clientOptions, region: flags.apiRegion });
  // Its kept-alive sockets closed when done: in-process (the tests), nothing is left open.
  const result = await refreshPrices({
    current,
    api,
    apiRegion: flags.apiRegion,
    today,
    addRegions: flags.regions,
    addClasses: flags.adds,
  }).finally(() => api.destroy());
  const where = path.relative(process.cwd(), flags.file) || flags.file;
  io.out(renderChanges(result.changes));
  if (flags.check) {
    const older = notYetFromPriceList(current);
    io.out(
      `${result.changes.length} of ${result.fetched} fetched figures differ from ${where} (${result.kept} kept as they are); nothing written`,
    );
    if (older.length > 0)
      io.out(`${older.length} figures in ${where} are not from the Price List yet (a refresh replaces their sources)`);
    return result.changes.length > 0 ? 1 : EXIT.planned;
  }
  writeAtomically(flags.file, renderPricesFile(result.file));
  io.out(
    `wrote ${where}: ${result.fetched} figures from the Price List dated ${today}, ${result.kept} kept as they are`,
  );
  return EXIT.planned;
}

/** SDK errors a user fixes in their own setup: missing credentials, a missing permission. */
function setupProblem(error: unknown): string | undefined {
  const name = error instanceof Error ? error.name : "";
  if (name === "CredentialsProviderError")
    return "no AWS credentials: the SDK's default chain found none (set AWS_PROFILE, run aws sso login, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)";
  if (name === "AccessDeniedException" || name === "UnrecognizedClientException" || name === "ExpiredTokenException")
    return `AWS refused the call (${name}): the credentials must be valid and allow pricing:GetProducts`;
  return undefined;
}

/** The error written through `io` (its stack with DEBUG=1), and the exit code by kind. */
export function reportUpdateError(error: unknown, io: PricesUpdateIo = consoleIo): number {
  const debug = process.env.DEBUG === "1" && error instanceof Error && error.stack ? `\n${error.stack}` : "";
  if (error instanceof UsageError) {
    io.err(`${error.message}${debug}`);
    return EXIT.usage;
  }
  const cause = setupProblem(error);
  if (cause) {
    io.err(`${cause}${debug}`);
    return EXIT.usage;
  }
  if (error instanceof RefreshError) {
    io.err(`${error.message}${debug}`);
    return EXIT.internal;
  }
  const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
  io.err(`error: ${message}${debug || " (DEBUG=1 for the stack trace)"}`);
  return EXIT.internal;
}

/**
 * `npm run prices:update` with `argv`, its lines written through `io`; resolves to the exit code.
 * The CLI (update.ts) is this with the process's streams and the SDK's default client.
 */
export async function runPricesUpdate(
  argv: string[],
  io: PricesUpdateIo = consoleIo,
  clientOptions: PricingClientOptions = {},
): Promise<number> {
  try {
    const flags = parseFlags(argv);
    if (flags === "help") {
      io.out(USAGE);
      return EXIT.planned;
    }
    return await update(flags, io, clientOptions);
  } catch (error) {
    return reportUpdateError(error, io);
  }
}
