/**
 * Markdown for a pull request: one stack's offline plan (policy violations, cost and its
 * difference against the base branch, the resource tree), for the job summary and the sticky
 * PR comment. The plan's text output (TREE.txt) is included collapsed. Usage:
 *
 *   node --import tsx .github/scripts/plan-report.ts --stack dev --head head.json \
 *     [--base base.json] [--tree tree.txt] [--exit-code N]
 *
 * Input is the plan's own `--json` output; the base plan may be missing or older (a base branch
 * from before the cost estimate), which is reported rather than treated as zero.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { compareCost, costFromPlanJson, type CostSummary } from "../../cost";
import { compareResources } from "../../tools/plan/changes";

/** What the report reads of a plan's `--json`; every section is optional so an old base still renders. */
export interface PlanJson {
  stack?: string;
  resources?: unknown[];
  policy?: { violations?: unknown[] };
  cost?: {
    currency?: string;
    monthly?: number;
    lines?: { resource: string; item: string; quantity: number; unitPrice: number; monthly: number }[];
    unpriced?: { resource: string; reason: string }[];
  };
}

export interface ReportInput {
  stack: string;
  head: PlanJson;
  /** The base branch's plan, or undefined when it could not be planned. */
  base?: PlanJson;
  /** The plan's text output (the resource tree). */
  tree?: string;
  /** The head plan's exit code: 1 means a mandatory policy failed, 2 invalid configuration. */
  exitCode?: number;
}

/** A PR comment is capped at 65,536 characters and holds both stacks: the tree gets what is left. */
const TREE_LIMIT = 20_000;
const TOP_LINES = 15;

const usd = (n: number) => `$${n.toFixed(2)}`;
const signed = (n: number) => (n > 0 ? `+${usd(n)}` : n < 0 ? `-${usd(-n)}` : usd(0));
/** Table cells: a pipe or newline in a message would break the row. */
const cell = (v: unknown) =>
  String(v ?? "")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, " ");
const short = (resource: string) => resource.split("::").at(-1) ?? resource;

function costOf(plan: PlanJson | undefined, label: string): CostSummary | string {
  if (!plan) return `${label} could not be planned`;
  try {
    return costFromPlanJson(plan, label);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function violationRow(v: unknown): string {
  const o = (typeof v === "object" && v !== null ? v : { message: v }) as Record<string, unknown>;
  const level = o.enforcementLevel ?? o.level ?? "";
  const name = o.policyName ?? o.policy ?? o.name ?? "";
  const resource = o.urn ?? o.resource ?? o.resourceName ?? "(stack)";
  return `| ${cell(level)} | ${cell(name)} | ${cell(resource)} | ${cell(o.message ?? o.description ?? JSON.stringify(o))} |`;
}

function policySection(head: PlanJson): string[] {
  const violations = head.policy?.violations;
  if (!Array.isArray(violations)) return ["**Policy:** not evaluated by this plan."];
  if (violations.length === 0) return ["**Policy:** no violations."];
  return [
    `**Policy:** ${violations.length} violation(s).`,
    "",
    "| level | policy | resource | message |",
    "|---|---|---|---|",
    ...violations.map(violationRow),
  ];
}

function diffSection(head: CostSummary | string, base: CostSummary | string): string[] {
  if (typeof head === "string") return [`**Cost:** ${head}.`];
  if (typeof base === "string")
    return [`**Cost:** ${usd(head.monthly)}/month. No difference against the base branch: ${base}.`];
  const diff = compareCost(base, head);
  const out = [`**Cost:** ${usd(diff.after)}/month (base ${usd(diff.before)}, **${signed(diff.difference)}**).`];
  if (diff.lines.length === 0) return [...out, "", "No cost line changed."];
  const mark = { added: "added", removed: "removed", changed: "changed" } as const;
  return [
    ...out,
    "",
    "| change | resource | item | before | after | difference |",
    "|---|---|---|--:|--:|--:|",
    ...diff.lines.map(
      (l) =>
        `| ${mark[l.change]} | ${cell(short(l.resource))} | ${cell(l.item)} | ${usd(l.before)} | ${usd(l.after)} | ${signed(l.difference)} |`,
    ),
  ];
}

function linesSection(head: PlanJson): string[] {
  const lines = [...(head.cost?.lines ?? [])].sort((a, b) => b.monthly - a.monthly);
  const unpriced = head.cost?.unpriced ?? [];
  if (lines.length === 0 && unpriced.length === 0) return [];
  const out = [
    "<details><summary>Largest cost lines" +
      (unpriced.length ? ` and ${unpriced.length} unpriced resource(s)` : "") +
      "</summary>",
    "",
    "| resource | item | quantity | unit price | monthly |",
    "|---|---|--:|--:|--:|",
    ...lines
      .slice(0, TOP_LINES)
      .map(
        (l) => `| ${cell(short(l.resource))} | ${cell(l.item)} | ${l.quantity} | ${l.unitPrice} | ${usd(l.monthly)} |`,
      ),
  ];
  if (lines.length > TOP_LINES) out.push(`| … ${lines.length - TOP_LINES} more | | | | |`);
  if (unpriced.length)
    out.push(
      "",
      "Not priced (left out of the total):",
      ...unpriced.map((u) => `- \`${short(u.resource)}\`: ${u.reason}`),
    );
  return [...out, "", "</details>"];
}

function treeSection(tree: string | undefined, count: number): string[] {
  if (!tree) return [];
  const text =
    tree.length > TREE_LIMIT ? `${tree.slice(0, TREE_LIMIT)}\n… truncated: the full plan is in the job log` : tree;
  return [
    `<details><summary>Full plan output: resource tree (${count} resources), cost table and difference</summary>`,
    "",
    "```text",
    text.replace(/```/g, "'''"),
    "```",
    "",
    "</details>",
  ];
}

function statusOf(exitCode: number | undefined): string {
  if (exitCode === undefined || exitCode === 0) return "planned";
  if (exitCode === 1) return "**failed** (a mandatory policy is violated)";
  if (exitCode === 2) return "**failed**: invalid configuration";
  if (exitCode === 3) return "**failed**: the plan could not run";
  return `**failed** (exit ${exitCode})`;
}

/** What changes against the base branch, first: counts, then a warning per stateful replace or delete. */
function changesSection(head: PlanJson, base: PlanJson | undefined): string[] {
  type Resource = { type: string; name: string; inputs: Record<string, unknown> };
  const valid = (list: unknown[] | undefined) =>
    (list ?? []).filter(
      (r): r is Resource =>
        typeof (r as Resource).type === "string" &&
        typeof (r as Resource).name === "string" &&
        typeof (r as Resource).inputs === "object",
    );
  if (!base?.resources?.length || !head.resources?.length) return [];
  const set = compareResources(valid(base.resources), valid(head.resources));
  const { counts } = set;
  const out = [
    `**Changes:** ${counts.create} to create, ${counts.update} to update, ${counts.replace} to replace, ${counts.delete} to delete, ${counts.same} unchanged.`,
  ];
  for (const c of set.changes.filter((c) => c.stateful && (c.action === "replace" || c.action === "delete")))
    out.push(
      "",
      `> [!CAUTION]\n> **${c.action.toUpperCase()}** of a stateful resource (${c.stateful}): \`${c.type}\` \`${c.name}\`${c.replacedBy ? ` (because ${c.replacedBy.join(", ")} changed)` : ""}: its data is lost unless restored from a backup.`,
    );
  const listed = set.changes
    .slice(0, 50)
    .map(
      (c) =>
        `- \`${c.action}\` \`${c.type}\` \`${c.name}\`${c.paths.length ? `: ${c.paths.slice(0, 8).join(", ")}` : ""}`,
    );
  if (listed.length)
    out.push(
      "",
      "<details><summary>Changed resources</summary>",
      "",
      ...listed,
      ...(set.changes.length > 50 ? [`- … and ${set.changes.length - 50} more`] : []),
      "",
      "</details>",
    );
  return out;
}

/** The markdown section for one stack. */
export function renderReport(input: ReportInput): string {
  const head = costOf(input.head, "the head plan");
  const base = costOf(input.base, "the base branch");
  return (
    [
      `### Stack \`${input.stack}\`: ${statusOf(input.exitCode)}`,
      "",
      ...changesSection(input.head, input.base),
      "",
      ...policySection(input.head),
      "",
      ...diffSection(head, base),
      "",
      ...linesSection(input.head),
      "",
      ...treeSection(input.tree, input.head.resources?.length ?? 0),
    ]
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trimEnd() + "\n"
  );
}

function readJson(file: string | undefined): PlanJson | undefined {
  if (!file || !fs.existsSync(file) || fs.statSync(file).size === 0) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as PlanJson;
  } catch {
    return undefined;
  }
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      stack: { type: "string" },
      head: { type: "string" },
      base: { type: "string" },
      tree: { type: "string" },
      "exit-code": { type: "string" },
    },
  });
  if (!values.stack || !values.head) {
    console.error(
      "usage: plan-report.ts --stack NAME --head HEAD.json [--base BASE.json] [--tree TREE.txt] [--exit-code N]",
    );
    return 2;
  }
  const head = readJson(values.head);
  const exitCode = values["exit-code"] === undefined ? undefined : Number(values["exit-code"]);
  const tree = values.tree && fs.existsSync(values.tree) ? fs.readFileSync(values.tree, "utf8") : undefined;
  if (!head) {
    // No JSON at all (e.g. invalid configuration): the plan's own messages are the report.
    process.stdout.write(
      `### Stack \`${values.stack}\`: ${statusOf(exitCode ?? 1)}\n\n\`\`\`text\n${(tree ?? "no output").slice(0, TREE_LIMIT)}\n\`\`\`\n`,
    );
    return 0;
  }
  process.stdout.write(renderReport({ stack: values.stack, head, base: readJson(values.base), tree, exitCode }));
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
