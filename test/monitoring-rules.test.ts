import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { maxConnectionsFor } from "../components/database";
import { emitMonitoring } from "../tools/plan/emit-monitoring";
import { KNOWN_METRICS } from "../components/monitoring/metrics";
import { PROJECT_DIR } from "./helpers/program";
import { requireTool } from "./helpers/tools";
import {
  dependentRules,
  failuresOf,
  promtoolRules,
  splitUnitTests,
  type PromtoolRun,
  type RuleGroup,
  type UnitTestCase,
} from "./helpers/promtool";

/**
 * The rendered rule file and dashboards, checked with the real Prometheus tooling: `promtool check
 * rules` on the rules (and on every dashboard query), `promtool test rules` with the series in
 * test/fixtures/monitoring/rules.test.yaml, which assert each alert fires when it should and
 * stays silent when it should not. Each tool runs once for all its files (test/helpers/promtool.ts):
 * the fixture's unit tests each against the rule groups of their own alerts, each reported by name.
 */
const promtool = requireTool("promtool");
const FIXTURE = path.join(PROJECT_DIR, "test/fixtures/monitoring/rules.test.yaml");
const REQUIRED_ALERTS = [
  "TargetDown",
  "HighErrorRate",
  "HighLatency",
  "DatabaseConnectionFailures",
  "HighCpu",
  "HighMemory",
  "LowDisk",
  "PiOverTemperature",
  "PiFilesystemReadOnly",
  "EdgeCertificateExpiring",
  // The Pi's AWS access (IAM Roles Anywhere) lapses with its certificate.
  "EdgeIdentityCertificateExpiring",
  "PiThrottled",
  "EdgeAppUnhealthy",
  // One per expected Pi: a Pi that goes dark sends nothing the other edge alerts could see.
  "EdgeSilent",
  "DatabaseBackupStale",
  "DatabaseHighCpu",
  "DatabaseConnectionsHigh",
  "DatabaseLowStorage",
  "CacheHighMemory",
  "CacheEvictions",
  // One per expected Pi, like EdgeSilent.
  "EdgeBackupStale",
  // One per expected Pi whose logs go to Loki.
  "EdgeLogsSilent",
];

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Panel {
  title: string;
  targets: { expr: string }[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

/** The fixture's unit tests by name, known before the rules are rendered (one test below each). */
const FIXTURE_TESTS = (parse(fs.readFileSync(FIXTURE, "utf8")) as { tests: { name: string }[] }).tests.map(
  (t) => t.name,
);

const PROMQL_KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan"]);

/** The metric names a PromQL expression selects (a light tokenizer, enough for these queries). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .filter((m) => !/^\s*\(/.test(bare.slice((m.index ?? 0) + m[0].length)) && !PROMQL_KEYWORDS.has(m[0].toLowerCase()))
    .map((m) => m[0]);
}

/** Grafana's variables replaced by what Prometheus would see for "All". */
const withoutVariables = (expr: string) => expr.replace(/\$__rate_interval/g, "5m").replace(/\$(site|job)\b/g, ".*");

describe("monitoring rules and dashboards (promtool)", { skip: promtool.skip }, () => {
  let dir = "";
  let written: string[] = [];
  let rules: Rule[] = [];
  let dashboards: Dashboard[] = [];
  let groups: RuleGroup[] = [];
  let cases: UnitTestCase[] = [];
  let checkRun: PromtoolRun | undefined;
  let testRun: PromtoolRun | undefined;
  /** `promtool check rules` on the rule file and the dashboards' queries, in one process. */
  const checked = (): PromtoolRun =>
    (checkRun ??= promtoolRules(
      promtool.path as string,
      "check",
      ["monitoring/rules.yaml", "dashboard-queries.yaml"],
      dir,
    ));
  /** `promtool test rules` on every case's file, in one process. */
  const tested = (): PromtoolRun =>
    (testRun ??= promtoolRules(
      promtool.path as string,
      "test",
      cases.map((c) => c.file),
      path.join(dir, "monitoring"),
    ));

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "monitoring-rules-"));
    // As a stack with one Pi (site "home", the fixtures' label) sending its metrics.
    // As prod's default database class (db.t4g.medium: max_connections 450, the alert at 360).
    written = emitMonitoring(dir, ["home"], undefined, maxConnectionsFor("db.t4g.medium"));
    fs.copyFileSync(FIXTURE, path.join(dir, "monitoring/rules.test.yaml"));
    groups = (parse(fs.readFileSync(path.join(dir, "monitoring/rules.yaml"), "utf8")) as { groups: RuleGroup[] })
      .groups;
    rules = groups.flatMap((g) => g.rules as Rule[]);
    dashboards = written
      .filter((f) => f.endsWith(".json"))
      .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Dashboard);
    const exprs = dashboards.flatMap((d) => d.panels.flatMap((p) => p.targets.map((t) => withoutVariables(t.expr))));
    fs.writeFileSync(
      path.join(dir, "dashboard-queries.yaml"),
      stringify({
        groups: [{ name: "dashboards", rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }],
      }),
    );
    cases = splitUnitTests(FIXTURE, groups, path.join(dir, "monitoring"));
  });

  it("emits the rule file and one JSON file per dashboard under monitoring/", () => {
    assert.deepEqual([...written].sort(), [
      "monitoring/dashboards/app.json",
      "monitoring/dashboards/data.json",
      "monitoring/dashboards/infrastructure.json",
      "monitoring/dashboards/pi.json",
      "monitoring/rules.yaml",
    ]);
  });

  it("promtool check rules accepts the rule file", () => {
    const result = checked().byFile.get("monitoring/rules.yaml") ?? "";
    assert.match(result, new RegExp(`SUCCESS: ${REQUIRED_ALERTS.length} rules found`), checked().output);
  });

  it("no rule reads another's result (no recording rule, no ALERTS series): each case can run on its alerts' own groups", () => {
    assert.deepEqual(dependentRules(groups), []);
    assert.equal(new Set(FIXTURE_TESTS).size, FIXTURE_TESTS.length, "the fixture's unit tests have unique names");
    assert.deepEqual(
      cases.map((c) => c.name),
      FIXTURE_TESTS,
    );
    for (const c of cases) assert.ok(c.groups.length > 0 && c.alerts.length > 0, c.name);
  });

  it("promtool test rules: each alert fires when it should and stays silent when it should not", () => {
    const result = tested();
    assert.equal(result.status, 0, result.output);
    assert.equal(result.byFile.size, cases.length, result.output);
  });

  describe("promtool test rules, case by case", () => {
    for (const name of FIXTURE_TESTS)
      it(name, () => {
        const own = cases.find((c) => c.name === name);
        assert.ok(own, `${name}: no test file written`);
        const result = tested().byFile.get(own.file);
        assert.ok(result !== undefined, `${name} (${own.file}) not in promtool's output:\n${tested().output}`);
        const failed = `${name} (its rule groups: ${own.groups.join(", ")}):\n${failuresOf(tested(), name)}`;
        assert.match(result, /^\s+SUCCESS\s*$/m, failed);
      });
  });

  it("the unit tests cover both sides of the key thresholds", () => {
    const tests = (
      parse(fs.readFileSync(FIXTURE, "utf8")) as {
        tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
      }
    ).tests;
    const cases = tests.flatMap((t) => t.alert_rule_test);
    const fires = new Set(cases.filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname));
    const silent = new Set(cases.filter((c) => c.exp_alerts.length === 0).map((c) => c.alertname));
    for (const alert of REQUIRED_ALERTS) assert.ok(fires.has(alert), `${alert} is shown to fire`);
    for (const alert of [
      "HighErrorRate",
      "PiOverTemperature",
      "PiThrottled",
      "EdgeAppUnhealthy",
      "TargetDown",
      "EdgeSilent",
      "EdgeCertificateExpiring",
      "EdgeIdentityCertificateExpiring",
      "PiFilesystemReadOnly",
      "DatabaseBackupStale",
      "EdgeBackupStale",
      "DatabaseHighCpu",
      "DatabaseLowStorage",
      "CacheHighMemory",
      "CacheEvictions",
      "EdgeLogsSilent",
    ]) {
      assert.ok(silent.has(alert), `${alert} is shown to stay silent`);
    }
  });

  it("every required alert exists once, with a severity, a summary and a description", () => {
    assert.deepEqual(rules.map((r) => r.alert).sort(), [...REQUIRED_ALERTS].sort());
    for (const rule of rules) {
      assert.match(rule.labels?.severity ?? "", /^(critical|warning)$/, `${rule.alert} severity`);
      assert.ok(rule.annotations?.summary, `${rule.alert} summary`);
      assert.ok(rule.annotations?.description, `${rule.alert} description`);
      assert.ok(rule.for, `${rule.alert} has a for: duration`);
    }
    const errors = rules.find((r) => r.alert === "HighErrorRate");
    assert.equal(errors?.labels?.severity, "critical");
    assert.equal(errors?.for, "2m");
    assert.match(errors?.expr ?? "", /status=~"5\.\."\}.*> 0\.1$/);
    assert.match(rules.find((r) => r.alert === "PiOverTemperature")?.expr ?? "", /^pi_cpu_temperature_celsius > 80$/);
    assert.equal(
      rules.find((r) => r.alert === "PiOverTemperature")?.labels?.severity,
      "critical",
      "> 80 °C is critical",
    );
    assert.equal(rules.find((r) => r.alert === "PiFilesystemReadOnly")?.labels?.severity, "critical");
  });

  it("dashboards are valid JSON with unique uids, and every panel has a query", () => {
    assert.equal(dashboards.length, 4);
    const uids = dashboards.map((d) => d.uid);
    assert.ok(uids.every(Boolean));
    assert.equal(new Set(uids).size, uids.length, "unique uids");
    for (const d of dashboards) {
      assert.ok(d.title && d.panels.length > 0, d.uid);
      for (const p of d.panels)
        assert.ok(p.targets.length > 0 && p.targets.every((t) => t.expr), `${d.uid}: ${p.title}`);
    }
  });

  it("every dashboard query is valid PromQL (promtool parses it as a recording rule)", () => {
    const result = checked();
    assert.equal(result.status, 0, result.output);
    const queries = dashboards.flatMap((d) => d.panels.flatMap((p) => p.targets)).length;
    assert.match(result.byFile.get("dashboard-queries.yaml") ?? "", new RegExp(`SUCCESS: ${queries} rules found`));
  });

  it("rules and dashboards query only metrics the app, the Pi, node exporter, kube-state-metrics or the kubelet expose", () => {
    const queries = [
      ...rules.map((r) => ({ where: `rule ${r.alert}`, expr: r.expr })),
      ...dashboards.flatMap((d) =>
        d.panels.flatMap((p) => p.targets.map((t) => ({ where: `${d.uid}: ${p.title}`, expr: t.expr }))),
      ),
    ];
    for (const { where, expr } of queries) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `${where}: selects a metric`);
      for (const name of names) assert.ok(KNOWN_METRICS.has(name), `${where}: unknown metric ${name}`);
    }
    assert.deepEqual(metricNames('histogram_quantile(0.95, sum by (le) (rate(foo_bucket{a="b"}[5m]))) > bar'), [
      "foo_bucket",
      "bar",
    ]);
  });
});
