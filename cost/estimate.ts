import { freeReason } from "./free";
import { pricesFor } from "./prices";
import { PRICERS } from "./pricers";
import type {
  CostEstimate,
  CostLine,
  CostResource,
  CostUsage,
  EstimateOptions,
  PricingContext,
  UnpricedResource,
} from "./types";

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

function checkUsage(usage: CostUsage): void {
  for (const [key, value] of Object.entries(usage))
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
      throw new Error(`cost usage ${key} must be a number of GB, 0 or more; got ${JSON.stringify(value)}`);
}

/**
 * The monthly cost of a stack's resources at on-demand list prices (730 hours a month), one line
 * per billed item. A resource whose type is neither priced nor known to be free is listed in
 * `unpriced`, never counted as zero. Throws for a region without prices.
 */
export function estimateCost(resources: readonly CostResource[], options: EstimateOptions): CostEstimate {
  const prices = pricesFor(options.region);
  checkUsage(options.usage);
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const ctx: PricingContext = { prices, usage: options.usage, resources, count: (type) => counts.get(type) ?? 0 };

  const lines: CostLine[] = [];
  const unpriced: UnpricedResource[] = [];
  const scaleOut: CostLine[] = [];
  for (const r of resources) {
    const resource = `${r.type}::${r.name}`;
    const pricer = Object.hasOwn(PRICERS, r.type) ? PRICERS[r.type] : undefined;
    if (!pricer) {
      if (freeReason(r.type) === undefined)
        unpriced.push({
          resource,
          type: r.type,
          reason: "no price for this type (cost/pricers) and not known to be free (cost/free.ts)",
        });
      continue;
    }
    const outcome = pricer(r, ctx);
    for (const draft of outcome.lines)
      lines.push({ resource, ...draft, monthly: round(draft.quantity * draft.unitPrice, 6) });
    for (const draft of outcome.atMaximum ?? [])
      scaleOut.push({ resource, ...draft, monthly: round(draft.quantity * draft.unitPrice, 6) });
    if (outcome.unpriced !== undefined) unpriced.push({ resource, type: r.type, reason: outcome.unpriced });
  }
  const monthly = round(
    lines.reduce((sum, l) => sum + l.monthly, 0),
    2,
  );
  const atMaximum = { monthly: round(monthly + scaleOut.reduce((sum, l) => sum + l.monthly, 0), 2), lines: scaleOut };
  return { currency: "USD", monthly, lines, unpriced, atMaximum };
}
