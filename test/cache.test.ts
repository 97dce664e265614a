import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { item } from "./helpers/assert";
import { one, ofType, planFor, STACKS } from "./helpers/program";

const GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";

describe("cache", () => {
  for (const stack of STACKS) {
    const prod = stack === "prod";
    it(`${stack}: encrypted at rest and in transit, secret AUTH token, snapshots`, () => {
      const plan = planFor(stack);
      const group = one(plan, GROUP);
      assert.equal(group.inputs.atRestEncryptionEnabled, true);
      assert.equal(group.inputs.transitEncryptionEnabled, true);
      assert.equal(group.inputs.authToken, "[secret]", "the token reaches the provider only as a secret");
      assert.ok(group.inputs.snapshotRetentionLimit >= 1);
      const token = one(plan, "random:index/randomPassword:RandomPassword", "platform-" + stack + "-redis-auth-token");
      assert.ok(token.inputs.length >= 16 && token.inputs.length <= 128, "ElastiCache accepts 16–128 characters");
      assert.equal(token.inputs.special, false, 'no @, " or / can slip in');
    });

    it(`${stack}: ${prod ? "primary and replica with automatic failover across AZs" : "a single node, no failover"}`, () => {
      const group = one(planFor(stack), GROUP);
      assert.equal(group.inputs.numCacheClusters, prod ? 2 : 1);
      assert.equal(group.inputs.automaticFailoverEnabled, prod);
      assert.equal(group.inputs.multiAzEnabled, prod);
    });

    it(`${stack}: isolated subnets, reachable from the cluster's nodes only`, () => {
      const plan = planFor(stack);
      const group = one(plan, GROUP);
      const subnets = one(plan, "aws:elasticache/subnetGroup:SubnetGroup");
      assert.equal(group.inputs.subnetGroupName, subnets.name);
      assert.ok((subnets.inputs.subnetIds as string[]).every((id) => id.startsWith("subnet-isolated-")));
      const [groupId] = group.inputs.securityGroupIds as string[];
      const rules = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
        (r) => r.inputs.securityGroupId === groupId,
      );
      assert.equal(rules.length, 1);
      const rule = item(rules, 0, "ingress rules");
      assert.equal(rule.inputs.referencedSecurityGroupId, "sg-nodes0123456789");
      assert.equal(rule.inputs.fromPort, 6379);
    });
  }
});
