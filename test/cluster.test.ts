import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ACCESS_POLICY_ARNS, CONTROL_PLANE_LOG_TYPES } from "../components/cluster";
import { entry, item } from "./helpers/assert";
import { one, planFor, PROJECT_DIR, runPlanCli, STACKS, stackDirWith } from "./helpers/program";

const EKS = "eks:index:Cluster";
const NODES = "aws:eks/nodeGroup:NodeGroup";
const ADMIN = "arn:aws:iam::111122223333:role/platform-admin";

interface Principal {
  name: string;
  arn: string;
  level: "admin" | "view";
  createsCluster?: boolean;
}
interface Entry {
  principalArn: string;
  accessPolicies: Record<string, { policyArn: string; accessScope: { type: string } }>;
}
/** The `platform:` section of a stack file as written (what a reviewer reads). */
const stackConfig = (stack: string) =>
  Object.fromEntries(
    Object.entries(
      (
        parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as {
          config: Record<string, unknown>;
        }
      ).config,
    )
      .filter(([k]) => k.startsWith("platform:"))
      .map(([k, v]) => [k.slice("platform:".length), v]),
  ) as Record<string, unknown>;

describe("cluster", () => {
  for (const stack of STACKS) {
    const prod = stack === "prod";
    it(`${stack}: pinned version on STANDARD support, API access entries, OIDC, all logs, KMS-encrypted secrets`, () => {
      const plan = planFor(stack);
      const eks = one(plan, EKS);
      assert.equal(eks.inputs.version, "1.35");
      assert.deepEqual(eks.inputs.upgradePolicy, { supportType: "STANDARD" });
      assert.equal(eks.inputs.authenticationMode, "API");
      assert.equal(eks.inputs.createOidcProvider, true);
      assert.deepEqual([...eks.inputs.enabledClusterLogTypes].sort(), [...CONTROL_PLANE_LOG_TYPES].sort());
      assert.equal(CONTROL_PLANE_LOG_TYPES.length, 5);
      const key = one(plan, "aws:kms/key:Key", `platform-${stack}-secrets`);
      assert.equal(key.inputs.enableKeyRotation, true);
      assert.equal(eks.inputs.encryptionConfigKeyArn, `arn:aws:kms:us-east-1:123456789012:key/${key.name}`);
      assert.equal(eks.inputs.skipDefaultNodeGroup, true);
      assert.equal(eks.inputs.deletionProtection, prod);
    });

    it(`${stack}: control-plane logs go to a log group the stack creates first, with a retention`, () => {
      const plan = planFor(stack);
      const eks = one(plan, EKS);
      const group = one(plan, "aws:cloudwatch/logGroup:LogGroup", `platform-${stack}-control-plane`);
      assert.equal(eks.inputs.name, `platform-${stack}`);
      assert.equal(one(plan, NODES).inputs.clusterName, `platform-${stack}`, "the node group joins that cluster");
      assert.equal(group.inputs.name, `/aws/eks/platform-${stack}/cluster`);
      assert.equal(group.inputs.retentionInDays, prod ? 90 : 14);
      assert.ok(eks.options.dependsOn?.includes(`aws:cloudwatch/logGroup:LogGroup::${group.name}`));
    });

    it(`${stack}: private endpoint on, public endpoint limited to the configured CIDRs`, () => {
      const eks = one(planFor(stack), EKS);
      assert.equal(eks.inputs.endpointPrivateAccess, true);
      assert.equal(eks.inputs.endpointPublicAccess, true);
      assert.deepEqual(
        eks.inputs.publicAccessCidrs,
        ["203.0.113.0/24", prod ? "198.51.100.8/32" : "198.51.100.7/32"],
        "the office and the Pi",
      );
      assert.ok(!eks.inputs.publicAccessCidrs.includes("0.0.0.0/0"));
    });

    it(`${stack}: one managed arm64 node group, ${prod ? "on-demand, 2–10 nodes" : "Spot, 1–3 nodes"}, later scaling changes not reverted`, () => {
      const nodes = one(planFor(stack), NODES);
      assert.equal(nodes.inputs.amiType, "AL2023_ARM_64_STANDARD");
      assert.ok(
        (nodes.inputs.instanceTypes as string[]).every((t) => /^[a-z]+\d+g[a-z]*\./.test(t)),
        "Graviton types",
      );
      assert.equal(nodes.inputs.capacityType, prod ? "ON_DEMAND" : "SPOT");
      assert.deepEqual(
        nodes.inputs.scalingConfig,
        prod ? { minSize: 2, maxSize: 10, desiredSize: 3 } : { minSize: 1, maxSize: 3, desiredSize: 2 },
      );
      assert.deepEqual(nodes.options.ignoreChanges, ["scalingConfig.desiredSize"]);
      assert.ok((nodes.inputs.subnetIds as string[]).every((id) => id.startsWith("subnet-private-")));
    });

    it(`${stack}: EBS CSI add-on with a role only its service account can assume, gp3 default StorageClass`, () => {
      const plan = planFor(stack);
      const addon = one(plan, "aws:eks/addon:Addon", `platform-${stack}-ebs-csi`);
      assert.equal(addon.inputs.addonName, "aws-ebs-csi-driver");
      const role = one(plan, "aws:iam/role:Role", `platform-${stack}-ebs-csi`);
      assert.equal(addon.inputs.serviceAccountRoleArn, `arn:aws:iam::123456789012:role/${role.name}`);
      const trust = JSON.parse(role.inputs.assumeRolePolicy).Statement[0];
      assert.equal(trust.Action, "sts:AssumeRoleWithWebIdentity");
      const conditions = trust.Condition.StringEquals as Record<string, string>;
      assert.ok(
        Object.entries(conditions).some(
          ([k, v]) => k.endsWith(":sub") && v === "system:serviceaccount:kube-system:ebs-csi-controller-sa",
        ),
      );
      const storageClass = one(plan, "kubernetes:storage.k8s.io/v1:StorageClass");
      assert.equal(storageClass.inputs.provisioner, "ebs.csi.aws.com");
      assert.equal(storageClass.inputs.parameters.type, "gp3");
      assert.equal(storageClass.inputs.parameters.encrypted, "true");
      assert.equal(storageClass.inputs.metadata.annotations["storageclass.kubernetes.io/is-default-class"], "true");
    });

    it(`${stack}: kube-proxy, the VPC CNI and CoreDNS are EKS managed add-ons, CoreDNS once nodes exist`, () => {
      const plan = planFor(stack);
      const eks = one(plan, EKS);
      assert.equal(eks.inputs.kubeProxyAddonOptions.enabled, true);
      assert.equal(
        eks.inputs.corednsAddonOptions.enabled,
        false,
        "the component would leave CoreDNS self-managed without its default node group",
      );
      const vpcCni = one(plan, "aws:eks/addon:Addon", `platform-${stack}-vpc-cni`);
      const coredns = one(plan, "aws:eks/addon:Addon", `platform-${stack}-coredns`);
      assert.equal(vpcCni.inputs.addonName, "vpc-cni");
      assert.equal(coredns.inputs.addonName, "coredns");
      for (const addon of [vpcCni, coredns]) {
        assert.equal(addon.inputs.clusterName, `platform-${stack}`);
        assert.equal(addon.inputs.resolveConflictsOnCreate, "OVERWRITE", "adopts the bootstrap install");
      }
      assert.ok(coredns.options.dependsOn?.includes(`${NODES}::platform-${stack}-nodes`));
    });

    it(`${stack}: every Kubernetes resource goes through the cluster's provider, whose kubeconfig is secret`, () => {
      const plan = planFor(stack);
      const provider = one(plan, "pulumi:providers:kubernetes");
      assert.equal(provider.inputs.kubeconfig, "[secret]");
      const k8sResources = plan.resources.filter((r) => r.type.startsWith("kubernetes:"));
      assert.ok(k8sResources.length > 0);
      for (const r of k8sResources)
        assert.equal(r.options.provider, `pulumi:providers:kubernetes::${provider.name}`, `${r.type} ${r.name}`);
    });
  }

  for (const stack of STACKS) {
    it(`${stack}: one access entry per configured principal, keyed by its name, with its level's AWS policy on the whole cluster`, () => {
      const principals = (stackConfig(stack).cluster as { accessPrincipals: Principal[] }).accessPrincipals;
      assert.ok(
        principals.some((p) => p.level === "admin" && !p.createsCluster),
        "an admin besides the creator: break-glass",
      );
      assert.ok(
        principals.some((p) => p.level === "view"),
        "a read-only role for previews and drift",
      );
      const entries = one(planFor(stack), EKS).inputs.accessEntries as Record<string, Entry>;
      const declared = principals.filter((p) => !p.createsCluster);
      assert.deepEqual(Object.keys(entries).sort(), declared.map((p) => p.name).sort());
      for (const { name, arn, level } of declared) {
        assert.equal(entry(entries, name, "access entries").principalArn, arn);
        assert.deepEqual(
          Object.values(entry(entries, name, "access entries").accessPolicies),
          [{ policyArn: ACCESS_POLICY_ARNS[level], accessScope: { type: "cluster" } }],
          name,
        );
      }
    });
  }

  it("the principal that creates the cluster gets no declared entry (EKS makes its admin entry, a second one would fail)", () => {
    const principals: Principal[] = [
      { name: "deploy", arn: "arn:aws:iam::111122223333:role/deploy", level: "admin", createsCluster: true },
      { name: "break-glass", arn: ADMIN, level: "admin" },
    ];
    const entries = one(planFor("prod", { "platform:cluster": { accessPrincipals: principals } }), EKS).inputs
      .accessEntries as Record<string, Entry>;
    assert.deepEqual(Object.keys(entries), ["break-glass"]);
    assert.ok(!Object.values(entries).some((e) => e.principalArn.endsWith("role/deploy")));
  });

  it("admin is AWS's cluster-admin policy, view the read-everything admin-view policy, nothing else", () => {
    assert.deepEqual(ACCESS_POLICY_ARNS, {
      admin: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      view: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy",
    });
  });

  it("a break-glass role added in config becomes one more admin entry; reordering keeps the keys", () => {
    const principals = [
      { name: "preview", arn: "arn:aws:iam::111122223333:role/p", level: "view" },
      { name: "break-glass", arn: ADMIN, level: "admin" },
    ];
    const entries = one(planFor("dev", { "platform:cluster": { accessPrincipals: principals } }), EKS).inputs
      .accessEntries as Record<string, Entry>;
    assert.deepEqual(Object.keys(entries).sort(), ["break-glass", "preview"]);
    const breakGlass = entry(entries, "break-glass", "access entries");
    assert.equal(breakGlass.principalArn, ADMIN);
    assert.equal(
      item(Object.values(breakGlass.accessPolicies), 0, "break-glass access policies").policyArn,
      ACCESS_POLICY_ARNS.admin,
    );
  });

  it("prod without an admin principal, or CI with no way to the API, is invalid configuration: exit 2, key named, nothing planned", () => {
    const noAdmin = runPlanCli([
      "--stack",
      "prod",
      "--config-dir",
      stackDirWith("prod", {
        "platform:cluster": { accessPrincipals: [{ name: "preview", arn: ADMIN, level: "view" }] },
      }),
    ]);
    assert.equal(noAdmin.status, 2, noAdmin.stderr);
    assert.match(
      noAdmin.stderr,
      /platform:cluster\.accessPrincipals: .*expected at least one \{ name, arn, level: "admin" \}/,
    );
    assert.doesNotMatch(noAdmin.stdout, /eks:index:Cluster/);
    const noPath = runPlanCli([
      "--stack",
      "dev",
      "--config-dir",
      stackDirWith("dev", { "platform:cluster": { publicAccessCidrs: [] }, "platform:edgeSites": [] }),
    ]);
    assert.equal(noPath.status, 2, noPath.stderr);
    assert.match(noPath.stderr, /platform:cluster\.ciApiAccess: got "publicEndpoint"; expected "inVpcRunner"/);
  });

  it("an empty publicAccessCidrs makes the endpoint private only", () => {
    // The Pis' metrics come in through the public endpoint, so a stack without one serves no site.
    const eks = one(
      planFor("dev", {
        "platform:cluster": { publicAccessCidrs: [], ciApiAccess: "inVpcRunner" },
        "platform:edgeSites": [],
      }),
      EKS,
    );
    assert.equal(eks.inputs.endpointPublicAccess, false);
    assert.equal(eks.inputs.publicAccessCidrs, undefined);
  });
});
