import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsServiceTrustPolicy } from "./service-role";
import type { BackupsConfig } from "../config";

/** The writers of the bucket, each confined to its own prefix; each Pi site writes under `edge/<site>/`. */
export const BACKUP_PREFIXES = { db: "db/", edge: "edge/" } as const;

/** The prefix one Pi site writes under: its own folder, so one site's identity cannot touch another's. */
export const edgeSitePrefix = (site: string): string => `${BACKUP_PREFIXES.edge}${site}/`;

/** Where a copy outside the primary region goes (`platform:dr`), with a provider for that region. */
export interface DrTarget {
  region: string;
  /** Days the copies there are kept. */
  retentionDays: number;
  /** An AWS provider for the DR region. */
  provider: pulumi.ProviderResource;
}

export interface BackupsArgs {
  /** `platform:backups`: retention, cold-storage transition, object lock. */
  config: BackupsConfig;
  /** Protect the bucket, its key and every setting that keeps it safe from deletion by the stack (`platform:protect`). */
  protect: boolean;
  /** Replicate the bucket to a bucket of its own, with its own key and lifecycle, in the DR region. */
  dr?: DrTarget;
  /** The primary region, for the replication role's KMS conditions. */
  region?: string;
  /** The Pi sites writing under `edge/<site>/`: with tiers on, each gets its own tier rules. Default none. */
  edgeSites?: readonly string[];
}

/**
 * The S3 backup bucket: private (public access blocked, bucket-owner-enforced), encrypted with a
 * rotating KMS key, versioned, TLS-only, lifecycle to Glacier Instant Retrieval and expiry at the
 * retention (noncurrent versions too), object lock where configured. Database dumps from the
 * cluster land under `db/` (the writer policy here), each Pi site's under `edge/<site>/` (its own
 * identity, EdgeSiteAccess, from writerStatements): a writer may only put objects under its own
 * prefix (no delete: a compromised writer cannot erase history).
 */
export class Backups extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  readonly kmsKeyArn: pulumi.Output<string>;
  /** The IAM policy that may only put database dumps under `db/`. */
  readonly dbWriterPolicyArn: pulumi.Output<string>;
  /** Whether weekly/monthly tiers outlive the daily retention: writers then put under `<prefix><tier>/`. */
  readonly tiered: boolean;

  constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:backups:Backups", name, {}, opts);
    const { config, protect } = args;

    // Object lock can only be turned on when the bucket is created.
    const { key, bucket, versioning } = privateBucket(this, name, {
      bucketName: `${name}-bucket`,
      description: `Encrypts the ${name} backup bucket`,
      objectLock: config.objectLock,
      protect,
    });
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket: bucket.id, rules: lifecycleRules(config, args.edgeSites ?? []) },
      { parent: this, dependsOn: [versioning] },
    );
    if (config.objectLock) {
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        { bucket: bucket.id, rule: { defaultRetention: { mode: config.objectLockMode, days: config.retentionDays } } },
        { parent: this, dependsOn: [versioning], protect },
      );
    }
    if (args.dr)
      this.replicate(
        name,
        config,
        args.dr,
        args.region ?? "",
        { bucket, key, versioning },
        protect,
        args.edgeSites ?? [],
      );

    this.dbWriterPolicyArn = this.writerPolicy(name, "db", bucket.arn, key.arn).arn;
    this.tiered = isTiered(config);
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.kmsKeyArn = key.arn;
    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      kmsKeyArn: this.kmsKeyArn,
      dbWriterPolicyArn: this.dbWriterPolicyArn,
    });
  }

  /**
   * A bucket in the DR region set up like this one (private, TLS-only, versioned, its own rotating
   * KMS key, object lock in the same mode, its own lifecycle) and the replication of every object
   * into it. Delete markers are not replicated: deleting a backup here never deletes the copy.
   */
  private replicate(
    name: string,
    config: BackupsConfig,
    dr: DrTarget,
    primaryRegion: string,
    source: { bucket: aws.s3.Bucket; key: aws.kms.Key; versioning: aws.s3.BucketVersioning },
    protect: boolean,
    edgeSites: readonly string[],
  ): void {
    const inDr = { parent: this, provider: dr.provider };
    const {
      key,
      bucket: replica,
      versioning,
    } = privateBucket(this, `${name}-replica`, {
      description: `Encrypts the ${name} backup replica in ${dr.region}`,
      objectLock: config.objectLock,
      protect,
      provider: dr.provider,
    });
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-replica-lifecycle`,
      // Replicas land in Standard-IA already (replicaStorageClass): no transition, expiry at the DR retention.
      {
        bucket: replica.id,
        rules: lifecycleRules({ ...config, retentionDays: dr.retentionDays, coldAfterDays: 0 }, edgeSites),
      },
      { ...inDr, dependsOn: [versioning] },
    );
    if (config.objectLock) {
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-replica-object-lock`,
        { bucket: replica.id, rule: { defaultRetention: { mode: config.objectLockMode, days: dr.retentionDays } } },
        { ...inDr, dependsOn: [versioning], protect },
      );
    }

    const role = new aws.iam.Role(
      `${name}-replication`,
      {
        description: `S3 replicates the ${name} backup bucket to ${dr.region}`,
        assumeRolePolicy: awsServiceTrustPolicy(this, "s3.amazonaws.com"),
      },
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-replication`,
      {
        role: role.id,
        policy: pulumi
          .all([source.bucket.arn, source.key.arn, replica.arn, key.arn])
          .apply(([from, fromKey, to, toKey]) =>
            replicationPolicyDocument({ from, fromKey, to, toKey, fromRegion: primaryRegion, toRegion: dr.region }),
          ),
      },
      { parent: this },
    );
    new aws.s3.BucketReplicationConfig(
      `${name}-replication`,
      {
        bucket: source.bucket.id,
        role: role.arn,
        rules: [
          {
            id: "everything-to-dr",
            status: "Enabled",
            priority: 1,
            filter: {},
            deleteMarkerReplication: { status: "Disabled" },
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
            destination: {
              bucket: replica.arn,
              storageClass: replicaStorageClass(dr.retentionDays),
              encryptionConfiguration: { replicaKmsKeyId: key.arn },
            },
          },
        ],
      },
      { parent: this, dependsOn: [source.versioning, versioning, policy], protect },
    );
  }

  private writerPolicy(
    name: string,
    writer: "db",
    bucketArn: pulumi.Output<string>,
    keyArn: pulumi.Output<string>,
  ): aws.iam.Policy {
    return new aws.iam.Policy(
      `${name}-${writer}-writer`,
      {
        description: `Write backups under ${BACKUP_PREFIXES[writer]} of the ${name} bucket, nothing else`,
        policy: pulumi
          .all([bucketArn, keyArn])
          .apply(([bucket, key]) => writerPolicyDocument(bucket, key, BACKUP_PREFIXES[writer])),
      },
      { parent: this },
    );
  }
}

export interface PrivateBucketArgs {
  /** The KMS key's description. */
  description: string;
  /** Protect the key, the bucket and every setting that keeps it private (a deleted one would turn that off). */
  protect: boolean;
  /** Object lock, which can only be turned on when the bucket is created. Default: not set. */
  objectLock?: boolean;
  /** The bucket's logical name. Default `base`. */
  bucketName?: string;
  /** The provider of another region (the DR replica). Default the parent's. */
  provider?: pulumi.ProviderResource;
}

/**
 * A private S3 bucket with its own rotating KMS key (`<base>-key`, alias `alias/<base>-…`): owner-
 * enforced ownership, public access blocked, SSE-KMS with a bucket key, versioning and a TLS-only
 * policy, each named `<base>-<setting>`. The backup bucket, its DR replica and Loki's bucket.
 */
export function privateBucket(parent: pulumi.Resource, base: string, args: PrivateBucketArgs) {
  const { protect } = args;
  const opts = args.provider ? { parent, provider: args.provider } : { parent };
  const key = new aws.kms.Key(
    `${base}-key`,
    { description: args.description, enableKeyRotation: true, deletionWindowInDays: 30 },
    { ...opts, protect },
  );
  new aws.kms.Alias(`${base}-key`, { namePrefix: `alias/${base}-`, targetKeyId: key.keyId }, opts);
  const bucket = new aws.s3.Bucket(
    args.bucketName ?? base,
    { ...(args.objectLock === undefined ? {} : { objectLockEnabled: args.objectLock }), forceDestroy: !protect },
    { ...opts, protect },
  );
  const child = { ...opts, dependsOn: [bucket], protect };
  new aws.s3.BucketOwnershipControls(
    `${base}-ownership`,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    child,
  );
  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    `${base}-public-access`,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    child,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${base}-encryption`,
    // The bucket key cuts KMS requests (and their cost).
    {
      bucket: bucket.id,
      rules: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
          bucketKeyEnabled: true,
        },
      ],
    },
    child,
  );
  const versioning = new aws.s3.BucketVersioning(
    `${base}-versioning`,
    { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    child,
  );
  new aws.s3.BucketPolicy(
    `${base}-tls-only`,
    { bucket: bucket.id, policy: bucket.arn.apply(tlsOnlyPolicy) },
    { ...opts, dependsOn: [publicAccess], protect },
  );
  return { key, bucket, versioning };
}

/** Denies every request that does not use TLS, whoever makes it. */
export function tlsOnlyPolicy(bucketArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

/** Put objects (multipart included) under one prefix, with the bucket's KMS key through S3 only. */
export function writerPolicyDocument(bucketArn: string, keyArn: string, prefix: string): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: writerStatements(bucketArn, keyArn, prefix) });
}

/** The statements of writerPolicyDocument, for an identity whose policy allows more (a Pi site's). */
export function writerStatements(bucketArn: string, keyArn: string, prefix: string): Record<string, unknown>[] {
  return [
    {
      Sid: "PutUnderOwnPrefix",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      Resource: `${bucketArn}/${prefix}*`,
    },
    {
      // S3 asks KMS for a data key on upload, and to decrypt it again to complete a multipart
      // upload (the CLI streams anything over 8 MB as one); only through S3, only this key.
      Sid: "EncryptWithBucketKey",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: keyArn,
      Condition: { StringLike: { "kms:ViaService": "s3.*.amazonaws.com" } },
    },
  ];
}

/**
 * Standard-IA bills at least 30 days per object, so replicas kept 30 days or more go there directly;
 * shorter-lived ones stay in Standard.
 */
export function replicaStorageClass(retentionDays: number): "STANDARD_IA" | "STANDARD" {
  return retentionDays >= 30 ? "STANDARD_IA" : "STANDARD";
}

/** What S3 needs to replicate SSE-KMS objects (object lock settings included) and nothing more; no deletes. */
export function replicationPolicyDocument(p: {
  from: string;
  fromKey: string;
  to: string;
  toKey: string;
  fromRegion: string;
  toRegion: string;
}): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadReplicationConfig",
        Effect: "Allow",
        Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
        Resource: p.from,
      },
      {
        Sid: "ReadSourceVersions",
        Effect: "Allow",
        Action: [
          "s3:GetObjectVersionForReplication",
          "s3:GetObjectVersionAcl",
          "s3:GetObjectVersionTagging",
          "s3:GetObjectRetention",
          "s3:GetObjectLegalHold",
        ],
        Resource: `${p.from}/*`,
      },
      {
        Sid: "WriteReplicas",
        Effect: "Allow",
        Action: ["s3:ReplicateObject", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"],
        Resource: `${p.to}/*`,
      },
      {
        Sid: "DecryptSource",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: p.fromKey,
        Condition: { StringLike: { "kms:ViaService": `s3.${p.fromRegion}.amazonaws.com` } },
      },
      {
        Sid: "EncryptReplica",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:GenerateDataKey"],
        Resource: p.toKey,
        Condition: { StringLike: { "kms:ViaService": `s3.${p.toRegion}.amazonaws.com` } },
      },
    ],
  });
}

/** The database dump tiers under `db/` (db-upload.sh picks one by date); everything else is daily. */
export const DUMP_TIERS = ["daily", "weekly", "monthly"] as const;

/**
 * Days each tier is kept and where it lives: daily copies for the retention, weekly ones for
 * weeklyRetentionDays, monthly archives for monthlyRetentionDays in Glacier Flexible Retrieval
 * (from day 1, where they stay past its 90-day minimum). A tier set to 0 keeps the daily retention.
 */
export function tierRetention(
  config: BackupsConfig,
): Record<(typeof DUMP_TIERS)[number], { days: number; archive: boolean }> {
  const monthly = config.monthlyRetentionDays || config.retentionDays;
  return {
    daily: { days: config.retentionDays, archive: false },
    weekly: { days: config.weeklyRetentionDays || config.retentionDays, archive: false },
    monthly: { days: monthly, archive: monthly >= 90 },
  };
}

/** Whether the config keeps weekly or monthly copies longer than daily ones (then writers write tiered keys). */
export function isTiered(config: BackupsConfig): boolean {
  const tiers = tierRetention(config);
  return tiers.weekly.days > config.retentionDays || tiers.monthly.days > config.retentionDays;
}

function lifecycleRules(
  config: BackupsConfig,
  edgeSites: readonly string[],
): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  const cold = config.coldAfterDays > 0 ? [{ days: config.coldAfterDays, storageClass: "GLACIER_IR" }] : undefined;
  const rule = (id: string, prefix: string | undefined, days: number, transitions = cold) => ({
    id,
    status: "Enabled",
    filter: prefix === undefined ? {} : { prefix },
    transitions,
    expiration: { days },
    noncurrentVersionExpiration: { noncurrentDays: days },
    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
  });
  const tiers = tierRetention(config);
  // S3 applies the shortest of overlapping expirations, so no catch-all rule once a tier outlives the daily retention.
  if (!isTiered(config)) return [rule("cold-then-expire", undefined, config.retentionDays), DELETE_MARKER_RULE];
  // The same grandfather-father-son tiers under a writer's prefix: `<prefix><tier>/`.
  const tierRules = (id: string, prefix: string) =>
    DUMP_TIERS.map((tier) =>
      rule(
        `${id}-${tier}`,
        `${prefix}${tier}/`,
        tiers[tier].days,
        tiers[tier].archive
          ? [{ days: 1, storageClass: "GLACIER" }]
          : tiers[tier].days > (config.coldAfterDays || Infinity)
            ? cold
            : undefined,
      ),
    );
  return [
    // Dumps written before the tiers existed (db/<year>/…).
    rule("db-untiered-cold-then-expire", `${BACKUP_PREFIXES.db}2`, config.retentionDays),
    ...tierRules("db", BACKUP_PREFIXES.db),
    // Each Pi site: its tiers, and archives written before them (edge/<site>/app-…).
    ...edgeSites.flatMap((site) => [
      rule(`edge-${site}-untiered`, `${edgeSitePrefix(site)}app-`, config.retentionDays),
      ...tierRules(`edge-${site}`, edgeSitePrefix(site)),
    ]),
    DELETE_MARKER_RULE,
  ];
}

const DELETE_MARKER_RULE: aws.types.input.s3.BucketLifecycleConfigurationRule = {
  // Expiration leaves delete markers behind on a versioned bucket; this rule sweeps them.
  id: "expired-delete-markers",
  status: "Enabled",
  filter: {},
  expiration: { expiredObjectDeleteMarker: true },
};
