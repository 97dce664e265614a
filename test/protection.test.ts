import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { PROTECTED_TYPES, protectTypes } from "../components/protection";
import { loadCloud, sourceFor } from "./helpers/config";
import { one, planFor, STACKS, type Plan, type PlannedResource } from "./helpers/program";

/**
 * Protection of the VPC and the EKS control plane in a protected stack (`platform:protect`, prod's
 * default). Both live inside packaged components (awsx's Vpc, eks's Cluster) whose children the
 * offline plan does not see, so the plan shows the transform attached to our component, and the
 * transform itself is run here on the types those components create. That the engine runs it on
 * a packaged component's children is Pulumi's documented behaviour for `transforms`, proven only
 * by a real `pulumi up` (docs/dr.md).
 */
const KEY = (r: PlannedResource) => `${r.type}::${r.name}`;

function ancestors(plan: Plan, resource: PlannedResource): PlannedResource[] {
  const byKey = new Map(plan.resources.map((r) => [KEY(r), r]));
  const chain: PlannedResource[] = [];
  for (let parent = resource.parent; parent; parent = byKey.get(parent)?.parent ?? null) {
    const found = byKey.get(parent);
    if (found) chain.push(found);
  }
  return chain;
}

/** What the transform makes of a resource of `type` (undefined: left alone). */
function transformed(types: readonly string[], type: string, custom = true) {
  const result = protectTypes(types)({ custom, type, name: "x", props: {}, opts: {} });
  return (result as pulumi.ResourceTransformResult | undefined)?.opts.protect;
}

describe("protection of the VPC and the EKS control plane", () => {
  for (const stack of STACKS) {
    const { protect } = loadCloud(sourceFor(stack));
    const plan = planFor(stack);
    const expected = (types: readonly string[]) => (protect ? [`protect ${types.join(", ")}`] : undefined);

    it(`${stack}: the cluster component ${protect ? "protects" : "does not protect"} the EKS control plane (platform:protect=${protect})`, () => {
      const cluster = one(plan, "platform:cluster:Cluster");
      assert.deepEqual(cluster.options.transforms, expected(PROTECTED_TYPES.cluster));
      // Not `protect` on the eks component: its children (access entries, security groups, add-ons) would inherit it.
      const eksCluster = one(plan, "eks:index:Cluster");
      assert.notEqual(eksCluster.options.protect, true);
      assert.ok(ancestors(plan, eksCluster).every((a) => a.options.protect !== true));
    });

    it(`${stack}: the network component ${protect ? "protects" : "does not protect"} the VPC and its subnets`, () => {
      assert.deepEqual(one(plan, "platform:network:Network").options.transforms, expected(PROTECTED_TYPES.network));
      assert.equal(one(plan, "awsx:ec2:Vpc").options.protect ?? false, protect);
    });

    it(`${stack}: node groups stay replaceable: neither they nor an ancestor are protected, and the transform passes them by`, () => {
      const groups = plan.resources.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup");
      assert.ok(groups.length >= 1);
      for (const group of groups) {
        assert.notEqual(group.options.protect, true, group.name);
        assert.ok(
          ancestors(plan, group).every((a) => a.options.protect !== true),
          group.name,
        );
        assert.equal(transformed(PROTECTED_TYPES.cluster, group.type), undefined);
      }
    });
  }

  it("the cluster transform protects only the control plane among what eks's Cluster and the component create", () => {
    assert.equal(transformed(PROTECTED_TYPES.cluster, "aws:eks/cluster:Cluster"), true);
    for (const type of [
      "aws:eks/nodeGroup:NodeGroup",
      "aws:eks/accessEntry:AccessEntry",
      "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
      "aws:eks/addon:Addon",
      "aws:ec2/securityGroup:SecurityGroup",
      "aws:iam/role:Role",
      "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
      "pulumi:providers:kubernetes",
    ])
      assert.equal(transformed(PROTECTED_TYPES.cluster, type), undefined, type);
    // A component of a protected type is left alone: only custom resources hold cloud state.
    assert.equal(transformed(PROTECTED_TYPES.cluster, "aws:eks/cluster:Cluster", false), undefined);
  });

  it("the network transform protects the VPC and subnets, not NAT gateways, routes or Elastic IPs", () => {
    assert.equal(transformed(PROTECTED_TYPES.network, "aws:ec2/vpc:Vpc"), true);
    assert.equal(transformed(PROTECTED_TYPES.network, "aws:ec2/subnet:Subnet"), true);
    for (const type of ["aws:ec2/natGateway:NatGateway", "aws:ec2/route:Route", "aws:ec2/eip:Eip"])
      assert.equal(transformed(PROTECTED_TYPES.network, type), undefined, type);
  });

  it("keeps the other options a child was given", () => {
    const result = protectTypes(["aws:eks/cluster:Cluster"])({
      custom: true,
      type: "aws:eks/cluster:Cluster",
      name: "c",
      props: { name: "c" },
      opts: { ignoreChanges: ["tags"] },
    }) as pulumi.ResourceTransformResult;
    assert.deepEqual(result.props, { name: "c" });
    assert.deepEqual(result.opts.ignoreChanges, ["tags"]);
    assert.equal(result.opts.protect, true);
  });
});
