import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";

/**
 * promtool over many files in one process: `promtool check rules A B...` and `promtool test rules
 * A B...` each take a list and report every file under its own header ("Checking A", "Unit Testing:
 * A"), so a test runs the tool once and still fails naming the file (and so the case) that failed.
 */
export interface PromtoolRun {
  status: number;
  /** stdout and stderr, for a failure message. */
  output: string;
  /** Each file's part of stdout, by the file name as given: its header, then SUCCESS or nothing. */
  byFile: Map<string, string>;
  /** stderr: promtool writes every failure there, after the headers, each naming its unit test. */
  failures: string;
}

const HEADERS = { check: /^Checking (.+)$/gm, test: /^Unit Testing:\s+(.+)$/gm } as const;

/** Runs `promtool check rules FILES` or `promtool test rules FILES` in `cwd`, once. */
export function promtoolRules(promtool: string, mode: "check" | "test", files: string[], cwd: string): PromtoolRun {
  const result = spawnSync(promtool, [mode, "rules", ...files], { cwd, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  const byFile = new Map<string, string>();
  const headers = [...result.stdout.matchAll(HEADERS[mode])];
  headers.forEach((header, i) => {
    const end = headers[i + 1]?.index ?? result.stdout.length;
    byFile.set((header[1] ?? "").trim(), result.stdout.slice(header.index, end));
  });
  return {
    status: result.status ?? -1,
    output: `${result.stdout}${result.stderr}`,
    byFile,
    failures: result.stderr,
  };
}

/** The failures promtool reported for the unit test named `name` (all of stderr when none names it). */
export function failuresOf(run: PromtoolRun, name: string): string {
  const own = run.failures.split(/^(?=\s*FAILED:)/m).filter((block) => block.includes(`name: ${name},`));
  return own.length > 0 ? own.join("") : run.failures;
}

export interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string }[];
}

/** One unit test of a promtool test file (the keys this helper reads; the rest is passed through). */
interface UnitTest {
  name: string;
  alert_rule_test?: { alertname: string }[];
  promql_expr_test?: unknown[];
}

export interface UnitTestCase {
  /** The unit test's name in the fixture. */
  name: string;
  /** The test file written for it (relative to the directory promtool runs in). */
  file: string;
  /** The alerts it asserts on, and the rule groups (of the rule file) that hold them. */
  alerts: string[];
  groups: string[];
}

/**
 * Splits a promtool test file into one test file per unit test, each with a rule file holding only
 * the groups of the alerts it asserts on, written under `dir`. promtool evaluates every rule of its
 * rule files at every step: a case over 40 hours at one-minute steps against the whole rule file
 * is most of a run's CPU, against its own group a tenth. Sound only when no rule reads another's
 * result (no recording rules, no ALERTS series): `independentGroups` checks that.
 */
export function splitUnitTests(fixture: string, groups: RuleGroup[], dir: string): UnitTestCase[] {
  const { tests, ...common } = parse(fs.readFileSync(fixture, "utf8")) as { tests: UnitTest[]; rule_files: string[] };
  const groupOf = new Map(groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [[r.alert, g] as const] : []))));
  return tests.map((test, i) => {
    const alerts = [...new Set((test.alert_rule_test ?? []).map((c) => c.alertname))];
    if (alerts.length === 0 || test.promql_expr_test)
      throw new Error(
        `${fixture}: "${test.name}" must assert on alerts only (alert_rule_test) to run on its own groups`,
      );
    const own = groups.filter((g) =>
      alerts.some((alert) => {
        if (!groupOf.has(alert))
          throw new Error(`${fixture}: "${test.name}" asserts on ${alert}, which no rule defines`);
        return groupOf.get(alert) === g;
      }),
    );
    const base = `case-${String(i).padStart(2, "0")}`;
    fs.writeFileSync(path.join(dir, `${base}.rules.yaml`), stringify({ groups: own }));
    fs.writeFileSync(
      path.join(dir, `${base}.test.yaml`),
      stringify({ ...common, rule_files: [`${base}.rules.yaml`], tests: [test] }),
    );
    return { name: test.name, file: `${base}.test.yaml`, alerts, groups: own.map((g) => g.name) };
  });
}

/** Why the groups cannot be tested apart: a recording rule, or a rule reading the ALERTS series. */
export function dependentRules(groups: RuleGroup[]): string[] {
  return groups.flatMap((g) =>
    g.rules
      .filter((r) => r.record !== undefined || /\bALERTS(_FOR_STATE)?\b/.test(r.expr))
      .map((r) => `${g.name}: ${r.record ?? r.alert ?? "?"}`),
  );
}
