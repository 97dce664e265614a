import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { environmentDefaults, loadConfig } from "../config";
import {
  ALLOY_CHART,
  CLUSTER_TENANT,
  DELETE_REQUESTS_PREFIX,
  GRAFANA_CHART_REPO,
  LIFECYCLE_MARGIN_DAYS,
  LOKI_CHART,
  LOKI_DATA_PREFIXES,
  LOKI_PORT,
  LOKI_PUSH_PATH,
  LOKI_SERVICE_ACCOUNT,
  lokiTenants,
  NONCURRENT_VERSION_DAYS,
  renderAlloyConfig,
} from "../components/monitoring/logs";
import { siteLogsProxyTarget, siteLogsPushUrl } from "../components/monitoring/remote-write";
import { sitePort, siteTenant } from "../components/monitoring/write-gateway";
import { LOKI_DATASOURCE_UID } from "../components/monitoring/release-values";
import { blockBodies, COMPONENT_EXPORTS, COMPONENTS, parseAlloy } from "./helpers/alloy";
import { entry, item } from "./helpers/assert";
import { chartFixture, keyPaths, missingKeys } from "./helpers/chart-values";
import { loadCloud, sourceFor } from "./helpers/config";
import { asRecord, asRecords, asString, input, inputJson, inputRecord, inputString, valueAt } from "./helpers/inputs";
import { one, ofType, planFor, type Plan, STACKS } from "./helpers/program";

/**
 * Logs under the plan: Loki's own bucket (KMS, private, TLS-only, lifecycle after the retention),
 * an IRSA role scoped to it, both charts pinned with values that exist in them, the retention from
 * `platform:monitoring.logs` per environment, Alloy's pipeline whole, and Grafana's data source.
 */
const RELEASE = "kubernetes:helm.sh/v3:Release";
const LOKI_URL = `http://loki.monitoring.svc.cluster.local:${LOKI_PORT}`;

interface LifecycleRule {
  id: string;
  status: string;
  filter: { prefix?: string };
  expiration?: { days?: number; expiredObjectDeleteMarker?: boolean };
  noncurrentVersionExpiration?: { noncurrentDays: number };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

const lokiRelease = (plan: Plan, stack: string) => one(plan, RELEASE, `platform-${stack}-loki`);
const lifecycle = (plan: Plan, stack: string) =>
  one(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", `platform-${stack}-logs-lifecycle`)
    .inputs.rules as LifecycleRule[];

/** Retention as the plan applies it: Loki's limit (hours) and the bucket's expiry of each data prefix. */
function assertRetention(plan: Plan, stack: string, days: number): void {
  const loki = asRecord(input(lokiRelease(plan, stack), "values.loki"), "loki");
  assert.equal(valueAt(loki, "limits_config.retention_period"), `${days * 24}h`);
  assert.equal(valueAt(loki, "compactor.retention_enabled"), true, "the compactor applies the retention");
  assert.equal(valueAt(loki, "compactor.delete_request_store"), "s3");
  const rules = lifecycle(plan, stack);
  for (const prefix of LOKI_DATA_PREFIXES) {
    const rule = rules.find((r) => r.filter.prefix === prefix);
    assert.ok(rule, `a lifecycle rule for ${prefix}`);
    assert.equal(rule.status, "Enabled");
    assert.equal(
      rule.expiration?.days,
      days + LIFECYCLE_MARGIN_DAYS,
      `${prefix} expires after Loki's retention, never before`,
    );
  }
}

describe("Logs (Loki and Alloy)", () => {
  for (const stack of STACKS) {
    const name = `platform-${stack}`;
    const defaults = environmentDefaults[stack].monitoring.logs;

    it(`${stack}: the log bucket is its own, KMS-encrypted with its own rotating key, private, TLS-only, versioned with short-lived old versions`, () => {
      const plan = planFor(stack);
      const bucket = one(plan, "aws:s3/bucket:Bucket", `${name}-logs`);
      assert.equal(bucket.options.protect, stack === "prod", "protected where platform:protect is");
      assert.equal(bucket.inputs.forceDestroy, stack !== "prod");
      const key = one(plan, "aws:kms/key:Key", `${name}-logs-key`);
      assert.equal(key.inputs.enableKeyRotation, true);
      const encryption = one(
        plan,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        `${name}-logs-encryption`,
      );
      const rule = asRecord(input(encryption, "rules.0"), "rule");
      assert.equal(valueAt(rule, "applyServerSideEncryptionByDefault.sseAlgorithm"), "aws:kms");
      assert.match(
        asString(valueAt(rule, "applyServerSideEncryptionByDefault.kmsMasterKeyId")),
        new RegExp(`key/${name}-logs-key$`),
        "the log bucket's own key",
      );
      assert.equal(rule.bucketKeyEnabled, true);
      const publicAccess = one(
        plan,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        `${name}-logs-public-access`,
      ).inputs;
      for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
        assert.equal(publicAccess[flag], true, flag);
      const policy = inputJson(one(plan, "aws:s3/bucketPolicy:BucketPolicy", `${name}-logs-tls-only`), "policy");
      assert.deepEqual(valueAt(policy, "Statement.0.Condition"), { Bool: { "aws:SecureTransport": "false" } });
      assert.equal(valueAt(policy, "Statement.0.Effect"), "Deny");
      assert.equal(
        input(
          one(plan, "aws:s3/bucketVersioning:BucketVersioning", `${name}-logs-versioning`),
          "versioningConfiguration.status",
        ),
        "Enabled",
      );
      const rules = lifecycle(plan, stack);
      const noncurrent = rules.find((r) => r.noncurrentVersionExpiration);
      assert.deepEqual(noncurrent?.filter, {}, "every prefix");
      assert.equal(
        noncurrent?.noncurrentVersionExpiration?.noncurrentDays,
        NONCURRENT_VERSION_DAYS,
        "deleted logs do not linger as old versions",
      );
      assert.equal(noncurrent?.expiration?.expiredObjectDeleteMarker, true);
      assert.ok(rules.some((r) => r.abortIncompleteMultipartUpload?.daysAfterInitiation === 1));
      // Pending delete requests live outside what the lifecycle expires.
      assert.equal(
        input(lokiRelease(plan, stack), "values.loki.compactor.delete_request_store_key_prefix"),
        DELETE_REQUESTS_PREFIX,
      );
      for (const prefix of LOKI_DATA_PREFIXES) assert.ok(!DELETE_REQUESTS_PREFIX.startsWith(prefix));
    });

    it(`${stack}: retention ${defaults.retentionDays} days from platform:monitoring.logs, in Loki and in the bucket's lifecycle`, () => {
      assertRetention(planFor(stack), stack, defaults.retentionDays);
    });

    it(`${stack}: Loki's IRSA role is for its service account only, and may touch only its bucket and that bucket's key through S3`, () => {
      const plan = planFor(stack);
      const trust = inputJson(one(plan, "aws:iam/role:Role", `${name}-loki`), "assumeRolePolicy");
      const subjects = Object.entries(asRecord(valueAt(trust, "Statement.0.Condition.StringEquals"))).filter(([k]) =>
        k.endsWith(":sub"),
      );
      assert.deepEqual(
        subjects.map(([, v]) => v),
        [`system:serviceaccount:monitoring:${LOKI_SERVICE_ACCOUNT}`],
      );
      const bucketArn = `arn:aws:s3:::${one(plan, "aws:s3/bucket:Bucket", `${name}-logs`).inputs.bucket ?? `${name}-logs`}`;
      const statements = asRecord(
        inputJson(one(plan, "aws:iam/rolePolicy:RolePolicy", `${name}-loki-bucket`), "policy"),
      ).Statement as {
        Action: string[];
        Resource: string[];
        Condition?: Record<string, Record<string, string>>;
      }[];
      for (const s of statements) {
        for (const resource of s.Resource)
          assert.ok(
            !resource.includes("*") || resource === `${bucketArn}/*`,
            `${resource} is the bucket, its objects or its key`,
          );
        if (s.Action.some((a) => a.startsWith("s3:")))
          for (const r of s.Resource) assert.ok(r === bucketArn || r === `${bucketArn}/*`, r);
        if (s.Action.some((a) => a.startsWith("kms:"))) {
          assert.deepEqual(
            s.Resource.map((r) => r.replace(/.*key\//, "")),
            [`${name}-logs-key`],
          );
          assert.deepEqual(s.Condition, { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } });
        }
      }
      const values = inputRecord(lokiRelease(plan, stack), "values");
      assert.equal(valueAt(values, "serviceAccount.name"), LOKI_SERVICE_ACCOUNT);
      assert.match(
        asString(valueAt(values, ["serviceAccount", "annotations", "eks.amazonaws.com/role-arn"])),
        new RegExp(`role/${name}-loki$`),
      );
      assert.deepEqual(valueAt(values, "loki.storage.bucketNames.chunks"), `${name}-logs`);
    });

    it(`${stack}: both charts pinned from Grafana's repository; Loki a single binary on S3; Alloy a DaemonSet after Loki`, () => {
      const plan = planFor(stack);
      const loki = lokiRelease(plan, stack);
      assert.equal(input(loki, "chart"), LOKI_CHART);
      assert.equal(input(loki, "version"), defaults.lokiChartVersion);
      assert.equal(input(loki, "repositoryOpts.repo"), GRAFANA_CHART_REPO);
      assert.equal(input(loki, "namespace"), "monitoring");
      assert.deepEqual(
        valueAt(loki, "options.dependsOn"),
        [`${RELEASE}::${name}-kube-prometheus-stack`],
        "its ServiceMonitor CRD exists first",
      );
      assert.equal(input(loki, "values.deploymentMode"), "SingleBinary");
      assert.equal(input(loki, "values.singleBinary.replicas"), 1);
      for (const target of ["read", "write", "backend"])
        assert.equal(input(loki, ["values", target, "replicas"]), 0, target);
      assert.equal(input(loki, "values.loki.storage.type"), "s3");
      assert.equal(input(loki, "values.minio.enabled"), false);

      const alloy = one(plan, RELEASE, `${name}-alloy`);
      assert.equal(input(alloy, "chart"), ALLOY_CHART);
      assert.equal(input(alloy, "version"), defaults.alloyChartVersion);
      assert.equal(input(alloy, "repositoryOpts.repo"), GRAFANA_CHART_REPO);
      for (const version of [inputString(loki, "version"), inputString(alloy, "version")])
        assert.match(version, /^\d+\.\d+\.\d+$/);
      assert.equal(input(alloy, "values.controller.type"), "daemonset");
      assert.equal(input(alloy, "values.alloy.mounts.varlog"), true, "reads /var/log/pods on its node");
      assert.deepEqual(
        input(alloy, "values.alloy.extraEnv"),
        [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
        'the config\'s sys.env("NODE_NAME")',
      );
      assert.ok(alloy.options.dependsOn?.includes(`${RELEASE}::${name}-loki`));
      assert.equal(
        input(alloy, "values.alloy.configMap.content"),
        renderAlloyConfig({ pushUrl: `${LOKI_URL}${LOKI_PUSH_PATH}`, cluster: name }),
      );
      assert.ok(
        !inputString(alloy, "values.alloy.configMap.content").includes("{{"),
        "the chart passes the content through tpl: no template actions in it",
      );
    });

    it(`${stack}: Grafana has Loki as a data source, at the single binary's Service`, () => {
      const grafana = asRecord(
        input(one(planFor(stack), RELEASE, `${name}-kube-prometheus-stack`), "values.grafana"),
        "grafana",
      );
      const loki = (grafana.additionalDataSources as { type: string; uid: string; url: string }[]).filter(
        (d) => d.type === "loki",
      );
      assert.equal(loki.length, 1);
      const source = item(loki, 0, "Loki data sources");
      assert.equal(source.uid, LOKI_DATASOURCE_UID);
      assert.equal(source.url, LOKI_URL);
    });
  }

  it("a stack's retention override reaches Loki and the lifecycle", () => {
    assertRetention(planFor("dev", { "platform:monitoring": { logs: { retentionDays: 14 } } }), "dev", 14);
  });

  it("logs off: no bucket, no Loki, no Alloy, no data source", () => {
    const plan = planFor("dev", { "platform:monitoring": { logs: { enabled: false } } });
    assert.deepEqual(
      ofType(plan, RELEASE)
        .map((r) => r.name)
        .filter((n) => /loki|alloy/.test(n)),
      [],
    );
    assert.equal(ofType(plan, "aws:s3/bucket:Bucket").filter((r) => r.name.endsWith("-logs")).length, 0);
    assert.deepEqual(
      input(one(plan, RELEASE, "platform-dev-kube-prometheus-stack"), "values.grafana.additionalDataSources"),
      [],
    );
  });

  it("bad logs config: every problem named at once", () => {
    const source = sourceFor("dev", {
      "platform:monitoring": {
        logs: { enabled: true, retentionDays: 0, lokiChartVersion: "^7.3.0", alloyChartVersion: "1.11.1" },
      },
    });
    assert.throws(
      () => loadConfig(source),
      (e: Error) => {
        assert.match(e.message, /platform:monitoring\.logs\.retentionDays: got 0/);
        assert.match(
          e.message,
          /platform:monitoring\.logs\.lokiChartVersion: got "\^7\.3\.0"; expected an exact chart version/,
        );
        return true;
      },
    );
  });

  it("every value set exists in the charts' values.yaml at the pinned versions (and Loki's own config keys in its reference)", () => {
    const plan = planFor("prod");
    const logs = environmentDefaults.prod.monitoring.logs;
    const loki = inputRecord(lokiRelease(plan, "prod"), "values");
    const lokiConfig = chartFixture(`loki-3.6.12.config.yaml`);
    const passThrough = {
      "loki.limits_config": lokiConfig.limits_config as Record<string, unknown>,
      "loki.compactor": lokiConfig.compactor as Record<string, unknown>,
      "loki.analytics": lokiConfig.analytics as Record<string, unknown>,
      "loki.querier": lokiConfig.querier as Record<string, unknown>,
    };
    assert.deepEqual(
      missingKeys(loki, chartFixture(`${LOKI_CHART}-${logs.lokiChartVersion}.values.yaml`), passThrough),
      [],
    );
    assert.ok(keyPaths(loki).includes("loki.compactor.retention_enabled"));

    const alloy = inputRecord(one(plan, RELEASE, "platform-prod-alloy"), "values");
    assert.deepEqual(missingKeys(alloy, chartFixture(`${ALLOY_CHART}-${logs.alloyChartVersion}.values.yaml`)), []);

    const kps = chartFixture(`kube-prometheus-stack-${environmentDefaults.prod.monitoring.chartVersion}.values.yaml`);
    const grafana = asRecord(
      input(one(plan, RELEASE, "platform-prod-kube-prometheus-stack"), "values.grafana"),
      "grafana",
    );
    assert.deepEqual(missingKeys({ grafana: { additionalDataSources: grafana.additionalDataSources } }, kps), []);
  });

  it("the check catches a key the chart does not have", () => {
    const chart = chartFixture(
      `${LOKI_CHART}-${environmentDefaults.prod.monitoring.logs.lokiChartVersion}.values.yaml`,
    );
    assert.deepEqual(
      missingKeys({ singleBinary: { replica: 1 }, loki: { limits_config: { retention: "1h" } } }, chart, {
        "loki.limits_config": { retention_period: "0s" },
      }),
      ["singleBinary.replica", "loki.limits_config.retention"],
    );
  });
});

/**
 * Alloy's configuration parsed structurally (no `alloy` Debian package to run `alloy fmt`): strings
 * and braces balanced, each top-level block a known component with a unique label, and every
 * reference (`<component>.<label>.<export>`) naming a declared component's export.
 */
describe("Alloy's configuration", () => {
  const config = renderAlloyConfig({ pushUrl: `${LOKI_URL}${LOKI_PUSH_PATH}`, cluster: "platform-prod" });
  const { blocks, references } = parseAlloy(config);

  it("declares the pipeline from pod discovery to Loki, each reference to a declared component's export", () => {
    assert.deepEqual(
      [...blocks.keys()],
      [
        "discovery.kubernetes.pods",
        "discovery.relabel.pod_logs",
        "local.file_match.pod_logs",
        "loki.source.file.pod_logs",
        "loki.process.pod_logs",
        "loki.write.loki",
      ],
    );
    assert.ok(references.length >= 5, references.join(", "));
    for (const reference of references) {
      const exported = reference.split(".").pop() as string;
      const id = reference.slice(0, -exported.length - 1);
      assert.ok(blocks.has(id), `${reference}: ${id} is declared`);
      assert.ok(
        entry(COMPONENT_EXPORTS, blocks.get(id) as string, "Alloy components").includes(exported),
        `${reference}: ${exported} is an export of ${blocks.get(id)}`,
      );
    }
    // Every component but the source is consumed by the next one.
    for (const id of blocks.keys())
      if (id !== "loki.source.file.pod_logs")
        assert.ok(
          references.some((r) => r.startsWith(`${id}.`)),
          `${id} is used`,
        );
  });

  it("uses only arguments and blocks Alloy 1.18.1 documents for each component", () => {
    const bodies = blockBodies(config);
    assert.equal(bodies.length, blocks.size, "every block's body read");
    for (const { component, attributes, blocks: nested } of bodies) {
      const doc = entry(COMPONENTS, component, "Alloy components");
      for (const attribute of attributes)
        assert.ok(doc.arguments.includes(attribute), `${component}: ${attribute} is an argument`);
      for (const [block, inner] of nested) {
        assert.ok(block in doc.blocks, `${component}: ${block} is a block`);
        for (const attribute of inner)
          assert.ok(
            entry(doc.blocks, block, `${component} blocks`).includes(attribute),
            `${component} > ${block}: ${attribute} is an argument`,
          );
      }
    }
    assert.ok(
      bodies.some((b) => b.blocks.some(([block, inner]) => block === "rule" && inner.includes("replacement"))),
      "nested arguments were read",
    );
  });

  it("tails only this node's pods, from the kubelet's log directory, and pushes to Loki's push API with the cluster label", () => {
    assert.match(config, /field = "spec\.nodeName=" \+ sys\.env\("NODE_NAME"\)/);
    assert.match(config, /replacement\s+= "\/var\/log\/pods\/\*\$1\/\*\.log"/);
    assert.match(config, /stage\.cri \{\}/);
    assert.match(config, new RegExp(`url\\s+= "${LOKI_URL}${LOKI_PUSH_PATH}"`));
    assert.match(config, /tenant_id = "cluster"/, "the cluster's own tenant (Loki is multi-tenant)");
    assert.match(config, /cluster = "platform-prod",/);
    for (const label of ["namespace", "pod", "container", "app"])
      assert.ok(config.includes(`target_label  = "${label}"`), label);
  });
});

describe("Logs from the Pis: tenants, the gateway's site ports and the sites' rights (plan)", () => {
  for (const stack of STACKS) {
    const name = `platform-${stack}`;
    const sites = loadCloud(sourceFor(stack)).edgeSites;

    it(`${stack}: each site (${sites.join(", ")}) a Loki tenant set by the gateway on a port only its own token may reach`, () => {
      const plan = planFor(stack);
      assert.ok(sites.length > 0, "the stack file serves a site");
      const service = one(plan, "kubernetes:core/v1:Service", `${name}-write-gateway`);
      const ports = input(service, "spec.ports") as { name: string; port: number; targetPort: unknown }[];
      const conf = inputString(one(plan, "kubernetes:core/v1:ConfigMap", `${name}-write-gateway`), [
        "data",
        "nginx.conf",
      ]);
      assert.match(conf, /upstream upstream_logs \{\n\s+server loki:3100;/, "Loki's single binary in the namespace");
      for (const site of sites) {
        const port = sitePort(site);
        assert.ok(
          ports.some((p) => p.port === port && p.targetPort === port),
          `${site}: port ${port} on the Service`,
        );
        assert.ok(conf.includes(`listen ${port};`) && conf.includes(`X-Scope-OrgID "${siteTenant(site)}"`), site);
        const role = one(plan, "kubernetes:rbac.authorization.k8s.io/v1:Role", `${name}-site-${site}-logs`);
        assert.deepEqual(input(role, "rules"), [
          {
            apiGroups: [""],
            resources: ["services/proxy"],
            resourceNames: [`edge-write-gateway:${port}`],
            verbs: ["create"],
          },
        ]);
        const binding = one(plan, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", `${name}-site-${site}-logs`);
        assert.equal(input(binding, "roleRef.name"), input(role, "metadata.name"));
        assert.deepEqual(
          asRecords(input(binding, "subjects")).map((s) => s.name),
          [`edge-${site}`],
          "bound to the site's own service account only",
        );
      }
      // No Role grants a site's log port to anyone else, and the shared Role stays on the metrics port.
      const granted = ofType(plan, "kubernetes:rbac.authorization.k8s.io/v1:Role").flatMap((r) =>
        (r.inputs.rules as { resourceNames?: string[] }[]).flatMap((rule) => rule.resourceNames ?? []),
      );
      for (const site of sites) assert.equal(granted.filter((g) => g === siteLogsProxyTarget(site)).length, 1);
    });

    it(`${stack}: Loki multi-tenant, every tenant's chunks under the lifecycle, Grafana reading them all`, () => {
      const plan = planFor(stack);
      const loki = one(plan, RELEASE, `${name}-loki`);
      assert.equal(input(loki, "values.loki.auth_enabled"), true);
      assert.equal(input(loki, "values.loki.querier.multi_tenant_queries_enabled"), true);
      const tenants = lokiTenants(sites);
      assert.deepEqual(tenants, [CLUSTER_TENANT, ...sites.map((site: string) => `edge-${site}`)]);
      const rules = one(
        plan,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        `${name}-logs-lifecycle`,
      ).inputs["rules"] as LifecycleRule[];
      for (const tenant of tenants)
        assert.ok(
          rules.some((r) => r.filter.prefix === `${tenant}/` && r.expiration?.days !== undefined),
          `${tenant}/ expires`,
        );
      const kps = one(plan, RELEASE, `${name}-kube-prometheus-stack`);
      const source = "values.grafana.additionalDataSources.0";
      assert.equal(input(kps, `${source}.jsonData.httpHeaderName1`), "X-Scope-OrgID");
      assert.equal(input(kps, `${source}.secureJsonData.httpHeaderValue1`), tenants.join("|"));
    });
  }

  it("EdgeLogsSilent per site while logs are on, none when they are off (it would only ever fire)", () => {
    const alerts = (plan: Plan) =>
      (
        input(
          one(plan, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", `platform-${plan.stack}-alert-rules`),
          "spec.groups",
        ) as {
          rules: { alert?: string; labels?: { site?: string } }[];
        }[]
      )
        .flatMap((g) => g.rules)
        .filter((r) => r.alert === "EdgeLogsSilent")
        .map((r) => r.labels?.site);
    assert.deepEqual(alerts(planFor("dev")), loadCloud(sourceFor("dev")).edgeSites);
    assert.deepEqual(alerts(planFor("dev", { "platform:monitoring": { logs: { enabled: false } } })), []);
  });

  it("a site's logs URL is its cloud stack's metrics URL with the site's port and Loki's push path", () => {
    const metrics =
      "https://api.example.com/api/v1/namespaces/monitoring/services/edge-write-gateway:8080/proxy/api/v1/write";
    assert.equal(
      siteLogsPushUrl(metrics, "lab"),
      `https://api.example.com/api/v1/namespaces/monitoring/services/edge-write-gateway:${sitePort("lab")}/proxy/loki/api/v1/push`,
    );
    assert.throws(() => siteLogsPushUrl("https://api.example.com/other", "lab"), /does not end in/);
  });
});
