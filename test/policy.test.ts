import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allPolicies } from "../policies/rules";
import {
  evaluatePolicies,
  renderViolations,
  type PlanResource,
  type PolicyPackConfig,
  type PolicyReport,
} from "../tools/plan/policy";
import { policyConfigForStack as readPolicyConfig } from "../tools/policy-config";
import { item } from "./helpers/assert";

/** The SDK's sentinel for a value unknown at preview (an output of a resource not yet created). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const res = (
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  options: PlanResource["options"] = {},
): PlanResource => ({ type, name, parent: null, inputs, options });

/** The pack on `resources` with the stack's real policy config (optionally overridden). */
const check = (resources: PlanResource[], stack = "prod", overrides: PolicyPackConfig = {}): Promise<PolicyReport> =>
  evaluatePolicies(resources, stack, { ...readPolicyConfig(stack), ...overrides });

const show = (report: PolicyReport) => JSON.stringify(report.violations, null, 1);

function assertViolation(
  report: PolicyReport,
  policy: string,
  level: "mandatory" | "advisory",
  name?: string,
): string[] {
  const found = report.violations.filter((v) => v.policy === policy && (name === undefined || v.name === name));
  assert.ok(found.length > 0, `expected ${policy} on ${name ?? "any"}; got ${show(report)}`);
  for (const v of found) assert.equal(v.level, level, `${policy} level`);
  return found.map((v) => v.message);
}

function assertClean(report: PolicyReport, policy?: string): void {
  assert.deepEqual(
    report.violations.filter((v) => policy === undefined || v.policy === policy),
    [],
    `expected no ${policy ?? ""} violation; got ${show(report)}`,
  );
}

/**
 * The budget policy (policies/rules/budget.ts, another part of the pack) reads every resource's
 * props; its behaviour on unknown values is its own tests' business, so the unknown-value checks
 * here look at the rest of the pack.
 */
const withoutBudget = (report: PolicyReport): PolicyReport => ({
  violations: report.violations.filter((v) => v.policy !== "monthly-cost-budget"),
});

/** Runs `policy` on the compliant fixture (clean), then on each violating variant (reported at `level`). */
async function ruleCases(
  policy: string,
  level: "mandatory" | "advisory",
  good: PlanResource[],
  bad: PlanResource[][],
  stack = "prod",
) {
  assertClean(await check(good, stack), policy);
  for (const variant of bad) assertViolation(await check(variant, stack), policy, level);
}

const with_ = (r: PlanResource, inputs: Record<string, unknown>, options?: PlanResource["options"]): PlanResource => ({
  ...r,
  inputs: Object.fromEntries(Object.entries({ ...r.inputs, ...inputs }).filter(([, v]) => v !== undefined)),
  options: options ?? r.options,
});

describe("policy pack metadata", () => {
  it("every policy has a unique stable name, a description saying how to fix, and a level", () => {
    const names = allPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const p of allPolicies) {
      assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(["mandatory", "advisory"].includes(p.enforcementLevel ?? ""), `${p.name} level`);
      assert.ok(p.description.length > 40, `${p.name} description`);
    }
  });

  it("the per-stack configs name only existing policies and scope prod-only rules by environment", () => {
    for (const stack of ["dev", "prod"]) {
      const config = readPolicyConfig(stack) as Record<string, { environment?: string }>;
      for (const name of [
        "rds-multi-az",
        "rds-deletion-protection",
        "elasticache-high-availability",
        "stateful-resources-protected",
      ]) {
        assert.equal(config[name]?.environment, stack, `${stack}: ${name}`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
const PROVIDER = res("pulumi:providers:aws", "aws", {
  region: "us-east-1",
  defaultTags: JSON.stringify({ tags: { project: "platform", environment: "prod", "managed-by": "pulumi" } }),
});

describe("aws-required-tags", () => {
  it("passes with the provider's default tags; fails when one is missing or blanked by a resource", async () => {
    await ruleCases(
      "aws-required-tags",
      "mandatory",
      [PROVIDER, res("aws:s3/bucket:Bucket", "b", { tags: { team: "x" } })],
      [
        [with_(PROVIDER, { defaultTags: JSON.stringify({ tags: { project: "platform", environment: "prod" } }) })],
        [with_(PROVIDER, { defaultTags: undefined })],
        [PROVIDER, res("aws:kms/key:Key", "k", { enableKeyRotation: true, tags: { environment: "" } })],
      ],
    );
  });
  it("an unknown defaultTags is not a violation", async () => {
    assertClean(await check([with_(PROVIDER, { defaultTags: UNKNOWN })]), "aws-required-tags");
  });
});

// ---------------------------------------------------------------------------------------------
const TLS_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ],
});
const BUCKET = res("aws:s3/bucket:Bucket", "b", { forceDestroy: false }, { protect: true });
const PAB = res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "b-pab", {
  bucket: "b",
  blockPublicAcls: true,
  blockPublicPolicy: true,
  ignorePublicAcls: true,
  restrictPublicBuckets: true,
});
const SSE = res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "b-sse", {
  bucket: "b",
  rules: [
    {
      applyServerSideEncryptionByDefault: {
        sseAlgorithm: "aws:kms",
        kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/k",
      },
      bucketKeyEnabled: true,
    },
  ],
});
const VERSIONING = res("aws:s3/bucketVersioning:BucketVersioning", "b-versioning", {
  bucket: "b",
  versioningConfiguration: { status: "Enabled" },
});
const BUCKET_POLICY = res("aws:s3/bucketPolicy:BucketPolicy", "b-policy", { bucket: "b", policy: TLS_POLICY });
const S3 = [BUCKET, PAB, SSE, VERSIONING, BUCKET_POLICY];
const without = (list: PlanResource[], r: PlanResource) => list.filter((x) => x !== r);
const replace = (list: PlanResource[], r: PlanResource, next: PlanResource) => list.map((x) => (x === r ? next : x));

describe("S3", () => {
  it("s3-public-access-block: all four settings true for each bucket", async () => {
    await ruleCases("s3-public-access-block", "mandatory", S3, [
      without(S3, PAB),
      replace(S3, PAB, with_(PAB, { restrictPublicBuckets: false })),
      replace(S3, PAB, with_(PAB, { bucket: "other" })),
    ]);
  });
  it("s3-kms-encryption: SSE-KMS, not SSE-S3 or none", async () => {
    const aes = with_(SSE, { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
    await ruleCases("s3-kms-encryption", "mandatory", S3, [without(S3, SSE), replace(S3, SSE, aes)]);
  });
  it("s3-versioning: Enabled, not Suspended or missing", async () => {
    await ruleCases("s3-versioning", "mandatory", S3, [
      without(S3, VERSIONING),
      replace(S3, VERSIONING, with_(VERSIONING, { versioningConfiguration: { status: "Suspended" } })),
    ]);
  });
  it("s3-tls-only: a Deny on aws:SecureTransport false", async () => {
    const allowOnly = with_(BUCKET_POLICY, {
      policy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject" }] }),
    });
    await ruleCases("s3-tls-only", "mandatory", S3, [
      without(S3, BUCKET_POLICY),
      replace(S3, BUCKET_POLICY, allowOnly),
    ]);
  });
  it("the deprecated inline bucket settings count", async () => {
    const inline = with_(BUCKET, {
      versioning: { enabled: true },
      serverSideEncryptionConfiguration: { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } } },
      policy: TLS_POLICY,
    });
    const report = await check([inline, PAB]);
    for (const p of ["s3-versioning", "s3-kms-encryption", "s3-tls-only", "s3-public-access-block"])
      assertClean(report, p);
  });
  it("s3-no-public-acl: no public canned ACL or AllUsers grant", async () => {
    const grant = res("aws:s3/bucketAclV2:BucketAclV2", "acl", {
      bucket: "b",
      accessControlPolicy: {
        grants: [
          { grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" }, permission: "READ" },
        ],
        owner: { id: "x" },
      },
    });
    await ruleCases(
      "s3-no-public-acl",
      "mandatory",
      [...S3, with_(grant, { accessControlPolicy: { grants: [] } })],
      [[with_(BUCKET, { acl: "public-read" })], [BUCKET, grant]],
    );
  });
  it("settings of a bucket not created yet (bucket id unknown) and an unknown policy document are not violations", async () => {
    const pending = S3.slice(1).map((r) => with_(r, { bucket: UNKNOWN }));
    assertClean(withoutBudget(await check([BUCKET, ...pending])));
    assertClean(await check(replace(S3, BUCKET_POLICY, with_(BUCKET_POLICY, { policy: UNKNOWN }))), "s3-tls-only");
  });
});

// ---------------------------------------------------------------------------------------------
const DB = res(
  "aws:rds/instance:Instance",
  "db",
  {
    engine: "postgres",
    instanceClass: "db.t4g.medium",
    allocatedStorage: 100,
    storageType: "gp3",
    publiclyAccessible: false,
    storageEncrypted: true,
    manageMasterUserPassword: true,
    backupRetentionPeriod: 30,
    performanceInsightsEnabled: true,
    multiAz: true,
    deletionProtection: true,
    skipFinalSnapshot: false,
  },
  { protect: true },
);

describe("RDS", () => {
  it("rds-not-public", () =>
    ruleCases("rds-not-public", "mandatory", [DB], [[with_(DB, { publiclyAccessible: true })]]));
  it("rds-storage-encrypted", () =>
    ruleCases(
      "rds-storage-encrypted",
      "mandatory",
      [DB],
      [[with_(DB, { storageEncrypted: false })], [with_(DB, { storageEncrypted: undefined })]],
    ));
  it("rds-managed-master-password: no password input, even a secret one", () =>
    ruleCases(
      "rds-managed-master-password",
      "mandatory",
      [DB],
      [
        [with_(DB, { password: "[secret]" })],
        [with_(DB, { manageMasterUserPassword: undefined, password: UNKNOWN })],
        [with_(DB, { manageMasterUserPassword: false })],
      ],
    ));
  it("rds-backup-retention: at least the stack's minDays (prod 14, dev 7)", async () => {
    await ruleCases(
      "rds-backup-retention",
      "mandatory",
      [with_(DB, { backupRetentionPeriod: 14 })],
      [[with_(DB, { backupRetentionPeriod: 7 })], [with_(DB, { backupRetentionPeriod: undefined })]],
    );
    assertClean(await check([with_(DB, { backupRetentionPeriod: 7 })], "dev"), "rds-backup-retention");
  });
  it("rds-performance-insights is advisory", () =>
    ruleCases("rds-performance-insights", "advisory", [DB], [[with_(DB, { performanceInsightsEnabled: false })]]));
  it("rds-multi-az and rds-deletion-protection apply to prod only", async () => {
    const single = with_(DB, { multiAz: false, deletionProtection: false, skipFinalSnapshot: true });
    await ruleCases("rds-multi-az", "mandatory", [DB], [[single]]);
    await ruleCases("rds-deletion-protection", "mandatory", [DB], [[single], [with_(DB, { skipFinalSnapshot: true })]]);
    const dev = await check([single], "dev");
    assertClean(dev, "rds-multi-az");
    assertClean(dev, "rds-deletion-protection");
  });
  it("unknown values are not violations", async () => {
    const unknown = with_(
      DB,
      Object.fromEntries(
        Object.keys(DB.inputs)
          .filter((k) => k !== "engine")
          .map((k) => [k, UNKNOWN]),
      ),
    );
    assertClean(withoutBudget(await check([unknown])));
  });
});

// ---------------------------------------------------------------------------------------------
const REDIS = res(
  "aws:elasticache/replicationGroup:ReplicationGroup",
  "redis",
  {
    engine: "redis",
    atRestEncryptionEnabled: true,
    transitEncryptionEnabled: true,
    authToken: "[secret]",
    snapshotRetentionLimit: 7,
    automaticFailoverEnabled: true,
    multiAzEnabled: true,
    numCacheClusters: 2,
  },
  { protect: true },
);

describe("ElastiCache", () => {
  it("elasticache-encryption: at rest and in transit", () =>
    ruleCases(
      "elasticache-encryption",
      "mandatory",
      [REDIS],
      [[with_(REDIS, { atRestEncryptionEnabled: false })], [with_(REDIS, { transitEncryptionEnabled: undefined })]],
    ));
  it("elasticache-auth-token: a token or RBAC user groups", async () => {
    await ruleCases(
      "elasticache-auth-token",
      "mandatory",
      [REDIS, with_(REDIS, { authToken: undefined, userGroupIds: ["g"] })],
      [[with_(REDIS, { authToken: undefined })]],
    );
    assertClean(await check([with_(REDIS, { authToken: UNKNOWN })]), "elasticache-auth-token");
  });
  it("elasticache-snapshots: at least minRetentionDays (prod 7, dev 1)", async () => {
    await ruleCases(
      "elasticache-snapshots",
      "mandatory",
      [REDIS],
      [[with_(REDIS, { snapshotRetentionLimit: 1 })], [with_(REDIS, { snapshotRetentionLimit: undefined })]],
    );
    assertClean(await check([with_(REDIS, { snapshotRetentionLimit: 1 })], "dev"), "elasticache-snapshots");
  });
  it("elasticache-high-availability: prod only", async () => {
    const single = with_(REDIS, { automaticFailoverEnabled: false, multiAzEnabled: false, numCacheClusters: 1 });
    await ruleCases(
      "elasticache-high-availability",
      "mandatory",
      [REDIS],
      [[single], [with_(REDIS, { multiAzEnabled: undefined })]],
    );
    assertClean(await check([single], "dev"), "elasticache-high-availability");
  });
});

// ---------------------------------------------------------------------------------------------
const EKS = res("eks:index:Cluster", "eks", {
  version: "1.35",
  upgradePolicy: { supportType: "STANDARD" },
  endpointPrivateAccess: true,
  endpointPublicAccess: true,
  publicAccessCidrs: ["203.0.113.0/24"],
  enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
  encryptionConfigKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k",
});
const RAW_EKS = res("aws:eks/cluster:Cluster", "raw", {
  version: "1.34",
  roleArn: "arn:aws:iam::123456789012:role/eks",
  upgradePolicy: { supportType: "STANDARD" },
  vpcConfig: { subnetIds: ["s"], endpointPublicAccess: false },
  enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
  encryptionConfig: { resources: ["secrets"], provider: { keyArn: "arn:aws:kms:us-east-1:123456789012:key/k" } },
});

describe("EKS", () => {
  it("eks-upgrade-policy-standard", () =>
    ruleCases(
      "eks-upgrade-policy-standard",
      "mandatory",
      [EKS, RAW_EKS],
      [[with_(EKS, { upgradePolicy: undefined })], [with_(RAW_EKS, { upgradePolicy: { supportType: "EXTENDED" } })]],
    ));
  it("eks-public-endpoint-restricted: public endpoint limited to CIDRs (eks.Cluster defaults to open)", () =>
    ruleCases(
      "eks-public-endpoint-restricted",
      "mandatory",
      [EKS, RAW_EKS, with_(EKS, { endpointPublicAccess: false, publicAccessCidrs: undefined })],
      [
        [with_(EKS, { publicAccessCidrs: undefined })],
        [with_(EKS, { publicAccessCidrs: ["10.0.0.0/8", "0.0.0.0/0"] })],
        [with_(RAW_EKS, { vpcConfig: { subnetIds: ["s"], endpointPublicAccess: true, publicAccessCidrs: ["::/0"] } })],
      ],
    ));
  it("eks-control-plane-logging: all five log types", () =>
    ruleCases(
      "eks-control-plane-logging",
      "mandatory",
      [EKS, RAW_EKS],
      [[with_(EKS, { enabledClusterLogTypes: ["api", "audit"] })], [with_(EKS, { enabledClusterLogTypes: undefined })]],
    ));
  it("eks-secrets-encryption", () =>
    ruleCases(
      "eks-secrets-encryption",
      "mandatory",
      [EKS, RAW_EKS, with_(EKS, { encryptionConfigKeyArn: UNKNOWN })],
      [[with_(EKS, { encryptionConfigKeyArn: undefined })], [with_(RAW_EKS, { encryptionConfig: undefined })]],
    ));
  it("eks-allowed-version: on the stack's list", () =>
    ruleCases(
      "eks-allowed-version",
      "mandatory",
      [EKS, RAW_EKS],
      [[with_(EKS, { version: "1.29" })], [with_(EKS, { version: undefined })]],
    ));
  it("unknown values are not violations", async () => {
    assertClean(
      withoutBudget(await check([with_(EKS, Object.fromEntries(Object.keys(EKS.inputs).map((k) => [k, UNKNOWN])))])),
    );
  });
});

// ---------------------------------------------------------------------------------------------
describe("security-group-no-public-ingress", () => {
  const SG = "aws:ec2/securityGroup:SecurityGroup";
  const RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
  const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
  it("no 0.0.0.0/0 or ::/0 to 22, 5432, 6379 or all ports; HTTPS and source groups are fine", () =>
    ruleCases(
      "security-group-no-public-ingress",
      "mandatory",
      [
        res(SG, "web", { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] }),
        res(INGRESS, "db-from-nodes", {
          ipProtocol: "tcp",
          fromPort: 5432,
          toPort: 5432,
          referencedSecurityGroupId: "sg-1",
          securityGroupId: "sg-2",
        }),
        res(RULE, "ssh-office", {
          type: "ingress",
          protocol: "tcp",
          fromPort: 22,
          toPort: 22,
          cidrBlocks: ["203.0.113.0/24"],
          securityGroupId: "sg-2",
        }),
        res(RULE, "egress-all", {
          type: "egress",
          protocol: "-1",
          fromPort: 0,
          toPort: 0,
          cidrBlocks: ["0.0.0.0/0"],
          securityGroupId: "sg-2",
        }),
      ],
      [
        [res(SG, "ssh", { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] })],
        [res(INGRESS, "all-v6", { ipProtocol: "-1", cidrIpv6: "::/0", securityGroupId: "sg-2" })],
        [
          res(RULE, "range", {
            type: "ingress",
            protocol: "tcp",
            fromPort: 5000,
            toPort: 7000,
            cidrBlocks: ["0.0.0.0/0"],
            securityGroupId: "sg-2",
          }),
        ],
        [
          res(RULE, "udp-all", {
            type: "ingress",
            protocol: "udp",
            fromPort: 0,
            toPort: 65535,
            cidrBlocks: ["0.0.0.0/0"],
            securityGroupId: "sg-2",
          }),
        ],
        [
          res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default", {
            ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
          }),
        ],
      ],
    ));
  it("unknown ports or CIDRs are not violations", async () => {
    assertClean(
      await check([
        res(INGRESS, "x", { ipProtocol: "tcp", fromPort: UNKNOWN, toPort: UNKNOWN, cidrIpv4: "0.0.0.0/0" }),
        res(INGRESS, "y", { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: UNKNOWN }),
      ]),
    );
  });
});

// ---------------------------------------------------------------------------------------------
const REPO = res(
  "aws:ecr/repository:Repository",
  "repo",
  { name: "backend", imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true } },
  { protect: true },
);
const LIFECYCLE = res("aws:ecr/lifecyclePolicy:LifecyclePolicy", "repo-lifecycle", {
  repository: "backend",
  policy: '{"rules":[]}',
});

describe("ECR", () => {
  it("ecr-scan-on-push", () =>
    ruleCases(
      "ecr-scan-on-push",
      "mandatory",
      [REPO, LIFECYCLE],
      [
        [with_(REPO, { imageScanningConfiguration: { scanOnPush: false } })],
        [with_(REPO, { imageScanningConfiguration: undefined })],
      ],
    ));
  it("ecr-immutable-tags", () =>
    ruleCases(
      "ecr-immutable-tags",
      "mandatory",
      [REPO, LIFECYCLE],
      [[with_(REPO, { imageTagMutability: "MUTABLE" })], [with_(REPO, { imageTagMutability: undefined })]],
    ));
  it("ecr-lifecycle-policy: one per repository; an unknown repository reference is not a violation", async () => {
    await ruleCases(
      "ecr-lifecycle-policy",
      "mandatory",
      [REPO, LIFECYCLE],
      [[REPO], [REPO, with_(LIFECYCLE, { repository: "frontend" })]],
    );
    assertClean(await check([REPO, with_(LIFECYCLE, { repository: UNKNOWN })]), "ecr-lifecycle-policy");
  });
});

// ---------------------------------------------------------------------------------------------
describe("KMS, logs, VPC flow logs", () => {
  const KEY = res("aws:kms/key:Key", "key", { enableKeyRotation: true }, { protect: true });
  it("ec2-instance-hardened (IMDSv2 only, encrypted root volume)", async () => {
    const instance = res("aws:ec2/instance:Instance", "nat", {
      instanceType: "t4g.nano",
      metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
      rootBlockDevice: { volumeType: "gp3", volumeSize: 8, encrypted: true },
    });
    await ruleCases(
      "ec2-instance-hardened",
      "mandatory",
      [instance],
      [
        [with_(instance, { metadataOptions: { httpTokens: "optional" } })],
        [with_(instance, { metadataOptions: undefined })],
        [with_(instance, { rootBlockDevice: { volumeType: "gp3", volumeSize: 8 } })],
        [with_(instance, { rootBlockDevice: undefined })],
      ],
    );
  });

  it("kms-key-rotation (asymmetric keys are exempt)", async () => {
    await ruleCases(
      "kms-key-rotation",
      "mandatory",
      [
        KEY,
        res(
          "aws:kms/key:Key",
          "sign",
          { customerMasterKeySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY" },
          { protect: true },
        ),
      ],
      [[with_(KEY, { enableKeyRotation: false })], [with_(KEY, { enableKeyRotation: undefined })]],
    );
  });
  it("log-group-retention", () =>
    ruleCases(
      "log-group-retention",
      "mandatory",
      [res("aws:cloudwatch/logGroup:LogGroup", "lg", { retentionInDays: 14 })],
      [
        [res("aws:cloudwatch/logGroup:LogGroup", "lg", {})],
        [res("aws:cloudwatch/logGroup:LogGroup", "lg", { retentionInDays: 0 })],
      ],
    ));
  it("vpc-flow-logs: one per VPC, followed by dependency or counted when ids are unknown", async () => {
    const vpc = res("awsx:ec2:Vpc", "vpc", { cidrBlock: "10.0.0.0/16" });
    const log = res("aws:ec2/flowLog:FlowLog", "log", {
      vpcId: UNKNOWN,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
    });
    await ruleCases(
      "vpc-flow-logs",
      "mandatory",
      [vpc, log],
      [[vpc], [vpc, with_(log, { trafficType: "REJECT" })], [vpc, res("awsx:ec2:Vpc", "vpc2", {}), log]],
    );
    const linked = with_(log, { vpcId: "vpc-1" }, { dependsOn: ["awsx:ec2:Vpc::vpc"] });
    assertClean(
      await check([vpc, res("awsx:ec2:Vpc", "vpc2", {}), linked, with_(log, { vpcId: "vpc-2" })]),
      "vpc-flow-logs",
    );
  });
});

// ---------------------------------------------------------------------------------------------
describe("helm-chart-version-pinned", () => {
  const RELEASE = res("kubernetes:helm.sh/v3:Release", "kps", { chart: "kube-prometheus-stack", version: "79.5.0" });
  it("an exact chart version", () =>
    ruleCases(
      "helm-chart-version-pinned",
      "mandatory",
      [RELEASE, with_(RELEASE, { version: UNKNOWN })],
      [
        [with_(RELEASE, { version: "^79.0.0" })],
        [with_(RELEASE, { version: undefined })],
        [with_(RELEASE, { version: "79.x" })],
      ],
    ));
});

// ---------------------------------------------------------------------------------------------
describe("Docker (edge)", () => {
  const DIGEST = "sha256:6ab0b6e7381779332f97b8ca76193e45b0756f38d4c0dcda72dbb3c32061ab99";
  const C = res("docker:index/container:Container", "redis", {
    name: "redis",
    image: `redis:7-alpine@${DIGEST}`,
    memory: 192,
  });
  it("docker-image-pinned-by-digest (a RemoteImage's id or an unknown image is fine)", () =>
    ruleCases(
      "docker-image-pinned-by-digest",
      "mandatory",
      [C, with_(C, { image: DIGEST }), with_(C, { image: UNKNOWN })],
      [[with_(C, { image: "redis:7-alpine" })], [with_(C, { image: "redis@sha256:abc" })]],
    ));
  it("docker-memory-limit", () =>
    ruleCases("docker-memory-limit", "mandatory", [C], [[with_(C, { memory: undefined })], [with_(C, { memory: 0 })]]));
  it("docker-not-privileged: unless named in config with a reason", async () => {
    const privileged = with_(C, { privileged: true });
    await ruleCases("docker-not-privileged", "mandatory", [C], [[privileged]]);
    const excepted = await check([privileged], "prod", {
      "docker-not-privileged": { exceptions: [{ container: "redis", reason: "needs sysctl vm.overcommit_memory" }] },
    });
    assertClean(excepted, "docker-not-privileged");
    const noReason = await check([privileged], "prod", {
      "docker-not-privileged": { exceptions: [{ container: "redis", reason: " " }] },
    });
    assertViolation(noReason, "docker-not-privileged", "mandatory");
  });
  it("edge-memory-budget: the containers leave 1 GB of the Pi's 4 GB", async () => {
    const fits = [512, 1024, 1024, 512].map((memory, i) => ({ ...C, name: `c${i}`, inputs: { ...C.inputs, memory } }));
    assertClean(await check(fits), "edge-memory-budget");
    const over = [...fits, { ...C, name: "c9", inputs: { ...C.inputs, memory: 1 } }];
    const message = item(assertViolation(await check(over), "edge-memory-budget", "mandatory"), 0, "violations");
    assert.match(message, /3073 MB/);
  });
});

// ---------------------------------------------------------------------------------------------
describe("stateful-resources-protected", () => {
  it("prod stateful resources have protect; dev is exempt", async () => {
    const stateful = [
      DB,
      REDIS,
      REPO,
      res("aws:kms/key:Key", "key", { enableKeyRotation: true }, { protect: true }),
      BUCKET,
    ];
    assertClean(await check(stateful), "stateful-resources-protected");
    const unprotected = stateful.map((r) => ({ ...r, options: {} }));
    const found = assertViolation(await check(unprotected), "stateful-resources-protected", "mandatory");
    assert.equal(found.length, stateful.length);
    assertClean(await check(unprotected, "dev"), "stateful-resources-protected");
  });
});

describe("renderViolations", () => {
  it("groups by level, mandatory first", async () => {
    const text = renderViolations(
      await check([with_(DB, { publiclyAccessible: true, performanceInsightsEnabled: false })]),
    );
    assert.match(
      text,
      /^Policy violations, mandatory \(1\):\n {2}\[rds-not-public\] aws:rds\/instance:Instance db: .+\nPolicy violations, advisory \(1\):\n {2}\[rds-performance-insights\]/,
    );
  });
});
