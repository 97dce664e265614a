import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { attachmentsOf } from "../lib/join";
import { validateTypes } from "../lib/policy";
import { hasUnknown, isUnknown, known, parseJson } from "../lib/values";

export const S3_BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const PAB = ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"];
const SSE = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
const VERSIONING = ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"];
const BUCKET_POLICY = ["aws:s3/bucketPolicy:BucketPolicy"];
const ACL = ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"];

type Props = Record<string, unknown>;
/** true: compliant; false: not; undefined: cannot tell before the values are known. */
type Verdict = boolean | undefined;

const propsOf = (r: PolicyResource): Props => known(r.props) as Props;
const get = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (v, k) => (v && typeof v === "object" && !isUnknown(v) ? (v as Props)[k] : isUnknown(v) ? v : undefined),
    value,
  );

/**
 * One S3 requirement: which resources configure it, whether one of them (or the bucket's own
 * deprecated inline setting) satisfies it, and what to say when a bucket has none that does.
 */
interface BucketCheck {
  settings: string[];
  inline?: (bucket: Props) => Verdict;
  satisfies: (setting: Props) => Verdict;
  missing: string;
}

function checkBuckets(args: StackValidationArgs, report: ReportViolation, check: BucketCheck): void {
  const settings = args.resources.filter((r) => check.settings.includes(r.type));
  for (const bucket of args.resources.filter((r) => S3_BUCKET_TYPES.includes(r.type))) {
    // The deprecated inline settings count too; unknown ones cannot be judged.
    if (check.inline && check.inline(propsOf(bucket)) !== false) continue;
    const { matched, undetermined } = attachmentsOf(bucket, settings, "bucket", ["bucket"]);
    const verdicts = matched.map((s) => check.satisfies(propsOf(s)));
    if (verdicts.includes(true) || verdicts.includes(undefined) || undetermined.length > 0) continue;
    report(`bucket ${bucket.name}: ${check.missing}`, bucket.urn);
  }
}

const bucketPolicy = (check: BucketCheck & { name: string; description: string }): StackValidationPolicy => ({
  name: check.name,
  description: check.description,
  enforcementLevel: "mandatory",
  validateStack: (args, report) => checkBuckets(args, report, check),
});

const allTrue = (p: Props, keys: string[]): Verdict =>
  keys.some((k) => isUnknown(p[k])) ? undefined : keys.every((k) => p[k] === true);
const PAB_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export const s3PublicAccessBlockPolicy = bucketPolicy({
  name: "s3-public-access-block",
  description:
    "Every S3 bucket has a BucketPublicAccessBlock with all four settings true. Fix: add aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets true.",
  settings: PAB,
  satisfies: (p) => allTrue(p, PAB_FLAGS),
  missing:
    "no public access block with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
});

const KMS_ALGORITHMS = ["aws:kms", "aws:kms:dsse"];
const kmsAlgorithm = (algorithm: unknown): Verdict =>
  isUnknown(algorithm) ? undefined : KMS_ALGORITHMS.includes(String(algorithm));

export const s3KmsEncryptionPolicy = bucketPolicy({
  name: "s3-kms-encryption",
  description:
    'Every S3 bucket encrypts by default with a KMS key (SSE-KMS). Fix: add aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm "aws:kms" and a kmsMasterKeyId.',
  settings: SSE,
  inline: (b) =>
    kmsAlgorithm(
      get(b, "serverSideEncryptionConfiguration", "rule", "applyServerSideEncryptionByDefault", "sseAlgorithm"),
    ),
  satisfies: (p) => {
    const rules = p.rules;
    if (isUnknown(rules)) return undefined;
    const verdicts = (Array.isArray(rules) ? rules : []).map((r) =>
      kmsAlgorithm(get(r, "applyServerSideEncryptionByDefault", "sseAlgorithm")),
    );
    return verdicts.includes(true) ? true : verdicts.includes(undefined) ? undefined : false;
  },
  missing: "no default encryption with a KMS key (sseAlgorithm aws:kms).",
});

export const s3VersioningPolicy = bucketPolicy({
  name: "s3-versioning",
  description:
    'Every S3 bucket has versioning Enabled, so overwritten or deleted objects can be recovered. Fix: add aws.s3.BucketVersioning with versioningConfiguration.status "Enabled".',
  settings: VERSIONING,
  inline: (b) => {
    const enabled = get(b, "versioning", "enabled");
    return isUnknown(enabled) ? undefined : enabled === true;
  },
  satisfies: (p) => {
    const status = get(p, "versioningConfiguration", "status");
    return isUnknown(status) ? undefined : status === "Enabled";
  },
  missing: "versioning is not Enabled.",
});

/** True when the policy document denies every request made without TLS. */
export function deniesInsecureTransport(document: unknown): Verdict {
  const doc = parseJson(document);
  if (isUnknown(doc) || hasUnknown(doc)) return undefined;
  const statements = get(doc, "Statement");
  const list = Array.isArray(statements) ? statements : statements ? [statements] : [];
  return list.some((s) => {
    const secure = get(s, "Condition", "Bool", "aws:SecureTransport");
    const values = Array.isArray(secure) ? secure : [secure];
    return get(s, "Effect") === "Deny" && values.some((v) => v === false || v === "false");
  });
}

export const s3TlsOnlyPolicy = bucketPolicy({
  name: "s3-tls-only",
  description:
    'Every S3 bucket\'s policy denies requests without TLS. Fix: add a BucketPolicy statement Effect Deny, Principal *, Action s3:*, on the bucket and its objects, with Condition Bool aws:SecureTransport "false".',
  settings: BUCKET_POLICY,
  inline: (b) => (b.policy === undefined ? false : deniesInsecureTransport(b.policy)),
  satisfies: (p) => deniesInsecureTransport(p.policy),
  missing: "no bucket policy denying requests without TLS (aws:SecureTransport false).",
});

const PUBLIC_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GRANTEES = [
  "http://acs.amazonaws.com/groups/global/AllUsers",
  "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

export const s3NoPublicAclPolicy: ResourceValidationPolicy = {
  name: "s3-no-public-acl",
  description:
    "No S3 bucket or bucket ACL grants access to everyone or to any AWS account. Fix: drop the public canned ACL or grant; use bucket-owner-enforced ownership (ACLs off) and IAM or bucket policies.",
  enforcementLevel: "mandatory",
  validateResource: validateTypes([...S3_BUCKET_TYPES, ...ACL], (args, report) => {
    const p = known(args.props) as Props;
    if (typeof p.acl === "string" && PUBLIC_ACLS.includes(p.acl))
      report(`canned ACL "${p.acl}" makes the bucket public: remove it.`);
    const grants = [get(p, "accessControlPolicy", "grants"), p.grants].flatMap((g) => (Array.isArray(g) ? g : []));
    for (const g of grants) {
      const uri = get(g, "grantee", "uri") ?? get(g, "uri");
      if (typeof uri === "string" && PUBLIC_GRANTEES.includes(uri))
        report(`a grant to ${uri} makes the bucket public: remove it.`);
    }
  }),
};

export const s3Policies = [
  s3PublicAccessBlockPolicy,
  s3KmsEncryptionPolicy,
  s3VersioningPolicy,
  s3TlsOnlyPolicy,
  s3NoPublicAclPolicy,
];
