import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import {
  YACE_ACTIONS,
  YACE_CHART,
  YACE_CHART_VERSION,
  YACE_SERVICE_ACCOUNT,
} from "../components/monitoring/cloudwatch-exporter";
import { CLOUDWATCH_METRICS } from "../components/monitoring/metrics";
import { chartFixture, keyPaths, missingKeys } from "./helpers/chart-values";
import { asRecord, asRecords, asStrings, input, inputJson, inputString, valueAt } from "./helpers/inputs";
import { one, planFor, STACKS } from "./helpers/program";

/**
 * The CloudWatch exporter (YACE) under the plan: pinned chart, values that exist in the chart, a
 * read-only role only its service account can assume, and a discovery config that produces
 * exactly the series the data-tier alerts query.
 */
const RELEASE = "kubernetes:helm.sh/v3:Release";

interface YaceJob {
  type: string;
  regions: string[];
  metrics: { name: string; statistics: string[] }[];
}

/** YACE's series name: aws_<service>_<metric in snake case>_<statistic>. */
function yaceName(type: string, metric: string, statistic: string): string {
  const snake = metric.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  return `aws_${type.replace(/^AWS\//, "").toLowerCase()}_${snake}_${statistic.toLowerCase()}`;
}

describe("CloudWatch exporter (YACE)", () => {
  for (const stack of STACKS) {
    const name = `platform-${stack}`;

    it(`${stack}: the pinned chart, scraped through its ServiceMonitor, with a read-only IRSA role for its service account only`, () => {
      const plan = planFor(stack);
      const release = one(plan, RELEASE, `${name}-cloudwatch-exporter`);
      assert.equal(release.inputs.chart, YACE_CHART);
      assert.equal(release.inputs.version, YACE_CHART_VERSION);
      assert.match(release.inputs.version, /^\d+\.\d+\.\d+$/);
      assert.equal(release.inputs.namespace, "monitoring");
      assert.deepEqual(
        release.options.dependsOn,
        [`${RELEASE}::${name}-kube-prometheus-stack`],
        "the ServiceMonitor CRD exists first",
      );
      assert.equal(input(release, "values.serviceMonitor.enabled"), true);
      assert.equal(input(release, "values.serviceAccount.name"), YACE_SERVICE_ACCOUNT);

      const role = one(plan, "aws:iam/role:Role", `${name}-cloudwatch-exporter`);
      const conditions = asRecord(valueAt(inputJson(role, "assumeRolePolicy"), "Statement.0.Condition.StringEquals"));
      assert.deepEqual(
        Object.entries(conditions)
          .filter(([k]) => k.endsWith(":sub"))
          .map(([, v]) => v),
        [`system:serviceaccount:monitoring:${YACE_SERVICE_ACCOUNT}`],
      );
      const policy = inputJson(
        one(plan, "aws:iam/rolePolicy:RolePolicy", `${name}-cloudwatch-exporter-read`),
        "policy",
      );
      const actions = asRecords(valueAt(policy, "Statement"), "Statement").flatMap((s) =>
        asStrings(s.Action, "Action"),
      );
      assert.deepEqual(actions, [...YACE_ACTIONS]);
      for (const action of actions) assert.match(action, /^(cloudwatch:(Get|List)|tag:Get)/, `${action} is read-only`);
    });

    it(`${stack}: the discovery config yields every series the data-tier alerts query, in the stack's region`, () => {
      const config = parse(
        inputString(one(planFor(stack), RELEASE, `${name}-cloudwatch-exporter`), "values.config"),
      ) as { apiVersion: string; discovery: { jobs: YaceJob[] } };
      assert.equal(config.apiVersion, "v1alpha1");
      const produced = config.discovery.jobs.flatMap((job) =>
        job.metrics.flatMap((m) => m.statistics.map((s) => yaceName(job.type, m.name, s))),
      );
      for (const metric of Object.values(CLOUDWATCH_METRICS))
        assert.ok(produced.includes(metric), `${metric} is exported`);
      for (const job of config.discovery.jobs) assert.deepEqual(job.regions, ["us-east-1"]);
    });
  }

  it("every value set exists in the chart's values.yaml at the pinned version", () => {
    const chart = chartFixture(`${YACE_CHART}-${YACE_CHART_VERSION}.values.yaml`);
    const values = one(planFor("prod"), RELEASE, "platform-prod-cloudwatch-exporter").inputs.values as Record<
      string,
      unknown
    >;
    assert.deepEqual(missingKeys(values, chart), [], "every value set is a chart value");
    const paths = keyPaths(values);
    assert.ok(
      paths.includes("serviceMonitor.interval") && paths.includes("serviceAccount.annotations"),
      paths.join(", "),
    );
  });
});
