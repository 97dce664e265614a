import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { one, ofType, planFor, STACKS } from "./helpers/program";

const INSTANCE = "aws:rds/instance:Instance";

describe("database", () => {
  for (const stack of STACKS) {
    const prod = stack === "prod";
    it(`${stack}: private, encrypted, AWS-managed password, logs, Performance Insights, autoscaling storage`, () => {
      const db = one(planFor(stack), INSTANCE);
      assert.equal(db.inputs.engine, "postgres");
      assert.equal(db.inputs.publiclyAccessible, false);
      assert.equal(db.inputs.storageEncrypted, true);
      assert.equal(db.inputs.manageMasterUserPassword, true);
      assert.equal(db.inputs.password, undefined, "no password in state");
      assert.equal(db.inputs.storageType, "gp3");
      assert.equal(db.inputs.performanceInsightsEnabled, true);
      assert.deepEqual(db.inputs.enabledCloudwatchLogsExports, ["postgresql", "upgrade"]);
      assert.equal(db.inputs.allocatedStorage, prod ? 100 : 20);
      assert.equal(db.inputs.maxAllocatedStorage, prod ? 200 : 50);
    });

    it(`${stack}: Multi-AZ ${prod}, retention ${prod ? 30 : 7} days, deletion protection and final snapshot ${prod}`, () => {
      const db = one(planFor(stack), INSTANCE);
      assert.equal(db.inputs.multiAz, prod);
      assert.equal(db.inputs.backupRetentionPeriod, prod ? 30 : 7);
      assert.equal(db.inputs.deletionProtection, prod);
      assert.equal(db.inputs.skipFinalSnapshot, !prod);
      assert.equal(db.inputs.finalSnapshotIdentifier, prod ? "platform-prod-final" : undefined);
    });

    it(`${stack}: in the isolated subnets behind a group open only to the cluster's nodes`, () => {
      const plan = planFor(stack);
      const db = one(plan, INSTANCE);
      const subnetGroup = one(plan, "aws:rds/subnetGroup:SubnetGroup");
      assert.ok((subnetGroup.inputs.subnetIds as string[]).every((id) => id.startsWith("subnet-isolated-")));
      assert.equal(db.inputs.dbSubnetGroupName, subnetGroup.name);
      const [groupId] = db.inputs.vpcSecurityGroupIds as string[];
      const group = ofType(plan, "aws:ec2/securityGroup:SecurityGroup").find((g) => `${g.name}-id` === groupId);
      assert.ok(group, "the instance uses a group of its own");
      assert.equal(group.inputs.ingress, undefined, "no inline rules");
      const rules = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === groupId);
      assert.equal(rules.length, 1);
      assert.equal(rules[0].inputs.referencedSecurityGroupId, "sg-nodes0123456789", "the cluster's node security group");
      assert.equal(rules[0].inputs.fromPort, 5432);
      assert.equal(rules[0].inputs.toPort, 5432);
      assert.equal(rules[0].inputs.cidrIpv4, undefined);
    });

    it(`${stack}: a parameter group that forces TLS, auto-named so replacement creates before it deletes`, () => {
      const plan = planFor(stack);
      const params = one(plan, "aws:rds/parameterGroup:ParameterGroup");
      assert.equal(params.inputs.family, "postgres17");
      assert.equal(params.inputs.name, undefined);
      assert.notEqual(params.options.deleteBeforeReplace, true);
      const forceSsl = (params.inputs.parameters as { name: string; value: string }[]).find((p) => p.name === "rds.force_ssl");
      assert.equal(forceSsl?.value, "1");
      assert.equal(one(plan, INSTANCE).inputs.parameterGroupName, params.name);
    });

    it(`${stack}: every exported log lands in a log group the stack creates first, with a retention`, () => {
      const plan = planFor(stack);
      const db = one(plan, INSTANCE);
      assert.equal(db.inputs.identifier, `platform-${stack}-postgres`);
      for (const log of db.inputs.enabledCloudwatchLogsExports as string[]) {
        const group = one(plan, "aws:cloudwatch/logGroup:LogGroup", `platform-${stack}-postgres-${log}`);
        assert.equal(group.inputs.name, `/aws/rds/instance/${db.inputs.identifier}/${log}`);
        assert.equal(group.inputs.retentionInDays, stack === "prod" ? 90 : 14);
        assert.ok(db.options.dependsOn?.includes(`aws:cloudwatch/logGroup:LogGroup::${group.name}`));
      }
    });
  }
});
