import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { planFor, PROJECT_DIR } from "./helpers/program";

interface Cost {
  monthly: number;
  unpriced: unknown[];
  lines: { resource: string; item: string; monthly: number }[];
}

/** The YAML block docs/sizing.md tells people to add to Pulumi.prod.yaml. */
function documentedChange(): Record<string, unknown> {
  const doc = fs.readFileSync(path.join(PROJECT_DIR, "docs/sizing.md"), "utf8");
  const block = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, "docs/sizing.md has the yaml block");
  return parse(block) as Record<string, unknown>;
}

describe("sizing: the reference production sizes are one documented change away", () => {
  it("the documented block prices every resource and stays within the budget it sets", () => {
    const change = documentedChange();
    const plan = planFor("prod", change);
    const cost = plan.cost as Cost;
    assert.deepEqual(cost.unpriced, []);
    const budget = (change["platform:cost"] as { monthlyBudgetUsd: number }).monthlyBudgetUsd;
    assert.ok(cost.monthly <= budget, `${cost.monthly} within ${budget}`);
    assert.ok(cost.lines.some((l) => l.item === "RDS PostgreSQL db.r6g.xlarge Multi-AZ"));
    assert.ok(cost.lines.some((l) => l.item === "ElastiCache cache.r6g.large"));
  });

  it("the figures in docs/sizing.md are the plan's", () => {
    const doc = fs.readFileSync(path.join(PROJECT_DIR, "docs/sizing.md"), "utf8");
    const item = (plan: Record<string, unknown>, match: RegExp) =>
      (plan.cost as Cost).lines.find((l) => match.test(l.item))?.monthly.toFixed(2);
    const prod = planFor("prod");
    const reference = planFor("prod", documentedChange());
    for (const figure of [
      item(prod, /^RDS PostgreSQL db\./),
      item(prod, /^ElastiCache cache\./),
      item(reference, /^RDS PostgreSQL db\./),
      item(reference, /^ElastiCache cache\./),
    ])
      assert.ok(doc.includes(`**$${figure}**`), `docs/sizing.md shows $${figure}`);
  });
});
