import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { one, ofType, planFor, STACKS } from "./helpers/program";

type Statement = { Sid?: string; Effect: string; Principal?: unknown; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, unknown>> };

describe("backups", () => {
  for (const stack of STACKS) {
    const prod = stack === "prod";
    const days = prod ? 30 : 7;
    it(`${stack}: private, owner-enforced, KMS-encrypted with a rotating key, versioned`, () => {
      const plan = planFor(stack);
      const bucket = one(plan, "aws:s3/bucket:Bucket");
      const pab = one(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
      assert.equal(pab.inputs.bucket, bucket.name);
      for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(pab.inputs[flag], true, flag);
      assert.equal(one(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule.objectOwnership, "BucketOwnerEnforced");
      const sse = one(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules[0];
      assert.equal(sse.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
      const key = one(plan, "aws:kms/key:Key", `platform-${stack}-key`);
      assert.equal(key.inputs.enableKeyRotation, true);
      assert.equal(sse.applyServerSideEncryptionByDefault.kmsMasterKeyId, `arn:aws:kms:us-east-1:123456789012:key/${key.name}`);
      assert.equal(one(plan, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration.status, "Enabled");
    });

    it(`${stack}: bucket policy denies every request without TLS`, () => {
      const policy = JSON.parse(one(planFor(stack), "aws:s3/bucketPolicy:BucketPolicy").inputs.policy) as { Statement: Statement[] };
      const deny = policy.Statement.find((s) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false");
      assert.ok(deny, "a Deny on aws:SecureTransport=false");
      assert.equal(deny.Principal, "*");
      assert.equal(deny.Action, "s3:*");
      assert.deepEqual(deny.Resource, [`arn:aws:s3:::platform-${stack}-bucket`, `arn:aws:s3:::platform-${stack}-bucket/*`]);
    });

    it(`${stack}: lifecycle ${prod ? "to Glacier IR, " : ""}expiry at ${days} days for current and noncurrent versions`, () => {
      const rules = one(planFor(stack), "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
      const main = rules.find((r) => r.expiration?.days !== undefined);
      assert.ok(main);
      assert.equal(main.status, "Enabled");
      assert.equal(main.expiration.days, days);
      assert.equal(main.noncurrentVersionExpiration.noncurrentDays, days);
      if (prod) {
        assert.deepEqual(main.transitions, [{ days: 7, storageClass: "GLACIER_IR" }]);
      } else {
        assert.equal(main.transitions, undefined, "7-day backups stay in Standard: Glacier IR bills 90 days at least");
      }
      assert.ok(rules.some((r) => r.expiration?.expiredObjectDeleteMarker === true));
    });

    it(`${stack}: object lock ${prod ? "on, governance mode for the retention" : "off"}`, () => {
      const plan = planFor(stack);
      assert.equal(one(plan, "aws:s3/bucket:Bucket").inputs.objectLockEnabled, prod);
      const lock = ofType(plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
      assert.equal(lock.length, prod ? 1 : 0);
      if (prod) assert.deepEqual(lock[0].inputs.rule.defaultRetention, { mode: "GOVERNANCE", days });
    });

    it(`${stack}: each writer may only put objects under its own prefix (the database dump's here; each Pi site's in edge-sites.test.ts)`, () => {
      const plan = planFor(stack);
      assert.equal(ofType(plan, "aws:iam/policy:Policy").filter((p) => /-edge-writer$/.test(p.name)).length, 0, "no writer for all of edge/");
      for (const [writer, prefix] of [["db", "db/"]]) {
        const doc = JSON.parse(one(plan, "aws:iam/policy:Policy", `platform-${stack}-${writer}-writer`).inputs.policy) as { Statement: Statement[] };
        const s3 = doc.Statement.filter((s) => [s.Action].flat().some((a) => a.startsWith("s3:")));
        assert.ok(s3.length > 0);
        for (const statement of s3) {
          assert.equal(statement.Effect, "Allow");
          assert.deepEqual([statement.Resource].flat(), [`arn:aws:s3:::platform-${stack}-bucket/${prefix}*`]);
          assert.ok(![statement.Action].flat().some((a) => /Delete|\*/.test(a)), "no delete, no wildcard actions");
        }
        // Multipart uploads to an SSE-KMS bucket need the data key and its decryption, via S3 only.
        const kms = doc.Statement.filter((s) => [s.Action].flat().some((a) => a.startsWith("kms:")));
        assert.equal(kms.length, 1);
        assert.deepEqual([kms[0].Action].flat().sort(), ["kms:Decrypt", "kms:GenerateDataKey"]);
        assert.equal(kms[0].Resource, `arn:aws:kms:us-east-1:123456789012:key/platform-${stack}-key`);
        assert.deepEqual(kms[0].Condition, { StringLike: { "kms:ViaService": "s3.*.amazonaws.com" } });
      }
    });
  }
});
