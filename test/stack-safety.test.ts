import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planFor, STACKS } from "./helpers/program";

const STATEFUL = [
  "aws:rds/instance:Instance",
  "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
  "awsx:ec2:Vpc",
  "aws:elasticache/replicationGroup:ReplicationGroup",
  "aws:s3/bucket:Bucket",
  "aws:kms/key:Key",
  "aws:ecr/repository:Repository",
];
const SECRET_WORDS = /password|token|secret|privatekey|kubeconfig/i;
/**
 * Keys that name a Kubernetes Secret or a key inside one (Helm charts' `existingSecret`), or a
 * setting about tokens (IMDSv2's `httpTokens: required`), not a secret value.
 */
const SECRET_REFERENCES = new Set(["existingSecret", "userKey", "passwordKey", "configSecret", "httpTokens"]);

function walk(value: unknown, path: string, visit: (path: string, value: unknown) => void): void {
  visit(path, value);
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`, visit));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`, visit);
}

describe("stack safety", () => {
  for (const stack of STACKS) {
    const prod = stack === "prod";
    it(`${stack}: stateful resources are ${prod ? "" : "not "}protected from deletion by the stack`, () => {
      const stateful = planFor(stack).resources.filter((r) => STATEFUL.includes(r.type));
      assert.ok(stateful.length >= 7, `found ${stateful.length} stateful resources`);
      for (const r of stateful) assert.equal(r.options.protect ?? false, prod, `${r.type} ${r.name}`);
    });

    it(`${stack}: stateless capacity stays replaceable: node groups are never protected`, () => {
      const groups = planFor(stack).resources.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup");
      assert.ok(groups.length >= 1);
      for (const g of groups) assert.notEqual(g.options.protect, true, g.name);
    });

    it(`${stack}: no output and no resource input carries a password, token or key in plain text`, () => {
      const plan = planFor(stack);
      const offenders: string[] = [];
      const check = (path: string, value: unknown) => {
        const key = path.split(".").pop() ?? "";
        if (
          SECRET_WORDS.test(key) &&
          !SECRET_REFERENCES.has(key) &&
          typeof value === "string" &&
          value !== "[secret]" &&
          !/^arn:/.test(value)
        )
          offenders.push(path);
      };
      for (const r of plan.resources) walk(r.inputs, `${r.type}::${r.name}`, check);
      for (const [name, value] of Object.entries(plan.outputs)) {
        if (SECRET_WORDS.test(name) && !/Arn$/.test(name)) assert.equal(value, "[secret]", `output ${name}`);
      }
      assert.deepEqual(offenders, []);
      assert.ok(!JSON.stringify(plan).includes("mock-generated-password"), "the generated token never appears");
    });
  }
});
