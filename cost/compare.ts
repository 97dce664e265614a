import type { CostEstimate, CostLine } from "./types";

/** What a comparison needs of an estimate: what a plan's `--json` keeps under `cost`. */
export type CostSummary = Pick<CostEstimate, "monthly" | "lines">;

export interface CostLineDiff {
  resource: string;
  item: string;
  change: "added" | "removed" | "changed";
  before: number;
  after: number;
  difference: number;
}

export interface CostDiff {
  currency: "USD";
  before: number;
  after: number;
  difference: number;
  /** Only the lines whose quantity or monthly cost differ. */
  lines: CostLineDiff[];
}

/** Rounds half away from zero, so a removed line shows the negative of what it showed when added. */
const cents = (value: number) => (Math.sign(value) * Math.round(Math.abs(value) * 100)) / 100 || 0;
const keyOf = (l: Pick<CostLine, "resource" | "item">) => `${l.resource}\u0000${l.item}`;

/** Lines keyed by resource and item; the same key twice (not produced by the estimate) is summed. */
function byKey(lines: readonly CostLine[]): Map<string, CostLine> {
  const map = new Map<string, CostLine>();
  for (const l of lines) {
    const seen = map.get(keyOf(l));
    map.set(keyOf(l), seen ? { ...seen, quantity: seen.quantity + l.quantity, monthly: seen.monthly + l.monthly } : l);
  }
  return map;
}

/** Line-by-line and total difference from `before` to `after`. */
export function compareCost(before: CostSummary, after: CostSummary): CostDiff {
  const old = byKey(before.lines);
  const now = byKey(after.lines);
  const lines: CostLineDiff[] = [];
  for (const [key, l] of now) {
    const was = old.get(key);
    if (!was)
      lines.push({
        resource: l.resource,
        item: l.item,
        change: "added",
        before: 0,
        after: l.monthly,
        difference: cents(l.monthly),
      });
    else if (was.quantity !== l.quantity || cents(was.monthly) !== cents(l.monthly))
      lines.push({
        resource: l.resource,
        item: l.item,
        change: "changed",
        before: was.monthly,
        after: l.monthly,
        difference: cents(l.monthly - was.monthly),
      });
  }
  for (const [key, l] of old)
    if (!now.has(key))
      lines.push({
        resource: l.resource,
        item: l.item,
        change: "removed",
        before: l.monthly,
        after: 0,
        difference: cents(-l.monthly),
      });
  return {
    currency: "USD",
    before: before.monthly,
    after: after.monthly,
    difference: cents(after.monthly - before.monthly),
    lines,
  };
}

const isLine = (v: unknown): v is CostLine => {
  const l = v as Partial<CostLine> | null;
  return (
    !!l &&
    typeof l.resource === "string" &&
    typeof l.item === "string" &&
    typeof l.quantity === "number" &&
    typeof l.monthly === "number"
  );
};

/** The `cost` section of an earlier plan's `--json` output, or an error saying what is wrong with it. */
export function costFromPlanJson(json: unknown, source: string): CostSummary {
  const cost = (json as { cost?: unknown } | null)?.cost as Partial<CostSummary> | undefined;
  if (!cost || typeof cost !== "object")
    throw new Error(`${source} has no "cost" section: write it with \`npm run plan -- --stack NAME --json\``);
  if (typeof cost.monthly !== "number" || !Array.isArray(cost.lines) || !cost.lines.every(isLine))
    throw new Error(
      `${source}: "cost" must have a numeric "monthly" and "lines" of { resource, item, quantity, unitPrice, monthly }`,
    );
  return { monthly: cost.monthly, lines: cost.lines };
}
