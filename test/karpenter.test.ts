import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse, type Tags } from "yaml";
import { crossFieldProblems, environmentDefaults } from "../config";
import { nodePoolLimits } from "../config/instance-types";
import { NODE_METADATA_OPTIONS } from "../components/cluster";
import {
  DISCOVERY_TAG,
  KARPENTER_CHART,
  KARPENTER_CRD_CHART,
  KARPENTER_HEALTH_PORT,
  KARPENTER_METRICS_PORT,
  KARPENTER_NAMESPACE,
  KARPENTER_REPOSITORY,
  KARPENTER_SERVICE_ACCOUNT,
} from "../components/platform/karpenter";
import {
  INTERRUPTION_EVENTS,
  interruptionQueuePolicy,
  KARPENTER_POLICIES,
  karpenterControllerPolicies,
  type KarpenterScope,
} from "../components/platform/karpenter-iam";
import { karpenterRuleGroup } from "../components/platform/karpenter-rules";
import { renderRuleFile } from "../components/monitoring/rules";
import { estimateCost } from "../cost";
import { PRICES } from "../cost/prices";
import type { CostResource } from "../cost/types";
import { keyPaths, missingKeys } from "./helpers/chart-values";
import {
  ofType,
  one,
  planFor,
  PROJECT_DIR,
  runPlanInProcess,
  stackDirWith,
  STACKS,
  type Plan,
  type PlannedResource,
} from "./helpers/program";
import { requireTool } from "./helpers/tools";
import { asRecord, input } from "./helpers/inputs";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";
const NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool";
const VERSION = environmentDefaults.prod.karpenter.chartVersion;
const ACCOUNT = "123456789012";

type Tree = Record<string, unknown>;
const fixturePath = (file: string) => path.join(PROJECT_DIR, "test/fixtures", file);

/** Upstream's CloudFormation, its intrinsic functions read as plain strings (`!Sub` keeps its `${...}`). */
function cloudFormation(): { Resources: Record<string, { Type: string; Properties: Tree }> } {
  const asString = (tag: string) => ({ tag, resolve: (value: string) => value });
  const customTags: Tags = ["!Sub", "!Ref", "!GetAtt"].map(asString);
  return parse(fs.readFileSync(fixturePath("iam/karpenter-v1.14.1.cloudformation.yaml"), "utf8"), {
    customTags,
  }) as { Resources: Record<string, { Type: string; Properties: Tree }> };
}

const SCOPE: KarpenterScope = {
  clusterName: "platform-prod",
  region: "us-east-1",
  accountId: ACCOUNT,
  nodeRoleArn: `arn:aws:iam::${ACCOUNT}:role/platform-prod-karpenter-node`,
  queueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:platform-prod-karpenter`,
};

/** A `!Sub` policy document of the fixture with upstream's parameters replaced by SCOPE's values. */
function upstreamPolicy(resource: string): unknown {
  const text = cloudFormation().Resources[resource]?.Properties.PolicyDocument;
  assert.equal(typeof text, "string", `${resource} has a PolicyDocument`);
  const substituted = (text as string)
    .replaceAll("${AWS::Partition}", "aws")
    .replaceAll("${AWS::Region}", SCOPE.region)
    .replaceAll("${AWS::AccountId}", SCOPE.accountId)
    .replaceAll("${ClusterName}", SCOPE.clusterName)
    .replaceAll("${KarpenterNodeRole.Arn}", SCOPE.nodeRoleArn)
    .replaceAll("${KarpenterInterruptionQueue.Arn}", SCOPE.queueArn);
  assert.doesNotMatch(substituted, /\$\{/, `${resource}: every parameter replaced`);
  return JSON.parse(substituted);
}

const policyDocument = (r: PlannedResource) => JSON.parse(r.inputs.policy as string) as Tree;
const release = (plan: Plan, stack: string, suffix = "") => one(plan, RELEASE, `platform-${stack}-karpenter${suffix}`);

describe("Karpenter: releases, roles and queue", () => {
  for (const stack of STACKS) {
    const name = `platform-${stack}`;
    it(`${stack}: the CRD chart and the controller chart, pinned to the same version, from ECR Public, on the system pool`, () => {
      const plan = planFor(stack);
      const crds = release(plan, stack, "-crd");
      const controller = release(plan, stack);
      assert.equal(crds.inputs.chart, `${KARPENTER_REPOSITORY}/${KARPENTER_CRD_CHART}`);
      assert.equal(controller.inputs.chart, `${KARPENTER_REPOSITORY}/${KARPENTER_CHART}`);
      assert.match(KARPENTER_REPOSITORY, /^oci:\/\/public\.ecr\.aws\/karpenter$/);
      for (const r of [crds, controller]) {
        assert.equal(r.inputs.version, environmentDefaults[stack].karpenter.chartVersion);
        assert.match(r.inputs.version as string, /^\d+\.\d+\.\d+$/);
        assert.equal(r.inputs.namespace, KARPENTER_NAMESPACE);
      }
      assert.equal(controller.inputs.skipCrds, true, "the CRDs are the karpenter-crd release's (Helm upgrades them)");
      assert.ok(controller.options.dependsOn?.includes(`${RELEASE}::${name}-karpenter-crd`), "after its CRDs");
      assert.ok(
        controller.options.dependsOn?.includes(`aws:eks/nodeGroup:NodeGroup::${name}-nodes`),
        "waits for nodes",
      );

      const values = controller.inputs.values as Tree & {
        settings: Tree;
        serviceAccount: { name: string; annotations: Tree };
        affinity: unknown;
        serviceMonitor: { enabled: boolean };
      };
      assert.equal(values.settings.clusterName, plan.outputs.clusterName);
      assert.equal(values.settings.interruptionQueue, one(plan, "aws:sqs/queue:Queue", `${name}-karpenter`).name);
      assert.equal(values.serviceAccount.name, KARPENTER_SERVICE_ACCOUNT);
      assert.equal(
        values.serviceAccount.annotations["eks.amazonaws.com/role-arn"],
        `arn:aws:iam::${ACCOUNT}:role/${name}-karpenter-controller`,
      );
      const terms = JSON.stringify(values.affinity);
      assert.match(terms, /"key":"karpenter.sh\/nodepool","operator":"DoesNotExist"/, "never on its own nodes");
      assert.match(terms, /"key":"eks.amazonaws.com\/nodegroup","operator":"In"/, "on the managed node group");
      assert.equal(values.serviceMonitor.enabled, environmentDefaults[stack].monitoring.enabled);
    });

    it(`${stack}: the controller's role: only its service account may assume it, upstream's six policies scoped to this cluster`, () => {
      const plan = planFor(stack);
      const trust = JSON.parse(
        one(plan, "aws:iam/role:Role", `${name}-karpenter-controller`).inputs.assumeRolePolicy as string,
      ) as { Statement: { Condition: { StringEquals: Record<string, string> } }[] };
      const subjects = trust.Statement.flatMap((s) =>
        Object.entries(s.Condition.StringEquals)
          .filter(([k]) => k.endsWith(":sub"))
          .map(([, v]) => v),
      );
      assert.deepEqual(subjects, [`system:serviceaccount:${KARPENTER_NAMESPACE}:${KARPENTER_SERVICE_ACCOUNT}`]);
      const attached = ofType(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .filter((a) => a.inputs.role === `${name}-karpenter-controller`)
        .map((a) => a.inputs.policyArn);
      assert.deepEqual(
        attached,
        KARPENTER_POLICIES.map((p) => `arn:aws:iam::${ACCOUNT}:policy/${name}-karpenter-${p}`),
      );
      const expected = karpenterControllerPolicies({
        clusterName: name,
        region: "us-east-1",
        accountId: ACCOUNT,
        nodeRoleArn: `arn:aws:iam::${ACCOUNT}:role/${name}-karpenter-node`,
        queueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}-karpenter`,
      });
      for (const policy of KARPENTER_POLICIES) {
        const document = policyDocument(one(plan, "aws:iam/policy:Policy", `${name}-karpenter-${policy}`));
        assert.deepEqual(document, expected[policy], policy);
      }
      // Every write is conditioned on this cluster's tags; the rest is the node role, the queue, the cluster or reads.
      const unconditioned = new Set(["AllowScopedEC2InstanceAccessActions", "AllowPassingInstanceRole"]);
      for (const s of [...expected.NodeLifecycle.Statement, ...expected.IAMIntegration.Statement])
        if (!unconditioned.has(s.Sid))
          assert.ok(JSON.stringify(s.Condition ?? {}).includes(`kubernetes.io/cluster/${name}`), s.Sid);
      assert.equal(
        expected.IAMIntegration.Statement[0]?.Resource,
        `arn:aws:iam::${ACCOUNT}:role/${name}-karpenter-node`,
      );
      assert.equal(expected.Interruption.Statement[0]?.Resource, `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}-karpenter`);
    });

    it(`${stack}: a node role with upstream's four policies and an EC2_LINUX access entry; the queue (SSE, 5 min) fed by five EventBridge rules`, () => {
      const plan = planFor(stack);
      const role = one(plan, "aws:iam/role:Role", `${name}-karpenter-node`);
      assert.match(role.inputs.assumeRolePolicy as string, /"Service":"ec2.amazonaws.com"/);
      const upstreamNodePolicies = (
        cloudFormation().Resources.KarpenterNodeRole?.Properties.ManagedPolicyArns as string[]
      ).map((arn) => arn.replace("${AWS::Partition}", "aws"));
      const attached = ofType(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .filter((a) => a.inputs.role === `${name}-karpenter-node`)
        .map((a) => a.inputs.policyArn as string);
      assert.deepEqual([...attached].sort(), [...upstreamNodePolicies].sort());
      const entry = one(plan, "aws:eks/accessEntry:AccessEntry", `${name}-karpenter-node`);
      assert.equal(entry.inputs.type, "EC2_LINUX");
      assert.equal(entry.inputs.principalArn, `arn:aws:iam::${ACCOUNT}:role/${name}-karpenter-node`);
      assert.equal(entry.inputs.clusterName, plan.outputs.clusterName);

      const queue = one(plan, "aws:sqs/queue:Queue", `${name}-karpenter`);
      assert.equal(queue.inputs.sqsManagedSseEnabled, true);
      assert.equal(queue.inputs.messageRetentionSeconds, 300);
      const queueArn = `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}-karpenter`;
      const queuePolicy = policyDocument(one(plan, "aws:sqs/queuePolicy:QueuePolicy", `${name}-karpenter`));
      assert.deepEqual(queuePolicy, interruptionQueuePolicy(queueArn));

      const upstreamRules = Object.values(cloudFormation().Resources)
        .filter((r) => r.Type === "AWS::Events::Rule")
        .map((r) => JSON.stringify(r.Properties.EventPattern));
      const rules = ofType(plan, "aws:cloudwatch/eventRule:EventRule").filter((r) =>
        r.name.startsWith(`${name}-karpenter-`),
      );
      assert.deepEqual(
        rules.map((r) => JSON.stringify(JSON.parse(r.inputs.eventPattern as string))).sort(),
        upstreamRules.sort(),
        "upstream's rules, pattern for pattern",
      );
      assert.equal(rules.length, Object.keys(INTERRUPTION_EVENTS).length);
      for (const rule of rules) {
        const target = one(plan, "aws:cloudwatch/eventTarget:EventTarget", rule.name);
        assert.equal(target.inputs.arn, queueArn);
        assert.equal(target.inputs.rule, rule.name);
      }
    });
  }

  it("the controller's policies are upstream's CloudFormation at the chart's version, statement for statement", () => {
    const policies = karpenterControllerPolicies(SCOPE);
    for (const policy of KARPENTER_POLICIES)
      assert.deepEqual(policies[policy], upstreamPolicy(`${policy}Policy`), policy);
    const upstream = cloudFormation().Resources.KarpenterInterruptionQueuePolicy?.Properties.PolicyDocument as {
      Statement: Tree[];
    };
    const ours = interruptionQueuePolicy(SCOPE.queueArn);
    assert.equal(ours.Statement.length, upstream.Statement.length);
    assert.deepEqual(ours.Statement[1]?.Condition, upstream.Statement[1]?.Condition);
    assert.equal(VERSION, "1.14.1", "a new chart version needs its policies (and this fixture) compared again");
  });

  it("every chart value set exists in the chart's values.yaml at the pinned version", () => {
    const values = release(planFor("prod"), "prod").inputs.values as Tree;
    const chart = parse(fs.readFileSync(fixturePath(`charts/karpenter-${VERSION}.values.yaml`), "utf8")) as Tree;
    assert.deepEqual(missingKeys(values, chart), [], "every value set is a chart value");
    const paths = keyPaths(values);
    for (const key of ["settings.clusterName", "settings.interruptionQueue", "serviceAccount.annotations", "affinity"])
      assert.ok(paths.includes(key), key);
    // The ports the namespace's NetworkPolicy admits are the chart's.
    const controller = chart.controller as { metrics: { port: number }; healthProbe: { port: number } };
    assert.equal(controller.metrics.port, KARPENTER_METRICS_PORT);
    assert.equal(controller.healthProbe.port, KARPENTER_HEALTH_PORT);
  });
});

/** Every dotted field path of a custom resource's spec (list items as `[]`), for the CRD fixture. */
function specPaths(value: unknown, prefix: string): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => specPaths(item, `${prefix}[]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value as Tree).flatMap(([k, v]) => {
    const here = `${prefix}.${k}`;
    // Tag maps and label values are free-form: their keys are data, not fields.
    return ["tags", "limits"].includes(k) ? [here] : [here, ...specPaths(v, here)];
  });
}

describe("Karpenter: NodePool and EC2NodeClass", () => {
  const crdFields = parse(
    fs.readFileSync(fixturePath(`charts/karpenter-${VERSION}.crd-fields.yaml`), "utf8"),
  ) as Record<string, { paths: string[] }>;

  for (const stack of STACKS) {
    const name = `platform-${stack}`;
    const config = environmentDefaults[stack].karpenter;
    it(`${stack}: the node class: IMDSv2 required with hop limit 1, encrypted gp3 root, the pinned AMI, subnets and security group by discovery tag`, () => {
      const plan = planFor(stack);
      const nodeClass = one(plan, NODE_CLASS, `${name}-karpenter-node-class`);
      const spec = nodeClass.inputs.spec as Tree & {
        metadataOptions: Tree;
        blockDeviceMappings: { deviceName: string; ebs: Tree }[];
        amiSelectorTerms: { alias: string }[];
        subnetSelectorTerms: unknown;
        securityGroupSelectorTerms: unknown;
        tags: Tree;
      };
      assert.equal(spec.metadataOptions.httpTokens, "required");
      assert.equal(spec.metadataOptions.httpPutResponseHopLimit, 1);
      assert.equal(spec.metadataOptions.httpEndpoint, "enabled");
      const template = one(plan, "aws:ec2/launchTemplate:LaunchTemplate", `${name}-nodes`);
      for (const key of ["httpTokens", "httpPutResponseHopLimit", "httpEndpoint"] as const)
        assert.equal(
          spec.metadataOptions[key],
          asRecord(input(template, "metadataOptions"))[key],
          `${key} as on the system pool`,
        );
      assert.equal(NODE_METADATA_OPTIONS.httpPutResponseHopLimit, 1);
      assert.deepEqual(spec.blockDeviceMappings, [
        {
          deviceName: "/dev/xvda",
          ebs: {
            volumeSize: `${environmentDefaults[stack].cluster.nodeDiskGb}Gi`,
            volumeType: "gp3",
            encrypted: true,
            deleteOnTermination: true,
          },
        },
      ]);
      assert.deepEqual(spec.amiSelectorTerms, [{ alias: config.amiAlias }]);
      assert.match(config.amiAlias, /^al2023@v\d{8}$/, "a pinned release, never @latest");
      const discovery = [{ tags: { [DISCOVERY_TAG]: plan.outputs.clusterName } }];
      assert.deepEqual(spec.subnetSelectorTerms, discovery);
      assert.deepEqual(spec.securityGroupSelectorTerms, discovery);
      assert.equal(spec.role, `${name}-karpenter-node`);
      const provider = plan.resources.find((r) => r.type === "pulumi:providers:aws" && r.name === "aws");
      const defaultTags = JSON.parse(provider?.inputs.defaultTags as string) as { tags: Tree };
      assert.deepEqual(spec.tags, defaultTags.tags, "the stack's tags on what Karpenter launches");

      // What the selectors find: the private subnets (and only they) and the nodes' security group carry the tag.
      const vpc = one(plan, "awsx:ec2:Vpc", `${name}-vpc`);
      const specs = vpc.inputs.subnetSpecs as { name: string; tags: Tree }[];
      const tagged = specs.filter((s) => s.tags[DISCOVERY_TAG] === plan.outputs.clusterName).map((s) => s.name);
      assert.deepEqual(tagged, ["private"]);
      const sgTag = one(plan, "aws:ec2/tag:Tag", `${name}-karpenter-discovery-sg`);
      assert.equal(sgTag.inputs.key, DISCOVERY_TAG);
      assert.equal(sgTag.inputs.value, plan.outputs.clusterName);
      assert.match(sgTag.inputs.resourceId as string, /^sg-/);
      for (const field of specPaths(spec, "spec"))
        assert.ok(crdFields.EC2NodeClass?.paths.includes(field), `${field} is an EC2NodeClass field`);
    });

    it(`${stack}: the node pool: arm64 of the configured types and capacity (${config.capacityTypes.join(", ")}), limits of maxNodes (${config.maxNodes}) largest nodes, consolidation and expiry`, () => {
      const plan = planFor(stack);
      const pool = one(plan, NODE_POOL, `${name}-karpenter-node-pool`);
      const spec = pool.inputs.spec as {
        template: {
          spec: { requirements: { key: string; operator: string; values: string[] }[]; expireAfter: string };
        };
        disruption: Tree;
        limits: { cpu: string; memory: string };
      };
      const requirement = (key: string) => spec.template.spec.requirements.find((r) => r.key === key);
      assert.deepEqual(requirement("kubernetes.io/arch"), {
        key: "kubernetes.io/arch",
        operator: "In",
        values: ["arm64"],
      });
      assert.deepEqual(requirement("karpenter.sh/capacity-type")?.values, config.capacityTypes);
      assert.deepEqual(requirement("node.kubernetes.io/instance-type")?.values, config.instanceTypes);
      assert.equal(spec.template.spec.expireAfter, config.expireAfter);
      assert.equal(spec.disruption.consolidationPolicy, "WhenEmptyOrUnderutilized");
      assert.equal(spec.disruption.consolidateAfter, config.consolidateAfter);
      const limits = nodePoolLimits(config.instanceTypes, config.maxNodes);
      assert.deepEqual(spec.limits, { cpu: String(limits?.cpu), memory: `${limits?.memoryGib}Gi` });
      for (const field of specPaths(spec, "spec"))
        assert.ok(crdFields.NodePool?.paths.includes(field), `${field} is a NodePool field`);
      assert.ok(
        pool.options.dependsOn?.includes(`${NODE_CLASS}::${name}-karpenter-node-class`),
        "after its node class",
      );
      assert.ok(pool.options.dependsOn?.includes(`${RELEASE}::${name}-karpenter`), "deleted before the controller");
    });
  }

  it("dev allows Spot and on-demand, prod on-demand only (config/defaults.ts)", () => {
    assert.deepEqual(environmentDefaults.dev.karpenter.capacityTypes, ["spot", "on-demand"]);
    assert.deepEqual(environmentDefaults.prod.karpenter.capacityTypes, ["on-demand"]);
    const values = (stack: "dev" | "prod") =>
      (
        one(planFor(stack), NODE_POOL).inputs.spec as {
          template: { spec: { requirements: { key: string; values: string[] }[] } };
        }
      ).template.spec.requirements.find((r) => r.key === "karpenter.sh/capacity-type")?.values;
    assert.deepEqual(values("dev"), ["spot", "on-demand"]);
    assert.deepEqual(values("prod"), ["on-demand"]);
  });

  it("limits follow the configuration: maxNodes 4 of m7g.xlarge is 16 vCPU and 64 GiB", () => {
    const plan = planFor("dev", {
      "platform:karpenter": { instanceTypes: ["t4g.medium", "m7g.xlarge"], maxNodes: 4, capacityTypes: ["spot"] },
    });
    const spec = one(plan, NODE_POOL).inputs.spec as { limits: Tree };
    assert.deepEqual(spec.limits, { cpu: "16", memory: "64Gi" });
  });

  it("with karpenter.enabled false: no Karpenter resource, no discovery tag on the subnets", () => {
    const plan = planFor("dev", { "platform:karpenter": { enabled: false } });
    assert.deepEqual(
      plan.resources.filter((r) => r.name.includes("karpenter")).map((r) => `${r.type}::${r.name}`),
      [],
    );
    const specs = one(plan, "awsx:ec2:Vpc").inputs.subnetSpecs as { tags: Tree }[];
    assert.ok(
      specs.every((s) => !(DISCOVERY_TAG in s.tags)),
      "no subnet tagged",
    );
  });
});

describe("Karpenter: bad input", () => {
  const merged = (karpenter: Record<string, unknown>) => ({
    cluster: { ...environmentDefaults.prod.cluster },
    karpenter: { ...environmentDefaults.prod.karpenter, ...karpenter },
  });
  it("the limit check compares both dimensions with the system pool at its maximum, and is off with Karpenter", () => {
    const karpenterPaths = (k: Record<string, unknown>) =>
      crossFieldProblems(merged(k))
        .filter((p) => p.path[0] === "karpenter")
        .map((p) => p.path.join("."));
    // prod's system pool: 10 × m7g.large = 20 vCPU, 80 GiB.
    assert.deepEqual(karpenterPaths({ maxNodes: 5, instanceTypes: ["m7g.xlarge"] }), [], "20 vCPU, 80 GiB: enough");
    assert.deepEqual(karpenterPaths({ maxNodes: 9, instanceTypes: ["m7g.large"] }), ["karpenter.maxNodes"]);
    assert.deepEqual(
      karpenterPaths({ maxNodes: 19, instanceTypes: ["t4g.medium"] }),
      ["karpenter.maxNodes"],
      "38 vCPU is enough, 76 GiB is not",
    );
    assert.deepEqual(karpenterPaths({ enabled: false, maxNodes: 1 }), [], "no Karpenter, no limit");
  });

  const refused = (overrides: Record<string, unknown>) => {
    const run = runPlanInProcess(["--stack", "prod", "--config-dir", stackDirWith("prod", overrides)]);
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stdout, "", "nothing planned");
    return run.stderr;
  };

  it("limits below the system pool's capacity: exit 2 naming karpenter.maxNodes, with the numbers", () => {
    const stderr = refused({ "platform:karpenter": { maxNodes: 2, instanceTypes: ["m7g.large"] } });
    // prod's system pool: 10 × m7g.large = 20 vCPU, 80 GiB; 2 × m7g.large = 4 vCPU, 16 GiB.
    assert.match(
      stderr,
      /platform:karpenter\.maxNodes: got 2; expected NodePool limits at least the system pool's capacity/,
    );
    assert.match(stderr, /4 vCPU < 20, 16 GiB < 80 GiB/);
  });

  it("every problem at once: an unsized type, a bad capacity type, an unpinned AMI", () => {
    const stderr = refused({
      "platform:karpenter": {
        instanceTypes: ["m7g.large", "c7g.large"],
        capacityTypes: ["reserved"],
        amiAlias: "al2023@latest",
      },
    });
    assert.match(
      stderr,
      /platform:karpenter\.instanceTypes: got \["c7g\.large"\]; expected types whose vCPUs and memory/,
    );
    assert.match(stderr, /platform:karpenter\.instanceTypes: got "c7g\.large"; expected one the cost estimate prices/);
    assert.match(stderr, /platform:karpenter\.capacityTypes\[0\]: got "reserved"; expected "spot" or "on-demand"/);
    assert.match(stderr, /platform:karpenter\.amiAlias: got "al2023@latest"; expected a pinned AL2023 EKS AMI release/);
  });

  it("an x86 type is refused: the nodes run the arm64 images", () => {
    const stderr = refused({ "platform:karpenter": { instanceTypes: ["m7i.large"] } });
    assert.match(
      stderr,
      /platform:karpenter\.instanceTypes\[0\]: got "m7i\.large"; expected a Graviton \(arm64\) instance type/,
    );
  });
});

describe("Karpenter: cost at the configured maximum", () => {
  const prices = PRICES["us-east-1"];
  assert.ok(prices, "us-east-1 is priced");

  for (const stack of STACKS) {
    it(`${stack}: nothing in the baseline; at its maximum the dearest allowed type, as many as the limits admit`, () => {
      const plan = planFor(stack);
      const config = environmentDefaults[stack].karpenter;
      const cost = plan.cost as {
        monthly: number;
        lines: { resource: string }[];
        atMaximum: { monthly: number; lines: { resource: string; item: string; monthly: number }[] };
      };
      const resource = `${NODE_POOL}::platform-${stack}-karpenter-node-pool`;
      assert.deepEqual(
        cost.lines.filter((l) => l.resource === resource),
        [],
        "no node until a pod is pending",
      );
      const limits = nodePoolLimits(config.instanceTypes, config.maxNodes);
      assert.ok(limits, "every default type is sized");
      const disk = environmentDefaults[stack].cluster.nodeDiskGb;
      // Independently: every allowed type, as many nodes as both limits allow, at on-demand (allowed in both stacks).
      const sizes: Record<string, [number, number]> = {
        "t4g.medium": [2, 4],
        "t4g.large": [2, 8],
        "m6g.large": [2, 8],
        "m7g.large": [2, 8],
        "m7g.xlarge": [4, 16],
      };
      const expected = Math.max(
        ...config.instanceTypes.map((t) => {
          const [vcpu, gib] = sizes[t] ?? [NaN, NaN];
          const nodes = Math.min(Math.floor(limits.cpu / vcpu), Math.floor(limits.memoryGib / gib));
          return nodes * ((prices.ec2[t]?.usd ?? NaN) * 730 + disk * prices.ebsGp3GbMonth.usd);
        }),
      );
      const pool = cost.atMaximum.lines.filter((l) => l.resource === resource);
      assert.equal(pool.length, 2, "instances and their root volumes");
      assert.ok(Math.abs(pool.reduce((s, l) => s + l.monthly, 0) - expected) < 0.01, `${expected}`);
      const extra = cost.atMaximum.lines.reduce((s, l) => s + l.monthly, 0);
      assert.ok(Math.abs(cost.atMaximum.monthly - (cost.monthly + extra)) < 0.011, "baseline plus what scaling adds");
    });
  }

  it("a type without a price is unpriced, never zero", () => {
    const pool: CostResource = {
      type: NODE_POOL,
      name: "pool",
      inputs: {
        spec: {
          limits: { cpu: "8", memory: "32Gi" },
          template: {
            spec: {
              nodeClassRef: { name: "default" },
              requirements: [
                { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m7g.large", "r8g.large"] },
              ],
            },
          },
        },
      },
    };
    const nodeClass: CostResource = {
      type: NODE_CLASS,
      name: "class",
      inputs: { metadata: { name: "default" }, spec: { blockDeviceMappings: [{ ebs: { volumeSize: "20Gi" } }] } },
    };
    const usage = { natProcessedGbPerMonth: 0, backupStoredGb: 0, registryStoredGb: 0, logsIngestedGbPerMonth: 0 };
    const estimate = estimateCost([pool, nodeClass], { region: "us-east-1", usage });
    assert.equal(estimate.atMaximum?.lines.length, 0);
    assert.deepEqual(
      estimate.unpriced.map((u) => u.reason),
      ["no EC2 price or size for r8g.large"],
    );
  });
});

describe("Karpenter: network policy and alerts", () => {
  it("its namespace denies ingress but Prometheus's scrape of the metrics port and the kubelet's health probes", () => {
    const plan = planFor("prod");
    const deny = one(
      plan,
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "platform-prod-karpenter-default-deny-ingress",
    );
    assert.equal(input(deny, "metadata.namespace"), KARPENTER_NAMESPACE);
    assert.deepEqual(input(deny, "spec"), { podSelector: {}, policyTypes: ["Ingress"] });
    const allow = one(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "platform-prod-karpenter-allow-platform");
    const ingress = input(allow, "spec.ingress") as { from: Tree[]; ports: { port: number }[] }[];
    assert.deepEqual(
      ingress.map((rule) => rule.ports.map((p) => p.port)),
      [[KARPENTER_METRICS_PORT], [KARPENTER_HEALTH_PORT]],
    );
    assert.deepEqual(ingress[0]?.from, [
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": plan.outputs.monitoringNamespace } } },
    ]);
    const specs = one(plan, "awsx:ec2:Vpc").inputs.subnetSpecs as { name: string; cidrBlocks: string[] }[];
    const privateCidrs = specs.find((s) => s.name === "private")?.cidrBlocks ?? [];
    assert.deepEqual(
      ingress[1]?.from,
      privateCidrs.map((cidr) => ({ ipBlock: { cidr } })),
      "the nodes' subnets, where the kubelet probes from",
    );
    const rule = one(plan, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "platform-prod-karpenter-alerts");
    assert.deepEqual(input(rule, "spec.groups"), [karpenterRuleGroup()]);
  });

  const promtool = requireTool("promtool");
  it(
    "promtool checks the rules and its unit tests pass (near the limit, pods unschedulable)",
    { skip: promtool.skip },
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "karpenter-rules-"));
      try {
        fs.writeFileSync(path.join(dir, "karpenter-rules.yaml"), renderRuleFile([karpenterRuleGroup()]));
        fs.copyFileSync(fixturePath("monitoring/karpenter-rules.test.yaml"), path.join(dir, "rules.test.yaml"));
        const run = (args: string[]) => {
          const result = spawnSync(promtool.path as string, args, { cwd: dir, encoding: "utf8" });
          return { status: result.status, output: `${result.stdout}${result.stderr}` };
        };
        const check = run(["check", "rules", "karpenter-rules.yaml"]);
        assert.equal(check.status, 0, check.output);
        assert.match(check.output, /SUCCESS: 2 rules found/);
        const test = run(["test", "rules", "rules.test.yaml"]);
        assert.equal(test.status, 0, test.output);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
