import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { environmentDefaults, loadConfig } from "../config";
import {
  ALLOY_CHART,
  DELETE_REQUESTS_PREFIX,
  GRAFANA_CHART_REPO,
  LIFECYCLE_MARGIN_DAYS,
  LOKI_CHART,
  LOKI_DATA_PREFIXES,
  LOKI_PORT,
  LOKI_PUSH_PATH,
  LOKI_SERVICE_ACCOUNT,
  NONCURRENT_VERSION_DAYS,
  renderAlloyConfig,
} from "../components/monitoring/logs";
import { LOKI_DATASOURCE_UID } from "../components/monitoring/release-values";
import { captured, entry, item } from "./helpers/assert";
import { chartFixture, keyPaths, missingKeys } from "./helpers/chart-values";
import { sourceFor } from "./helpers/config";
import { one, ofType, planFor, type Plan, PROJECT_DIR, STACKS } from "./helpers/program";

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
  const loki = lokiRelease(plan, stack).inputs.values.loki;
  assert.equal(loki.limits_config.retention_period, `${days * 24}h`);
  assert.equal(loki.compactor.retention_enabled, true, "the compactor applies the retention");
  assert.equal(loki.compactor.delete_request_store, "s3");
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
      const rule = encryption.inputs.rules[0];
      assert.equal(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
      assert.match(
        rule.applyServerSideEncryptionByDefault.kmsMasterKeyId,
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
      const policy = JSON.parse(one(plan, "aws:s3/bucketPolicy:BucketPolicy", `${name}-logs-tls-only`).inputs.policy);
      assert.deepEqual(policy.Statement[0].Condition, { Bool: { "aws:SecureTransport": "false" } });
      assert.equal(policy.Statement[0].Effect, "Deny");
      assert.equal(
        one(plan, "aws:s3/bucketVersioning:BucketVersioning", `${name}-logs-versioning`).inputs.versioningConfiguration
          .status,
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
        lokiRelease(plan, stack).inputs.values.loki.compactor.delete_request_store_key_prefix,
        DELETE_REQUESTS_PREFIX,
      );
      for (const prefix of LOKI_DATA_PREFIXES) assert.ok(!DELETE_REQUESTS_PREFIX.startsWith(prefix));
    });

    it(`${stack}: retention ${defaults.retentionDays} days from platform:monitoring.logs, in Loki and in the bucket's lifecycle`, () => {
      assertRetention(planFor(stack), stack, defaults.retentionDays);
    });

    it(`${stack}: Loki's IRSA role is for its service account only, and may touch only its bucket and that bucket's key through S3`, () => {
      const plan = planFor(stack);
      const trust = JSON.parse(one(plan, "aws:iam/role:Role", `${name}-loki`).inputs.assumeRolePolicy);
      const subjects = Object.entries(trust.Statement[0].Condition.StringEquals as Record<string, string>).filter(
        ([k]) => k.endsWith(":sub"),
      );
      assert.deepEqual(
        subjects.map(([, v]) => v),
        [`system:serviceaccount:monitoring:${LOKI_SERVICE_ACCOUNT}`],
      );
      const bucketArn = `arn:aws:s3:::${one(plan, "aws:s3/bucket:Bucket", `${name}-logs`).inputs.bucket ?? `${name}-logs`}`;
      const statements = JSON.parse(one(plan, "aws:iam/rolePolicy:RolePolicy", `${name}-loki-bucket`).inputs.policy)
        .Statement as {
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
      const values = lokiRelease(plan, stack).inputs.values;
      assert.equal(values.serviceAccount.name, LOKI_SERVICE_ACCOUNT);
      assert.match(values.serviceAccount.annotations["eks.amazonaws.com/role-arn"], new RegExp(`role/${name}-loki$`));
      assert.deepEqual(values.loki.storage.bucketNames.chunks, `${name}-logs`);
    });

    it(`${stack}: both charts pinned from Grafana's repository; Loki a single binary on S3; Alloy a DaemonSet after Loki`, () => {
      const plan = planFor(stack);
      const loki = lokiRelease(plan, stack);
      assert.equal(loki.inputs.chart, LOKI_CHART);
      assert.equal(loki.inputs.version, defaults.lokiChartVersion);
      assert.equal(loki.inputs.repositoryOpts.repo, GRAFANA_CHART_REPO);
      assert.equal(loki.inputs.namespace, "monitoring");
      assert.deepEqual(
        loki.options.dependsOn,
        [`${RELEASE}::${name}-kube-prometheus-stack`],
        "its ServiceMonitor CRD exists first",
      );
      assert.equal(loki.inputs.values.deploymentMode, "SingleBinary");
      assert.equal(loki.inputs.values.singleBinary.replicas, 1);
      for (const target of ["read", "write", "backend"]) assert.equal(loki.inputs.values[target].replicas, 0, target);
      assert.equal(loki.inputs.values.loki.storage.type, "s3");
      assert.equal(loki.inputs.values.minio.enabled, false);

      const alloy = one(plan, RELEASE, `${name}-alloy`);
      assert.equal(alloy.inputs.chart, ALLOY_CHART);
      assert.equal(alloy.inputs.version, defaults.alloyChartVersion);
      assert.equal(alloy.inputs.repositoryOpts.repo, GRAFANA_CHART_REPO);
      for (const version of [loki.inputs.version, alloy.inputs.version]) assert.match(version, /^\d+\.\d+\.\d+$/);
      assert.equal(alloy.inputs.values.controller.type, "daemonset");
      assert.equal(alloy.inputs.values.alloy.mounts.varlog, true, "reads /var/log/pods on its node");
      assert.deepEqual(
        alloy.inputs.values.alloy.extraEnv,
        [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
        'the config\'s sys.env("NODE_NAME")',
      );
      assert.ok(alloy.options.dependsOn?.includes(`${RELEASE}::${name}-loki`));
      assert.equal(
        alloy.inputs.values.alloy.configMap.content,
        renderAlloyConfig({ pushUrl: `${LOKI_URL}${LOKI_PUSH_PATH}`, cluster: name }),
      );
      assert.ok(
        !alloy.inputs.values.alloy.configMap.content.includes("{{"),
        "the chart passes the content through tpl: no template actions in it",
      );
    });

    it(`${stack}: Grafana has Loki as a data source, at the single binary's Service`, () => {
      const grafana = one(planFor(stack), RELEASE, `${name}-kube-prometheus-stack`).inputs.values.grafana;
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
      one(plan, RELEASE, "platform-dev-kube-prometheus-stack").inputs.values.grafana.additionalDataSources,
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
    const loki = lokiRelease(plan, "prod").inputs.values;
    const lokiConfig = chartFixture(`loki-3.6.12.config.yaml`);
    const passThrough = {
      "loki.limits_config": lokiConfig.limits_config as Record<string, unknown>,
      "loki.compactor": lokiConfig.compactor as Record<string, unknown>,
      "loki.analytics": lokiConfig.analytics as Record<string, unknown>,
    };
    assert.deepEqual(
      missingKeys(loki, chartFixture(`${LOKI_CHART}-${logs.lokiChartVersion}.values.yaml`), passThrough),
      [],
    );
    assert.ok(keyPaths(loki).includes("loki.compactor.retention_enabled"));

    const alloy = one(plan, RELEASE, "platform-prod-alloy").inputs.values;
    assert.deepEqual(missingKeys(alloy, chartFixture(`${ALLOY_CHART}-${logs.alloyChartVersion}.values.yaml`)), []);

    const kps = chartFixture(`kube-prometheus-stack-${environmentDefaults.prod.monitoring.chartVersion}.values.yaml`);
    const grafana = one(plan, RELEASE, "platform-prod-kube-prometheus-stack").inputs.values.grafana;
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
interface ComponentDoc {
  arguments: string[];
  blocks: Record<string, string[]>;
  exports: string[];
}
const COMPONENTS = parse(
  fs.readFileSync(path.join(PROJECT_DIR, "test/fixtures/alloy-1.18.1.components.yaml"), "utf8"),
) as Record<string, ComponentDoc>;
const COMPONENT_EXPORTS: Record<string, string[]> = Object.fromEntries(
  Object.entries(COMPONENTS).map(([c, doc]) => [c, doc.exports]),
);

/** Each top-level block's body: its attribute names outside nested blocks, and each nested block's attribute names. */
function blockBodies(text: string): { component: string; attributes: string[]; blocks: [string, string[]][] }[] {
  return [...text.matchAll(/^([a-z_.]+) "[^"]*" \{\n([\s\S]*?)^\}$/gm)].map((m) => {
    const body = captured(m, 2, "block body");
    const blocks: [string, string[]][] = [...body.matchAll(/^ {2}([a-z_.]+) \{(?:\}|\n([\s\S]*?)^ {2}\})$/gm)].map(
      (b) => [
        captured(b, 1, "nested block"),
        [...(b[2] ?? "").matchAll(/^ {4}(\w+)\s+=/gm)].map((a) => captured(a, 1, "attribute")),
      ],
    );
    const attributes = [...body.matchAll(/^ {2}(\w+)\s+=/gm)].map((a) => captured(a, 1, "attribute"));
    return { component: captured(m, 1, "component"), attributes, blocks };
  });
}

function parseAlloy(text: string): { blocks: Map<string, string>; references: string[] } {
  // Strings out first (their contents may hold braces or dots), then balance.
  const strings: string[] = [];
  const code = text.replace(/"(?:[^"\\\n]|\\.)*"/g, (s) => {
    strings.push(s);
    return `"#${strings.length - 1}"`;
  });
  assert.ok(!code.replace(/"#\d+"/g, "").includes('"'), "every string is closed on its line");
  let depth = 0;
  for (const ch of code) {
    if (ch === "{" || ch === "[") depth++;
    if (ch === "}" || ch === "]") depth--;
    assert.ok(depth >= 0, "no closing brace before its opening one");
  }
  assert.equal(depth, 0, "braces and brackets balanced");
  const blocks = new Map<string, string>();
  for (const match of code.matchAll(/^([a-z_.]+) "#(\d+)" \{$/gm)) {
    const component = captured(match, 1, "component");
    const label = JSON.parse(item(strings, Number(captured(match, 2, "label")), "strings")) as string;
    const id = `${component}.${label}`;
    assert.ok(component in COMPONENT_EXPORTS, `${component} is a known component`);
    assert.ok(!blocks.has(id), `${id} declared once`);
    blocks.set(id, component);
  }
  const references = [...code.matchAll(/=\s*\[?((?:discovery|local|loki)\.[a-z_.]+)\]?$/gm)].map((m) =>
    captured(m, 1, "reference"),
  );
  return { blocks, references };
}

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
    assert.ok(config.includes(`url = "${LOKI_URL}${LOKI_PUSH_PATH}"`));
    assert.match(config, /cluster = "platform-prod",/);
    for (const label of ["namespace", "pod", "container", "app"])
      assert.ok(config.includes(`target_label  = "${label}"`), label);
  });
});
