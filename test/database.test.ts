import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { maxConnectionsFor } from "../components/database";
import { PRICES } from "../cost/prices";
import { entry, item } from "./helpers/assert";
import { one, ofType, planFor, STACKS } from "./helpers/program";

const INSTANCE = "aws:rds/instance:Instance";

describe("database", () => {
  it("a major-version upgrade plans a new parameter group of the new family, applied at once", () => {
    const plan = planFor("prod", { "platform:database": { engineVersion: "18" } });
    const params = one(plan, "aws:rds/parameterGroup:ParameterGroup");
    assert.equal(params.inputs.family, "postgres18");
    assert.equal(params.inputs.namePrefix, "platform-prod-postgres18-");
    const db = one(plan, INSTANCE);
    assert.equal(db.inputs.engineVersion, "18");
    assert.equal(db.inputs.allowMajorVersionUpgrade, true);
    assert.equal(
      db.inputs.applyImmediately,
      true,
      "the old group is deleted right after; a pending upgrade would still use it",
    );
    assert.equal(db.inputs.parameterGroupName, params.name);
  });

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
      if (prod) {
        const suffix = one(planFor(stack), "random:index/randomId:RandomId", "platform-prod-final-snapshot");
        // A new suffix whenever an input that replaces the instance changes.
        assert.equal(suffix.inputs.keepers.identifier, db.inputs.identifier);
        assert.equal(suffix.inputs.keepers.dbName, db.inputs.dbName);
        assert.equal(suffix.inputs.keepers.username, db.inputs.username);
        assert.match(db.inputs.finalSnapshotIdentifier, /^platform-prod-postgres-final-[0-9a-f]{8}$/);
      } else assert.equal(db.inputs.finalSnapshotIdentifier, undefined);
      assert.equal(
        db.inputs.deleteAutomatedBackups,
        !prod,
        "prod keeps its automated backups after the instance is deleted",
      );
    });

    it(`${stack}: automated backups ${prod ? "replicated to us-west-2 for 30 days, encrypted with a key there" : "stay in the region"}`, () => {
      const plan = planFor(stack);
      const replications = ofType(
        plan,
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
      );
      assert.equal(replications.length, prod ? 1 : 0);
      if (!prod) return;
      const replication = item(replications, 0, "automated backup replications");
      const db = one(plan, INSTANCE);
      assert.equal(
        replication.inputs.sourceDbInstanceArn,
        `arn:aws:rds:us-east-1:123456789012:${db.inputs.identifier}`,
      );
      assert.equal(replication.inputs.retentionPeriod, 30);
      assert.equal(replication.options.provider, "pulumi:providers:aws::aws-dr");
      assert.equal(one(plan, "pulumi:providers:aws", "aws-dr").inputs.region, "us-west-2");
      const key = one(plan, "aws:kms/key:Key", "platform-prod-postgres-dr-key");
      assert.equal(key.options.provider, "pulumi:providers:aws::aws-dr");
      assert.equal(key.inputs.enableKeyRotation, true);
      assert.equal(replication.inputs.kmsKeyId, `arn:aws:kms:us-east-1:123456789012:key/${key.name}`);
      assert.equal(replication.options.protect, true);
      assert.equal(key.options.protect, true);
    });

    it(`${stack}: changes apply at once, not in the maintenance window (the drift check would report them all week)`, () => {
      assert.equal(one(planFor(stack), INSTANCE).inputs.applyImmediately, true);
    });

    it(`${stack}: Enhanced Monitoring ${prod ? "every 60 s through a role only this account's RDS may assume" : "off"}`, () => {
      const plan = planFor(stack);
      const db = one(plan, INSTANCE);
      assert.equal(db.inputs.monitoringInterval, prod ? 60 : 0);
      const roles = ofType(plan, "aws:iam/role:Role").filter((r) => r.name === `platform-${stack}-rds-monitoring`);
      if (!prod) {
        assert.equal(roles.length, 0);
        assert.equal(db.inputs.monitoringRoleArn, undefined);
        return;
      }
      const role = item(roles, 0, "RDS monitoring roles");
      assert.equal(db.inputs.monitoringRoleArn, `arn:aws:iam::123456789012:role/${role.name}`);
      const trust = JSON.parse(role.inputs.assumeRolePolicy) as {
        Statement: { Principal: { Service: string }; Condition: Record<string, Record<string, string>> }[];
      };
      assert.equal(trust.Statement.length, 1);
      const statement = item(trust.Statement, 0, "trust statements");
      assert.equal(statement.Principal.Service, "monitoring.rds.amazonaws.com");
      assert.equal(entry(statement.Condition, "StringEquals", "trust condition")["aws:SourceAccount"], "123456789012");
      const attachment = one(
        plan,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        `platform-${stack}-rds-monitoring`,
      );
      assert.equal(attachment.inputs.policyArn, "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole");
      assert.equal(attachment.inputs.role, role.name);
    });

    it(`${stack}: storage autoscaling ceiling RDS accepts (0 or at least 10% above the allocated storage)`, () => {
      const db = one(planFor(stack), INSTANCE);
      const ceiling = db.inputs.maxAllocatedStorage as number;
      assert.ok(
        ceiling === 0 || ceiling >= Math.ceil(((db.inputs.allocatedStorage as number) * 11) / 10),
        `ceiling ${ceiling}`,
      );
    });

    it(`${stack}: storage autoscaling off is a ceiling of 0, which the provider sends as "off"`, () => {
      const db = one(planFor(stack, { "platform:database": { maxAllocatedStorageGb: 0 } }), INSTANCE);
      assert.equal(db.inputs.maxAllocatedStorage, 0);
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
      const rules = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
        (r) => r.inputs.securityGroupId === groupId,
      );
      assert.equal(rules.length, 1);
      const rule = item(rules, 0, "ingress rules");
      assert.equal(rule.inputs.referencedSecurityGroupId, "sg-nodes0123456789", "the cluster's node security group");
      assert.equal(rule.inputs.fromPort, 5432);
      assert.equal(rule.inputs.toPort, 5432);
      assert.equal(rule.inputs.cidrIpv4, undefined);
    });

    it(`${stack}: a parameter group that forces TLS, auto-named so replacement creates before it deletes`, () => {
      const plan = planFor(stack);
      const params = one(plan, "aws:rds/parameterGroup:ParameterGroup");
      assert.equal(params.inputs.family, "postgres17");
      assert.equal(params.inputs.name, undefined);
      assert.equal(params.inputs.namePrefix, `platform-${stack}-postgres17-`, "named after its major version");
      assert.notEqual(params.options.deleteBeforeReplace, true);
      const forceSsl = (params.inputs.parameters as { name: string; value: string }[]).find(
        (p) => p.name === "rds.force_ssl",
      );
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

describe("database connection limit", () => {
  it("every class the estimate prices has its memory, so DatabaseConnectionsHigh knows max_connections", () => {
    for (const instanceClass of Object.keys(entry(PRICES, "us-east-1", "PRICES").rdsPostgres))
      assert.ok(maxConnectionsFor(instanceClass), instanceClass);
    // RDS's formula: LEAST(DBInstanceClassMemory/9531392, 5000).
    assert.equal(maxConnectionsFor("db.t4g.micro"), Math.floor(1024 ** 3 / 9531392));
    assert.equal(maxConnectionsFor("db.r6g.xlarge"), Math.floor((32 * 1024 ** 3) / 9531392));
  });
});
