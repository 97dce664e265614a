import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError } from "../../config";
import { compareCost, costFromPlanJson, estimateCost, renderCost, renderCostDiff } from "../../cost";
import { emitArtifacts } from "./emit";
import { captureProgram, PROJECT_DIR } from "./capture";
import { evaluatePolicies, hasMandatoryViolation, hasPolicyConfig, policyConfigPath, readPolicyConfig, renderViolations } from "./policy";
import { renderOutputs, renderTree, toJson } from "./render";
import { readStackConfig } from "./stack-config";
import { exitAfterFlush } from "../exit";

const USAGE = `usage: npm run plan -- --stack NAME [--json] [--emit DIR] [--config-dir DIR] [--compare OTHER.json]

Runs the program under the Pulumi SDK's mocks with the stack's configuration
(Pulumi.yaml, then Pulumi.NAME.yaml) and prints what it would register.
--emit writes what the program renders (nginx config, scripts, rules, dashboards) under DIR.
--config-dir reads Pulumi.yaml and the stack file from DIR instead of the project.
--compare prints the monthly cost difference against an earlier plan's --json output.
The policy pack (policies/) is evaluated with policies/config/NAME.json; violations are listed
by level and under "policy" in --json.
Exit codes: 0 planned, 1 a mandatory policy violation (or any other failure), 2 invalid configuration.`;

export const EXIT_INVALID_CONFIG = 2;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { stack: { type: "string", short: "s" }, json: { type: "boolean" },
      "config-dir": { type: "string" },
      emit: { type: "string" },
      compare: { type: "string" },
      help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help || !values.stack) {
    (values.help ? console.log : console.error)(USAGE);
    return values.help ? 0 : 1;
  }
  const config = readStackConfig(values["config-dir"] ?? PROJECT_DIR, values.stack);
  try {
    const capture = await captureProgram(config);
    const loaded = capture.config;
    if (values.emit) {
      const written = emitArtifacts(values.emit, loaded);
      console.error(`wrote ${written.length} files under ${values.emit}`);
    }
    const cost = estimateCost(capture.resources, { region: loaded.region, usage: loaded.cost });
    const base = values.compare ? costFromPlanJson(JSON.parse(fs.readFileSync(values.compare, "utf8")), values.compare) : undefined;
    const costDiff = base ? compareCost(base, cost) : undefined;
    // The pack's stack config, with the budget from the stack's own (possibly overridden) config.
    const packConfigFound = hasPolicyConfig(values.stack);
    if (!packConfigFound) console.error(`${policyConfigPath(values.stack)} does not exist: every rule takes its strictest default`);
    const packConfig = packConfigFound ? readPolicyConfig(values.stack) : {};
    const policy = await evaluatePolicies(capture.resources, values.stack, {
      ...packConfig,
      "monthly-cost-budget": { ...loaded.cost, region: loaded.region },
    });
    if (values.json) console.log(JSON.stringify({ ...toJson(capture), policy, cost, ...(costDiff ? { costDiff } : {}) }, null, 2));
    else
      console.log(
        [renderTree(capture), renderOutputs(capture), renderCost(cost, loaded.cost.monthlyBudgetUsd), costDiff ? renderCostDiff(costDiff) : "", renderViolations(policy)]
          .filter(Boolean)
          .join("\n\n"),
      );
    return hasMandatoryViolation(policy) ? 1 : 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Stack ${values.stack}: ${error.message}`);
      return EXIT_INVALID_CONFIG;
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
