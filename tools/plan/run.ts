import * as fs from "node:fs";
import { ConfigError, type Config, type EdgeStackConfig } from "../../config";
import { compareCost, costFromPlanJson, estimateCost, renderCost, renderCostDiff } from "../../cost";
import { renderCostAtMaximum } from "../../cost/render";
import { compareResources, renderChanges, resourcesFromPlanJson, type ChangeSet } from "./changes";
import { EXIT, parseCliFlags, reportError, UsageError } from "./errors";
import {
  asReferencedStack,
  captureProgram,
  preflight,
  PROJECT_DIR,
  type Capture,
  type ReferencedStack,
} from "./capture";
import { policyConfigFor } from "../policy-config";
import { evaluatePolicies, hasMandatoryViolation, renderViolations } from "./policy";
import { maskMockValues } from "./mocks";
import { offlineHeader, renderOutputs, renderTree, toJson, wrapLines } from "./render";
import { readStackConfig } from "./stack-config";
import { type CliIo, consoleIo } from "../cli-io";

const USAGE = `usage: npm run plan -- --stack NAME [--json] [--out FILE] [--emit DIR] [--config-dir DIR]
                       [--compare BASE.json] [--cloud-plan CLOUD.json] [--check-reachability]

Runs the program under the Pulumi SDK's mocks with the stack's configuration
(Pulumi.yaml, then Pulumi.NAME.yaml) and prints what it would register.
--emit writes what the program renders (nginx config, scripts, rules, dashboards) under DIR.
--config-dir reads Pulumi.yaml and the stack files from DIR instead of the project.
--out FILE writes the plan's JSON to FILE (nothing else in it), whatever stdout shows.
--compare BASE.json lists what changes against an earlier plan (--out or --json output):
created, updated, replaced and deleted resources with the inputs that changed, a warning for
each stateful resource replaced or deleted, and the monthly cost difference.
An edge stack reads its cloud stack (platform:cloudStack) through a StackReference: the plan
answers it with the cloud stack's offline plan, computed first from Pulumi.<cloud stack>.yaml,
or read from --cloud-plan CLOUD.json (that stack's saved --json plan).
--check-reachability lets an edge stack try its Pi's SSH port first, as preview and up do.
The policy pack (policies/) is evaluated with the stack's pack configuration (npm run
policy:config -- --stack NAME); violations are listed by level and under "policy" in --json.
Exit codes: 0 planned, 1 a mandatory policy violation, 2 invalid configuration or usage,
3 the plan could not run (an error in the program, or an unreachable Pi). Errors are one line;
DEBUG=1 adds the stack trace.`;

/** Where the plan writes: stdout (the plan), stderr (errors, notes), and the text plan's width. */
export interface PlanIo extends CliIo {
  width: number;
}

/** The process's streams; a terminal's width, or 160 columns in a pipe or a file (CI logs, PR comments). */
export const processIo: PlanIo = {
  ...consoleIo,
  get width() {
    return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 160;
  },
};

interface Flags {
  stack: string;
  json: boolean;
  out?: string;
  configDir: string;
  emit?: string;
  compare?: string;
  cloudPlan?: string;
  checkReachability: boolean;
}

/** The cloud stack an edge stack references, as the mocks answer it: a saved plan, or this run's plan of it. */
async function referencedCloudStack(config: EdgeStackConfig, flags: Flags): Promise<Record<string, ReferencedStack>> {
  const { name, stack } = config.cloudStack;
  if (flags.cloudPlan) {
    const saved = readPlanFile("--cloud-plan", flags.cloudPlan) as {
      stack?: string;
      outputs?: Record<string, unknown>;
      secretOutputs?: string[];
    };
    if (saved.stack !== stack || !saved.outputs)
      throw new ConfigError([
        `--cloud-plan: ${flags.cloudPlan} is ${saved.stack ? `a plan of stack ${saved.stack}` : "not a plan's --json output"}; platform:cloudStack.stack is ${stack}`,
      ]);
    return { [name]: { outputs: saved.outputs, secretOutputNames: saved.secretOutputs ?? [] } };
  }
  if (!fs.existsSync(`${flags.configDir}/Pulumi.${stack}.yaml`))
    throw new ConfigError([
      `platform:cloudStack.stack: got ${JSON.stringify(stack)}; expected a stack with a Pulumi.${stack}.yaml here, or its saved plan given as --cloud-plan FILE`,
    ]);
  const cloud = await captureProgram(readStackConfig(flags.configDir, stack));
  return { [name]: asReferencedStack(cloud) };
}

/** A saved plan given by a flag, read and parsed, or a usage error naming the flag and the file. */
function readPlanFile(flag: string, file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`${flag}: cannot read ${file} (write it with \`npm run plan -- --stack NAME --out FILE\`)`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${flag}: ${file} is not JSON (${(error as Error).message}); write it with \`npm run plan -- --stack NAME --out FILE\``,
    );
  }
}

function costOf(capture: Capture, config: Config) {
  return config.kind === "cloud"
    ? estimateCost(capture.resources, { region: config.region, usage: config.cost })
    : undefined;
}

async function plan(flags: Flags, io: PlanIo): Promise<number> {
  const stackConfig = readStackConfig(flags.configDir, flags.stack);
  const loaded = preflight(stackConfig);
  const stackReferences = loaded.kind === "edge" ? await referencedCloudStack(loaded, flags) : {};
  const capture = await captureProgram(stackConfig, { stackReferences, probeEdge: flags.checkReachability });
  if (flags.emit) {
    // Loaded only when asked for: the renderers of both kinds, which a plain plan does not need
    // (`require`, not `import()`, for the reason index.ts gives).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { emitArtifacts } = require("./emit") as typeof import("./emit");
    const written = emitArtifacts(flags.emit, loaded);
    io.err(`wrote ${written.length} files under ${flags.emit}`);
  }
  const cost = costOf(capture, loaded);
  const baseJson = flags.compare ? readPlanFile("--compare", flags.compare) : undefined;
  const asUsage = <T>(read: () => T): T => {
    try {
      return read();
    } catch (error) {
      throw new UsageError(`--compare: ${(error as Error).message}`);
    }
  };
  const changes: ChangeSet | undefined = baseJson
    ? compareResources(
        asUsage(() => resourcesFromPlanJson(baseJson, flags.compare as string)),
        capture.resources,
      )
    : undefined;
  const base = baseJson && cost ? asUsage(() => costFromPlanJson(baseJson, flags.compare as string)) : undefined;
  const costDiff = base && cost ? compareCost(base, cost) : undefined;
  const policy = await evaluatePolicies(capture.resources, flags.stack, policyConfigFor(loaded));
  const json = JSON.stringify(
    {
      ...toJson(capture),
      policy,
      ...(cost ? { cost } : {}),
      ...(changes ? { changes } : {}),
      ...(costDiff ? { costDiff } : {}),
    },
    null,
    2,
  );
  if (flags.out) fs.writeFileSync(flags.out, `${json}\n`);
  if (flags.json) io.out(json);
  else {
    const costText =
      cost && loaded.kind === "cloud"
        ? renderCost(cost, loaded.cost.monthlyBudgetUsd)
        : "Cost: an edge stack bills nothing on AWS (its site's identity is in its cloud stack).";
    const sections = [
      offlineHeader(flags.stack),
      changes ? renderChanges(changes, flags.compare as string) : "",
      renderTree(capture),
      renderOutputs(capture),
      costText,
      cost && loaded.kind === "cloud" ? renderCostAtMaximum(cost) : "",
      costDiff ? renderCostDiff(costDiff) : "",
      renderViolations(policy),
    ];
    io.out(wrapLines(maskMockValues(sections.filter(Boolean).join("\n\n")), io.width));
  }
  return hasMandatoryViolation(policy) ? EXIT.policy : EXIT.planned;
}

function parseFlags(argv: string[]): Flags | "help" {
  const values = parseCliFlags(
    argv,
    {
      stack: { type: "string", short: "s" },
      json: { type: "boolean" },
      out: { type: "string" },
      "config-dir": { type: "string" },
      emit: { type: "string" },
      compare: { type: "string" },
      "cloud-plan": { type: "string" },
      "check-reachability": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    "plan",
  );
  if (values.help) return "help";
  if (!values.stack) throw new UsageError("--stack NAME is required (npm run plan -- --help)");
  return {
    stack: values.stack,
    json: values.json ?? false,
    out: values.out,
    configDir: values["config-dir"] ?? PROJECT_DIR,
    emit: values.emit,
    compare: values.compare,
    cloudPlan: values["cloud-plan"],
    checkReachability: values["check-reachability"] ?? false,
  };
}

/** One line per error, the exit code by kind (errors.ts), written through `io`. */
export function report(error: unknown, stack: string | undefined, io: PlanIo = processIo): number {
  return reportError(error, stack, io.err);
}

/**
 * `npm run plan` with `argv`, its lines written through `io`; resolves to the exit code. The CLI
 * (cli.ts) is this with the process's streams; tests call it in-process to skip a Node start.
 */
export async function runPlan(argv: string[], io: PlanIo = processIo): Promise<number> {
  let flags: Flags | "help" | undefined;
  try {
    flags = parseFlags(argv);
    if (flags === "help") {
      io.out(USAGE);
      return EXIT.planned;
    }
    return await plan(flags, io);
  } catch (error) {
    return report(error, typeof flags === "object" ? flags.stack : undefined, io);
  }
}
