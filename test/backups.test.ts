import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { item } from "./helpers/assert";
import { loadCloud, sourceFor } from "./helpers/config";
import { one, ofType, planFor, STACKS } from "./helpers/program";

type Statement = {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
};

/** Settings whose deletion turns a protection of the backups off. */
const SAFETY_SETTINGS = [
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketPolicy:BucketPolicy",
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
];

describe("backups", () => {
  it("object lock mode and DR retention come from config: governance mode, 7-day replicas stay in Standard", () => {
    const plan = planFor("prod", {
      "platform:backups": { objectLockMode: "GOVERNANCE" },
      "platform:dr": { retentionDays: 7 },
    });
    const locks = ofType(plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
    assert.equal(locks.length, 2);
    for (const lock of locks) assert.equal(lock.inputs.rule.defaultRetention.mode, "GOVERNANCE");
    const [rule] = one(plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig").inputs.rules;
    assert.equal(
      rule.destination.storageClass,
      "STANDARD",
      "Standard-IA's 30-day minimum would bill 7-day replicas for 30",
    );
  });

  for (const stack of STACKS) {
    const prod = stack === "prod";
    const days = prod ? 30 : 7;
    it(`${stack}: private, owner-enforced, KMS-encrypted with a rotating key, versioned`, () => {
      const plan = planFor(stack);
      const bucket = one(plan, "aws:s3/bucket:Bucket", `platform-${stack}-bucket`);
      const pab = one(
        plan,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        `platform-${stack}-public-access`,
      );
      assert.equal(pab.inputs.bucket, bucket.name);
      for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
        assert.equal(pab.inputs[flag], true, flag);
      assert.equal(
        one(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", `platform-${stack}-ownership`).inputs.rule
          .objectOwnership,
        "BucketOwnerEnforced",
      );
      const sse = one(
        plan,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        `platform-${stack}-encryption`,
      ).inputs.rules[0];
      assert.equal(sse.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
      const key = one(plan, "aws:kms/key:Key", `platform-${stack}-key`);
      assert.equal(key.inputs.enableKeyRotation, true);
      assert.equal(
        sse.applyServerSideEncryptionByDefault.kmsMasterKeyId,
        `arn:aws:kms:us-east-1:123456789012:key/${key.name}`,
      );
      assert.equal(
        one(plan, "aws:s3/bucketVersioning:BucketVersioning", `platform-${stack}-versioning`).inputs
          .versioningConfiguration.status,
        "Enabled",
      );
    });

    it(`${stack}: bucket policy denies every request without TLS`, () => {
      const policy = JSON.parse(
        one(planFor(stack), "aws:s3/bucketPolicy:BucketPolicy", `platform-${stack}-tls-only`).inputs.policy,
      ) as { Statement: Statement[] };
      const deny = policy.Statement.find(
        (s) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false",
      );
      assert.ok(deny, "a Deny on aws:SecureTransport=false");
      assert.equal(deny.Principal, "*");
      assert.equal(deny.Action, "s3:*");
      assert.deepEqual(deny.Resource, [
        `arn:aws:s3:::platform-${stack}-bucket`,
        `arn:aws:s3:::platform-${stack}-bucket/*`,
      ]);
    });

    it(`${stack}: lifecycle ${prod ? "to Glacier IR, " : ""}expiry at ${days} days for current and noncurrent versions`, () => {
      const rules = one(
        planFor(stack),
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        `platform-${stack}-lifecycle`,
      ).inputs.rules as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
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

    it(`${stack}: database dumps in tiers: ${prod ? "daily 30 days, weekly 91, monthly 365 archived in Glacier" : "one tier, no catch-all beyond it"}`, () => {
      const rules = one(
        planFor(stack),
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        `platform-${stack}-lifecycle`,
      ).inputs.rules as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
      const byPrefix = (prefix: string) => rules.find((r) => r.filter?.prefix === prefix);
      if (!prod) {
        assert.equal(rules.filter((r) => r.expiration?.days !== undefined).length, 1, "one rule for everything");
        return;
      }
      // S3 applies the shortest of overlapping expirations: no rule may cover the longer tiers with a shorter one.
      for (const r of rules.filter((r) => r.expiration?.days !== undefined))
        assert.ok(r.filter?.prefix, `rule ${r.id} has a prefix`);
      assert.equal(byPrefix("db/daily/")?.expiration.days, 30);
      assert.equal(byPrefix("db/weekly/")?.expiration.days, 91);
      assert.deepEqual(byPrefix("db/weekly/")?.transitions, [{ days: 7, storageClass: "GLACIER_IR" }]);
      const monthly = byPrefix("db/monthly/");
      assert.equal(monthly?.expiration.days, 365);
      assert.equal(monthly?.noncurrentVersionExpiration.noncurrentDays, 365);
      assert.deepEqual(monthly?.transitions, [{ days: 1, storageClass: "GLACIER" }]);
      // Each Pi site the stack serves: the same tiers under edge/<site>/, and its archives from before them.
      for (const site of loadCloud(sourceFor(stack)).edgeSites) {
        assert.equal(byPrefix(`edge/${site}/daily/`)?.expiration.days, 30);
        assert.equal(byPrefix(`edge/${site}/weekly/`)?.expiration.days, 91);
        assert.deepEqual(byPrefix(`edge/${site}/monthly/`)?.transitions, [{ days: 1, storageClass: "GLACIER" }]);
        assert.equal(
          byPrefix(`edge/${site}/app-`)?.expiration.days,
          30,
          "the site's archives from before the tiers still expire",
        );
      }
      assert.equal(byPrefix("db/2")?.expiration.days, 30, "dumps from before the tiers still expire");
    });

    it(`${stack}: object lock ${prod ? "on, compliance mode for the retention" : "off"}`, () => {
      const plan = planFor(stack);
      assert.equal(one(plan, "aws:s3/bucket:Bucket", `platform-${stack}-bucket`).inputs.objectLockEnabled, prod);
      const lock = ofType(plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").filter(
        (l) => l.inputs.bucket === `platform-${stack}-bucket`,
      );
      assert.equal(lock.length, prod ? 1 : 0);
      if (prod)
        assert.deepEqual(item(lock, 0, "object lock configurations").inputs.rule.defaultRetention, {
          mode: "COMPLIANCE",
          days,
        });
    });

    it(`${stack}: every setting that keeps the bucket safe is ${prod ? "" : "not "}protected, so a rename or replacement cannot turn it off`, () => {
      const settings = planFor(stack).resources.filter((r) => SAFETY_SETTINGS.includes(r.type));
      assert.ok(settings.length >= (prod ? 2 * 6 : 5), `found ${settings.length}`);
      for (const r of settings) assert.equal(r.options.protect ?? false, prod, `${r.type} ${r.name}`);
    });

    it(`${stack}: ${prod ? "replicated to a bucket of its own in the DR region (us-west-2)" : "no replication outside the region"}`, () => {
      const plan = planFor(stack);
      const replications = ofType(plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
      if (!prod) {
        assert.equal(replications.length, 0);
        // The backup bucket alone: no replica (the logs have a bucket of their own, not replicated either).
        assert.deepEqual(
          ofType(plan, "aws:s3/bucket:Bucket").filter((b) => /replica/.test(b.name)),
          [],
        );
        return;
      }
      const replication = item(replications, 0, "bucket replications");
      const replica = one(plan, "aws:s3/bucket:Bucket", "platform-prod-replica");
      const drProvider = replica.options.provider ?? "";
      assert.equal(drProvider, "pulumi:providers:aws::aws-dr", "created through the DR region's provider");
      assert.equal(one(plan, "pulumi:providers:aws", "aws-dr").inputs.region, "us-west-2");
      assert.equal(replication.inputs.bucket, "platform-prod-bucket");
      const [rule] = replication.inputs.rules;
      assert.equal(rule.status, "Enabled");
      assert.deepEqual(rule.filter, {}, "every object");
      assert.equal(rule.deleteMarkerReplication.status, "Disabled", "a delete here never deletes the copy");
      assert.equal(rule.sourceSelectionCriteria.sseKmsEncryptedObjects.status, "Enabled");
      assert.equal(rule.destination.bucket, "arn:aws:s3:::platform-prod-replica");
      assert.equal(
        rule.destination.storageClass,
        "STANDARD_IA",
        "30-day replicas go to Standard-IA (30-day minimum) directly",
      );
      const replicaKey = one(plan, "aws:kms/key:Key", "platform-prod-replica-key");
      assert.equal(replicaKey.options.provider, drProvider, "the replica's key lives in the DR region");
      assert.equal(replicaKey.inputs.enableKeyRotation, true);
      assert.equal(
        rule.destination.encryptionConfiguration.replicaKmsKeyId,
        `arn:aws:kms:us-east-1:123456789012:key/${replicaKey.name}`,
      );
      // The replica: private, encrypted with its own key, versioned, TLS only, object lock in the same mode, its own lifecycle.
      const child = (type: string, suffix: string) => {
        const r = one(plan, type, `platform-prod-replica-${suffix}`);
        assert.equal(r.inputs.bucket, "platform-prod-replica");
        assert.equal(r.options.provider, drProvider);
        return r;
      };
      const pab = child("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "public-access");
      for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
        assert.equal(pab.inputs[flag], true, flag);
      const sse = child(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "encryption",
      ).inputs.rules[0];
      assert.equal(
        sse.applyServerSideEncryptionByDefault.kmsMasterKeyId,
        rule.destination.encryptionConfiguration.replicaKmsKeyId,
      );
      assert.equal(
        child("aws:s3/bucketVersioning:BucketVersioning", "versioning").inputs.versioningConfiguration.status,
        "Enabled",
      );
      const tls = JSON.parse(child("aws:s3/bucketPolicy:BucketPolicy", "tls-only").inputs.policy) as {
        Statement: Statement[];
      };
      assert.ok(
        tls.Statement.some((st) => st.Effect === "Deny" && st.Condition?.Bool?.["aws:SecureTransport"] === "false"),
      );
      assert.equal(replica.inputs.objectLockEnabled, true);
      assert.deepEqual(
        child("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "object-lock").inputs.rule
          .defaultRetention,
        { mode: "COMPLIANCE", days: 30 },
      );
      const lifecycle = child("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle").inputs
        .rules as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
      const expiry = lifecycle.find((r) => r.expiration?.days !== undefined);
      assert.equal(expiry?.expiration.days, 30);
      assert.equal(expiry?.noncurrentVersionExpiration.noncurrentDays, 30);
      assert.equal(expiry?.transitions, undefined, "replicas are written to Standard-IA already");
      // The role: only this account's S3 assumes it; it reads the source and writes replicas, never deletes.
      const role = ofType(plan, "aws:iam/role:Role").find(
        (r) => `arn:aws:iam::123456789012:role/${r.name}` === replication.inputs.role,
      );
      assert.ok(role, "the replication role");
      const trust = JSON.parse(role.inputs.assumeRolePolicy) as { Statement: Statement[] };
      assert.deepEqual(
        trust.Statement.map((st) => [st.Principal, st.Condition]),
        [[{ Service: "s3.amazonaws.com" }, { StringEquals: { "aws:SourceAccount": "123456789012" } }]],
      );
      const policy = JSON.parse(
        one(plan, "aws:iam/rolePolicy:RolePolicy", "platform-prod-replication").inputs.policy,
      ) as { Statement: Statement[] };
      const actions = policy.Statement.flatMap((st) => [st.Action].flat());
      assert.ok(actions.includes("s3:ReplicateObject") && actions.includes("s3:GetObjectRetention"));
      assert.ok(!actions.some((a) => /Delete|\*/.test(a)), `no delete, no wildcard: ${actions.join(", ")}`);
      assert.deepEqual(policy.Statement.find((st) => st.Action === "kms:Decrypt")?.Condition, {
        StringLike: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
      });
      const encrypt = policy.Statement.find((st) => [st.Action].flat().includes("kms:GenerateDataKey"));
      assert.deepEqual(encrypt?.Condition, { StringLike: { "kms:ViaService": "s3.us-west-2.amazonaws.com" } });
    });

    it(`${stack}: each writer may only put objects under its own prefix (the database dump's here; each Pi site's in edge-sites.test.ts)`, () => {
      const plan = planFor(stack);
      assert.equal(
        ofType(plan, "aws:iam/policy:Policy").filter((p) => /-edge-writer$/.test(p.name)).length,
        0,
        "no writer for all of edge/",
      );
      for (const [writer, prefix] of [["db", "db/"]]) {
        const doc = JSON.parse(
          one(plan, "aws:iam/policy:Policy", `platform-${stack}-${writer}-writer`).inputs.policy,
        ) as { Statement: Statement[] };
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
        const [statement] = kms;
        assert.ok(statement);
        assert.deepEqual([statement.Action].flat().sort(), ["kms:Decrypt", "kms:GenerateDataKey"]);
        assert.equal(statement.Resource, `arn:aws:kms:us-east-1:123456789012:key/platform-${stack}-key`);
        assert.deepEqual(statement.Condition, { StringLike: { "kms:ViaService": "s3.*.amazonaws.com" } });
      }
    });
  }
});
