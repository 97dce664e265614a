import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BackupsConfig } from "../config";

/** The writers of the bucket, each confined to its own prefix; each Pi site writes under `edge/<site>/`. */
export const BACKUP_PREFIXES = { db: "db/", edge: "edge/" } as const;

/** The prefix one Pi site writes under: its own folder, so one site's identity cannot touch another's. */
export const edgeSitePrefix = (site: string): string => `${BACKUP_PREFIXES.edge}${site}/`;

export interface BackupsArgs {
  /** `platform:backups`: retention, cold-storage transition, object lock. */
  config: BackupsConfig;
  /** Protect the bucket and its key from deletion by the stack (`platform:protect`). */
  protect: boolean;
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

  constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:backups:Backups", name, {}, opts);
    const { config, protect } = args;
    const stateful = { parent: this, protect };

    const key = new aws.kms.Key(
      `${name}-key`,
      { description: `Encrypts the ${name} backup bucket`, enableKeyRotation: true, deletionWindowInDays: 30 },
      stateful,
    );
    new aws.kms.Alias(`${name}-key`, { namePrefix: `alias/${name}-`, targetKeyId: key.keyId }, { parent: this });

    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      // Object lock can only be turned on when the bucket is created.
      { objectLockEnabled: config.objectLock, forceDestroy: !protect },
      stateful,
    );
    const bucketChild = { parent: this, dependsOn: [bucket] };

    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, bucketChild);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      bucketChild,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
      },
      bucketChild,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      bucketChild,
    );
    new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      { bucket: bucket.id, policy: bucket.arn.apply(tlsOnlyPolicy) },
      { parent: this, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket: bucket.id, rules: lifecycleRules(config) },
      { parent: this, dependsOn: [versioning] },
    );
    if (config.objectLock) {
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        { bucket: bucket.id, rule: { defaultRetention: { mode: "GOVERNANCE", days: config.retentionDays } } },
        { parent: this, dependsOn: [versioning] },
      );
    }

    this.dbWriterPolicyArn = this.writerPolicy(name, "db", bucket.arn, key.arn).arn;
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.kmsKeyArn = key.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, kmsKeyArn: this.kmsKeyArn, dbWriterPolicyArn: this.dbWriterPolicyArn });
  }

  private writerPolicy(name: string, writer: "db", bucketArn: pulumi.Output<string>, keyArn: pulumi.Output<string>): aws.iam.Policy {
    return new aws.iam.Policy(
      `${name}-${writer}-writer`,
      {
        description: `Write backups under ${BACKUP_PREFIXES[writer]} of the ${name} bucket, nothing else`,
        policy: pulumi.all([bucketArn, keyArn]).apply(([bucket, key]) => writerPolicyDocument(bucket, key, BACKUP_PREFIXES[writer])),
      },
      { parent: this },
    );
  }
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

function lifecycleRules(config: BackupsConfig): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  return [
    {
      id: "cold-then-expire",
      status: "Enabled",
      filter: {},
      transitions: config.coldAfterDays > 0 ? [{ days: config.coldAfterDays, storageClass: "GLACIER_IR" }] : undefined,
      expiration: { days: config.retentionDays },
      noncurrentVersionExpiration: { noncurrentDays: config.retentionDays },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    },
    {
      // Expiration leaves delete markers behind on a versioned bucket; this rule sweeps them.
      id: "expired-delete-markers",
      status: "Enabled",
      filter: {},
      expiration: { expiredObjectDeleteMarker: true },
    },
  ];
}
