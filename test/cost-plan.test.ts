import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { planFor, runPlanInProcess, STACKS } from "./helpers/program";
import { textPlanFor } from "./helpers/text-plans";
import { tempDir } from "./helpers/temp-dir";

/** The plan's cost output (tools/plan/cli.ts wires cost/ in). */
interface PlanCost {
  currency: string;
  monthly: number;
  lines: { resource: string; item: string; quantity: number; unitPrice: number; monthly: number }[];
  unpriced: unknown[];
}

describe("plan cost output", () => {
  for (const stack of STACKS) {
    it(`${stack}: --json has "cost" with currency, monthly, lines and unpriced`, () => {
      const cost = planFor(stack).cost as PlanCost;
      assert.equal(cost.currency, "USD");
      assert.ok(cost.monthly > 0);
      assert.ok(cost.lines.length > 0);
      for (const l of cost.lines)
        for (const key of ["resource", "item", "quantity", "unitPrice", "monthly"] as const) assert.ok(key in l, key);
      assert.deepEqual(cost.unpriced, []);
    });

    it(`${stack}: the text plan prints the cost table with its total and the budget`, () => {
      const run = textPlanFor(stack);
      assert.equal(run.status, 0, run.stderr);
      const total = (planFor(stack).cost as PlanCost).monthly.toFixed(2);
      assert.match(
        run.stdout,
        /Cost estimate \(USD per month, on-demand list prices, 730 h\):\n {2}resource +item +quantity +unit price +monthly\n/,
      );
      assert.match(
        run.stdout,
        new RegExp(`\\n {2}total +\\$${total.replace(".", "\\.")}\\n {2}budget \\$[\\d.]+: within`),
      );
    });

    it(`${stack}: --compare with the plan's own JSON shows no difference`, () => {
      const dir = tempDir("cost-");
      const file = path.join(dir, `${stack}.json`);
      fs.writeFileSync(file, JSON.stringify(planFor(stack)));
      // One plan: the text on stdout, its JSON (what --json prints) in --out's file.
      const out = path.join(dir, "head.json");
      const run = runPlanInProcess(["--stack", stack, "--compare", file, "--out", out]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(
        run.stdout,
        /Cost difference \(USD per month\): \$([\d.]+) → \$\1 \(\+\$0\.00\)\n {2}no line changed/,
      );
      const diff = (JSON.parse(fs.readFileSync(out, "utf8")) as { costDiff: { difference: number; lines: unknown[] } })
        .costDiff;
      assert.equal(diff.difference, 0);
      assert.deepEqual(diff.lines, []);
    });
  }

  it("--compare against dev shows prod's extra cost line by line", () => {
    const file = path.join(tempDir("cost-"), "dev.json");
    fs.writeFileSync(file, JSON.stringify(planFor("dev")));
    const run = runPlanInProcess(["--stack", "prod", "--compare", file, "--json"]);
    assert.equal(run.status, 0, run.stderr);
    const diff = (
      JSON.parse(run.stdout) as {
        costDiff: { before: number; after: number; difference: number; lines: { difference: number }[] };
      }
    ).costDiff;
    assert.equal(diff.before, (planFor("dev").cost as PlanCost).monthly);
    assert.equal(diff.after, (planFor("prod").cost as PlanCost).monthly);
    assert.ok(
      Math.abs(diff.lines.reduce((s, l) => s + l.difference, 0) - diff.difference) < 0.05,
      "lines add up to the total",
    );
  });

  it("--compare with a file that has no cost section fails naming it", () => {
    const file = path.join(tempDir("cost-"), "old.json");
    fs.writeFileSync(file, JSON.stringify({ stack: "dev", resources: [] }));
    const run = runPlanInProcess(["--stack", "dev", "--compare", file]);
    assert.equal(run.status, 2, "a usage error");
    assert.match(run.stderr, /old\.json has no "cost" section/);
  });
});
