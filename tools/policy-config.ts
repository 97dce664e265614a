import * as fs from "node:fs";
import * as path from "node:path";
import { EDGE_OS_RESERVE_MB } from "../config/schema";
import type { Config, Environment } from "../config";
import { preflight, PROJECT_DIR } from "./plan/capture";
import { EXIT, parseCliFlags, reportError, UsageError } from "./plan/errors";
import type { PolicyPackConfig } from "./plan/policy";
import { readStackConfig } from "./plan/stack-config";
import { exitAfterFlush } from "./exit";

/** The thresholds people chose, per environment column (the one file the pack's config keeps). */
export const THRESHOLDS_FILE = path.join(PROJECT_DIR, "policies/config/thresholds.json");

type Thresholds = { shared: PolicyPackConfig } & Record<Environment, PolicyPackConfig>;

function readThresholds(file = THRESHOLDS_FILE): Thresholds {
  const { _comment: _, ...thresholds } = JSON.parse(fs.readFileSync(file, "utf8")) as Thresholds & {
    _comment?: string;
  };
  return thresholds;
}

/** Rules that hold only in prod: each reads the stack's environment. */
const PROD_ONLY_RULES = [
  "rds-multi-az",
  "rds-deletion-protection",
  "elasticache-high-availability",
  "stateful-resources-protected",
];

/**
 * The policy pack's configuration for a stack, from the stack's own validated config: its
 * environment (prod-only rules), its budget, region and usage assumptions (the cost rule), and for
 * an edge stack the Pi's memory (the memory budget); plus the chosen thresholds of its
 * environment column. What `pulumi preview --policy-pack-config` gets, and what the plan uses.
 */
export function policyConfigFor(config: Config, thresholds: Thresholds = readThresholds()): PolicyPackConfig {
  const environment = Object.fromEntries(PROD_ONLY_RULES.map((rule) => [rule, { environment: config.environment }]));
  const derived: PolicyPackConfig =
    config.kind === "cloud"
      ? { "monthly-cost-budget": { ...config.cost, region: config.region } }
      : // An edge stack bills nothing on AWS: its identity is in the cloud stack.
        {
          "monthly-cost-budget": "disabled",
          "edge-memory-budget": { hostMemoryMb: config.edge.hostMemoryMb, reserveMb: EDGE_OS_RESERVE_MB },
        };
  return { ...thresholds.shared, ...thresholds[config.environment], ...environment, ...derived };
}

/** The configuration for a stack file in `dir`. */
export function policyConfigForStack(stack: string, dir = PROJECT_DIR): PolicyPackConfig {
  return policyConfigFor(preflight(readStackConfig(dir, stack)));
}

const USAGE = `usage: npm run policy:config -- --stack NAME [--out FILE] [--config-dir DIR]

Prints the policy pack's configuration for the stack (what \`pulumi preview --policy-pack-config\`
takes), derived from Pulumi.NAME.yaml and policies/config/thresholds.json; --out writes it to FILE.
Exit codes: 0 written, 2 invalid configuration or usage, 3 another error. Errors are one line;
DEBUG=1 adds the stack trace.`;

/** Where policy:config writes: stdout (the configuration, the usage) and stderr (errors). */
export interface PolicyConfigIo {
  /** Text as it is (the configuration ends with its own newline). */
  write(text: string): void;
  err(line: string): void;
}

const processIo: PolicyConfigIo = {
  write: (text) => process.stdout.write(text),
  err: (line) => console.error(line),
};

/**
 * `npm run policy:config` with `argv`, through `io`; returns the exit code (EXIT in plan/errors.ts:
 * 0 written, 2 invalid configuration or usage, 3 another error). The CLI below is this with the
 * process's streams; tests call it in-process.
 */
export function runPolicyConfig(argv: string[], io: PolicyConfigIo = processIo): number {
  try {
    const values = parseCliFlags(
      argv,
      {
        stack: { type: "string", short: "s" },
        out: { type: "string" },
        "config-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      "policy:config",
    );
    if (values.help) {
      io.write(`${USAGE}\n`);
      return EXIT.planned;
    }
    if (!values.stack) throw new UsageError("--stack NAME is required (npm run policy:config -- --help)");
    const json = `${JSON.stringify(policyConfigForStack(values.stack, values["config-dir"] ?? PROJECT_DIR), null, 2)}\n`;
    if (values.out) fs.writeFileSync(values.out, json);
    else io.write(json);
    return EXIT.planned;
  } catch (error) {
    return reportError(error, undefined, io.err);
  }
}

if (require.main === module) exitAfterFlush(runPolicyConfig(process.argv.slice(2)));
