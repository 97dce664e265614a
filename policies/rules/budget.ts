import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { estimateCost } from "../../cost/estimate";
import type { CostEstimate, CostResource, CostUsage } from "../../cost/types";

/** Per-stack configuration of the budget policies: the stack's `platform:cost` values and its region. */
export interface BudgetConfig extends CostUsage {
  monthlyBudgetUsd: number;
  region: string;
}

const gb = (description: string) => ({ type: "number" as const, minimum: 0, description });

const configSchema = {
  properties: {
    monthlyBudgetUsd: { type: "number" as const, exclusiveMinimum: 0, description: "platform:cost.monthlyBudgetUsd" },
    region: { type: "string" as const, description: "aws:region of the stack" },
    natProcessedGbPerMonth: gb("platform:cost.natProcessedGbPerMonth"),
    backupStoredGb: gb("platform:cost.backupStoredGb"),
    registryStoredGb: gb("platform:cost.registryStoredGb"),
    logsIngestedGbPerMonth: gb("platform:cost.logsIngestedGbPerMonth"),
  },
  required: [
    "monthlyBudgetUsd",
    "region",
    "natProcessedGbPerMonth",
    "backupStoredGb",
    "registryStoredGb",
    "logsIngestedGbPerMonth",
  ],
};

/** The policy engine's view of a resource, as the estimate reads it (its properties stand for the inputs). */
export const toCostResource = (r: Pick<PolicyResource, "type" | "name" | "props">): CostResource => ({
  type: r.type,
  name: r.name,
  inputs: r.props ?? {},
});

function estimateStack(
  args: StackValidationArgs,
  report: ReportViolation,
): { estimate: CostEstimate; config: BudgetConfig } | undefined {
  const config = args.getConfig<BudgetConfig>();
  const { monthlyBudgetUsd: _budget, region, ...usage } = config;
  try {
    return { estimate: estimateCost(args.resources.map(toCostResource), { region, usage }), config };
  } catch (error) {
    // An input unknown at preview (the engine's UnknownValueError): let the engine say the policy
    // cannot run during preview instead of reporting a false violation.
    if (error instanceof Error && error.constructor.name === "UnknownValueError") throw error;
    report(`cannot estimate the monthly cost: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

const LARGEST = 5;

/** Fails the preview (and the offline plan) when the stack's estimated monthly cost exceeds its budget. */
export const budgetPolicy: StackValidationPolicy = {
  name: "monthly-cost-budget",
  description:
    "The stack's estimated monthly cost (on-demand list prices, cost/) stays within platform:cost.monthlyBudgetUsd.",
  enforcementLevel: "mandatory",
  configSchema,
  validateStack: (args, report) => {
    const result = estimateStack(args, report);
    if (!result) return;
    const { estimate, config } = result;
    // A resource without a price is never counted as free: the budget cannot be shown to hold.
    if (estimate.unpriced.length > 0) {
      const names = estimate.unpriced.map((u) => `${u.resource}: ${u.reason}`).join("; ");
      report(
        `the estimate ($${estimate.monthly.toFixed(2)}/month) is only a lower bound: ${estimate.unpriced.length} resources have no price (${names}). ` +
          "Add their prices to cost/prices.ts (or the type to cost/free.ts with the reason it costs nothing).",
      );
      return;
    }
    if (estimate.monthly <= config.monthlyBudgetUsd) return;
    const largest = [...estimate.lines]
      .sort((a, b) => b.monthly - a.monthly)
      .slice(0, LARGEST)
      .map((l) => `${l.item} $${l.monthly.toFixed(2)}`)
      .join("; ");
    const lowerBound = estimate.unpriced.length
      ? ` (a lower bound: ${estimate.unpriced.length} resources are not priced)`
      : "";
    report(
      `estimated $${estimate.monthly.toFixed(2)}/month${lowerBound} exceeds the budget of $${config.monthlyBudgetUsd.toFixed(2)} ` +
        `by $${(estimate.monthly - config.monthlyBudgetUsd).toFixed(2)}. Largest lines: ${largest}. ` +
        "Shrink the stack's sizes or raise platform:cost.monthlyBudgetUsd (and this policy's config) deliberately.",
    );
  },
};
