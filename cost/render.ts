import type { CostDiff } from "./compare";
import type { CostEstimate, CostLine } from "./types";

const money = (usd: number) => `$${usd.toFixed(2)}`;
const signed = (usd: number) => `${usd < 0 ? "-" : "+"}$${Math.abs(usd).toFixed(2)}`;

/** "aws:rds/instance:Instance::platform-dev-postgres" → "platform-dev-postgres (Instance)": the name first, it is what people search for. */
export function shortResource(resource: string): string {
  const [type, name] = resource.split("::");
  return type === undefined || name === undefined ? resource : `${name} (${type.split(":").pop()})`;
}

function quantity(l: CostLine): string {
  const q = Number.isInteger(l.quantity) ? String(l.quantity) : l.quantity.toFixed(2);
  return l.unit ? `${q} ${l.unit}` : q;
}

const unitPrice = (usd: number) => `$${Number(usd.toPrecision(4))}`;

/** Text columns are cut at this width ("…"), so a table stays within 160 columns in CI logs. */
const MAX_TEXT_COLUMN = 44;
const fit = (cell: string) => (cell.length > MAX_TEXT_COLUMN ? `${cell.slice(0, MAX_TEXT_COLUMN - 1)}…` : cell);

function table(rows: string[][], rightAligned: Set<number>): string[] {
  const cells = rows.map((r) => r.map((cell, c) => (rightAligned.has(c) ? cell : fit(cell))));
  const widths = (cells[0] ?? []).map((_, c) => Math.max(...cells.map((r) => r[c]?.length ?? 0)));
  return cells.map((r) =>
    r
      .map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

/** The estimate as a text table, largest lines first, with the total, the budget when given, and what could not be priced. */
export function renderCost(estimate: CostEstimate, budgetUsd?: number): string {
  const sorted = [...estimate.lines].sort((a, b) => b.monthly - a.monthly);
  const rows = [
    ["resource", "item", "quantity", "unit price", "monthly"],
    ...sorted.map((l) => [shortResource(l.resource), l.item, quantity(l), unitPrice(l.unitPrice), money(l.monthly)]),
    ["total", "", "", "", money(estimate.monthly)],
  ];
  const out = [
    `Cost estimate (${estimate.currency} per month, on-demand list prices, 730 h):`,
    ...table(rows, new Set([2, 3, 4])).map((r) => `  ${r}`),
  ];
  if (budgetUsd !== undefined) {
    const share = Math.round((estimate.monthly / budgetUsd) * 100);
    out.push(
      `  budget ${money(budgetUsd)}: ${estimate.monthly > budgetUsd ? `OVER by ${money(estimate.monthly - budgetUsd)}` : `within (${share}%)`}`,
    );
  }
  if (estimate.unpriced.length) {
    out.push(
      `  not priced (${estimate.unpriced.length}): the total is only a lower bound, and the budget policy fails until they are priced`,
    );
    for (const u of estimate.unpriced) out.push(`    ${shortResource(u.resource)}: ${u.reason}`);
  }
  return out.join("\n");
}

/** The difference as text: the total, then each line that changed. */
export function renderCostDiff(diff: CostDiff): string {
  const head = `Cost difference (${diff.currency} per month): ${money(diff.before)} → ${money(diff.after)} (${signed(diff.difference)})`;
  if (diff.lines.length === 0) return `${head}\n  no line changed`;
  const mark = { added: "+", removed: "-", changed: "~" } as const;
  const rows = [
    ["", "resource", "item", "before", "after", "difference"],
    ...diff.lines.map((l) => [
      mark[l.change],
      shortResource(l.resource),
      l.item,
      money(l.before),
      money(l.after),
      signed(l.difference),
    ]),
  ];
  return [head, ...table(rows, new Set([3, 4, 5])).map((r) => `  ${r}`)].join("\n");
}
