import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { EdgeUnreachableError } from "../../components/edge/reachability";
import { ConfigError, type Config, type EdgeStackConfig } from "../../config";
import { compareCost, costFromPlanJson, estimateCost, renderCost, renderCostDiff } from "../../cost";
import { emitArtifacts } from "./emit";
import { asReferencedStack, captureProgram, preflight, PROJECT_DIR, type Capture, type ReferencedStack } from "./capture";
import { evaluatePolicies, hasMandatoryViolation, hasPolicyConfig, policyConfigPath, readPolicyConfig, renderViolations, type PolicyPackConfig } from "./policy";
import { renderOutputs, renderTree, toJson } from "./render";
import { readStackConfig } from "./stack-config";
import { exitAfterFlush } from "../exit";

const USAGE = `usage: npm run plan -- --stack NAME [--json] [--emit DIR] [--config-dir DIR] [--compare OTHER.json]
                       [--cloud-plan CLOUD.json] [--check-reachability]

Runs the program under the Pulumi SDK's mocks with the stack's configuration
(Pulumi.yaml, then Pulumi.NAME.yaml) and prints what it would register.
--emit writes what the program renders (nginx config, scripts, rules, dashboards) under DIR.
--config-dir reads Pulumi.yaml and the stack files from DIR instead of the project.
--compare prints the monthly cost difference against an earlier plan's --json output.
An edge stack reads its cloud stack (platform:cloudStack) through a StackReference: the plan
answers it with the cloud stack's offline plan, computed first from Pulumi.<cloud stack>.yaml,
or read from --cloud-plan CLOUD.json (that stack's saved --json plan).
--check-reachability lets an edge stack try its Pi's SSH port first, as preview and up do.
The policy pack (policies/) is evaluated with policies/config/NAME.json; violations are listed
by level and under "policy" in --json.
Exit codes: 0 planned, 1 a mandatory policy violation, an unreachable Pi (or any other failure),
2 invalid configuration.`;

export const EXIT_INVALID_CONFIG = 2;

interface Flags {
  stack: string;
  json: boolean;
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
    const saved = JSON.parse(fs.readFileSync(flags.cloudPlan, "utf8")) as { stack?: string; outputs?: Record<string, unknown>; secretOutputs?: string[] };
    if (saved.stack !== stack || !saved.outputs)
      throw new ConfigError([`--cloud-plan: ${flags.cloudPlan} is ${saved.stack ? `a plan of stack ${saved.stack}` : "not a plan's --json output"}; platform:cloudStack.stack is ${stack}`]);
    return { [name]: { outputs: saved.outputs, secretOutputNames: saved.secretOutputs ?? [] } };
  }
  if (!fs.existsSync(`${flags.configDir}/Pulumi.${stack}.yaml`))
    throw new ConfigError([`platform:cloudStack.stack: got ${JSON.stringify(stack)}; expected a stack with a Pulumi.${stack}.yaml here, or its saved plan given as --cloud-plan FILE`]);
  const cloud = await captureProgram(readStackConfig(flags.configDir, stack));
  return { [name]: asReferencedStack(cloud) };
}

function costOf(capture: Capture, config: Config) {
  return config.kind === "cloud" ? estimateCost(capture.resources, { region: config.region, usage: config.cost }) : undefined;
}

/** The pack's stack config; a cloud stack's budget comes from its own (possibly overridden) config, an edge stack has none to check. */
function packConfigFor(flags: Flags, config: Config): PolicyPackConfig {
  const found = hasPolicyConfig(flags.stack);
  if (!found) console.error(`${policyConfigPath(flags.stack)} does not exist: every rule takes its strictest default`);
  const pack = found ? readPolicyConfig(flags.stack) : {};
  if (config.kind === "edge") return { ...pack, "monthly-cost-budget": "disabled" };
  return { ...pack, "monthly-cost-budget": { ...config.cost, region: config.region } };
}

async function plan(flags: Flags): Promise<number> {
  const stackConfig = readStackConfig(flags.configDir, flags.stack);
  const loaded = preflight(stackConfig);
  const stackReferences = loaded.kind === "edge" ? await referencedCloudStack(loaded, flags) : {};
  const capture = await captureProgram(stackConfig, { stackReferences, probeEdge: flags.checkReachability });
  if (flags.emit) {
    const written = emitArtifacts(flags.emit, loaded);
    console.error(`wrote ${written.length} files under ${flags.emit}`);
  }
  const cost = costOf(capture, loaded);
  const base = flags.compare && cost ? costFromPlanJson(JSON.parse(fs.readFileSync(flags.compare, "utf8")), flags.compare) : undefined;
  const costDiff = base && cost ? compareCost(base, cost) : undefined;
  const policy = await evaluatePolicies(capture.resources, flags.stack, packConfigFor(flags, loaded));
  if (flags.json) console.log(JSON.stringify({ ...toJson(capture), policy, ...(cost ? { cost } : {}), ...(costDiff ? { costDiff } : {}) }, null, 2));
  else {
    const costText = cost && loaded.kind === "cloud" ? renderCost(cost, loaded.cost.monthlyBudgetUsd) : "Cost: an edge stack bills nothing on AWS (its site's identity is in its cloud stack).";
    console.log([renderTree(capture), renderOutputs(capture), costText, costDiff ? renderCostDiff(costDiff) : "", renderViolations(policy)].filter(Boolean).join("\n\n"));
  }
  return hasMandatoryViolation(policy) ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string", short: "s" },
      json: { type: "boolean" },
      "config-dir": { type: "string" },
      emit: { type: "string" },
      compare: { type: "string" },
      "cloud-plan": { type: "string" },
      "check-reachability": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help || !values.stack) {
    (values.help ? console.log : console.error)(USAGE);
    return values.help ? 0 : 1;
  }
  const flags: Flags = {
    stack: values.stack,
    json: values.json ?? false,
    configDir: values["config-dir"] ?? PROJECT_DIR,
    emit: values.emit,
    compare: values.compare,
    cloudPlan: values["cloud-plan"],
    checkReachability: values["check-reachability"] ?? false,
  };
  try {
    return await plan(flags);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Stack ${flags.stack}: ${error.message}`);
      return EXIT_INVALID_CONFIG;
    }
    if (error instanceof EdgeUnreachableError) {
      console.error(`Stack ${flags.stack}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    exitAfterFlush(1);
  },
);
