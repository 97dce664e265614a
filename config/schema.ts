import { z } from "zod";
import { EKS_UNSUPPORTED_ZONE_IDS } from "../components/availability-zones";
import { EKS_ADDON_CLUSTER_VERSIONS, EKS_ADDON_VERSIONS } from "./eks-addons";
import { INSTANCE_SIZES, instanceSize, nodePoolLimits } from "./instance-types";

/**
 * The schema of every `platform:` key, after the environment's defaults are filled in.
 * Each check carries the sentence a user sees after "expected", so a bad value is explained
 * in terms of what AWS (or the Pi) accepts, not in terms of the schema library.
 */

const integer = (min: number, max: number, why: string) =>
  z
    .number({ error: `an integer from ${min} to ${max} (${why})` })
    .int({ error: `an integer from ${min} to ${max} (${why})` })
    .min(min, { error: `an integer from ${min} to ${max} (${why})` })
    .max(max, { error: `an integer from ${min} to ${max} (${why})` });

const boolean = z.boolean({ error: "true or false" });

const text = (what: string) => z.string({ error: what }).min(1, { error: what });

function isAlignedIpv4Cidr(value: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return false;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const blockSize = 2 ** (32 - prefix);
  return address % blockSize === 0;
}

const ipv4Cidr = (what: string) => z.string({ error: what }).refine(isAlignedIpv4Cidr, { error: what });

/** Kubernetes minor versions as EKS names them, e.g. "1.35". */
const eksVersion = z
  .string({ error: 'a Kubernetes minor version as a string, e.g. "1.35"' })
  .regex(/^1\.\d{2}$/, { error: 'a Kubernetes minor version as a string, e.g. "1.35"' });

const ec2InstanceType = z
  .string({ error: 'an EC2 instance type such as "t4g.medium"' })
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: 'an EC2 instance type such as "t4g.medium"' });

/** Node groups are arm64 so that the image built for the Pi runs on the cluster too. */
const gravitonInstanceType = ec2InstanceType.refine((t) => /^[a-z]+\d+g[a-z]*\./.test(t), {
  error: 'a Graviton (arm64) instance type, e.g. "t4g.medium" or "m7g.large" (nodes run the arm64 images)',
});

/** EKS access levels a principal can have (components/cluster.ts maps each to an AWS access policy). */
export const CLUSTER_ACCESS_LEVELS = ["admin", "view"] as const;

const iamRoleArn = z
  .string({ error: "an IAM role ARN, arn:aws:iam::<account>:role/<name>" })
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
    error: "an IAM role ARN, arn:aws:iam::<account>:role/<name>",
  });

const imageByDigest = z
  .string({ error: "an image reference pinned by digest, <repository>@sha256:<64 hex>" })
  .regex(/^[a-z0-9][a-z0-9._/:-]*@sha256:[a-f0-9]{64}$/, {
    error: "an image reference pinned by digest, <repository>@sha256:<64 hex>",
  });

const hostname = z
  .string({ error: "a DNS name or IPv4 address" })
  .regex(/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, {
    error: "a DNS name or IPv4 address",
  });

/** A DNS label: a site name is a folder in S3, a Kubernetes name part and a Prometheus label value. */
const DNS_LABEL =
  "a DNS label: 1–63 lower-case letters, digits and hyphens, starting and ending with a letter or digit";
const dnsLabel = z.string({ error: DNS_LABEL }).regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { error: DNS_LABEL });

const SSH_HOST_KEY = 'the Pi\'s SSH host key line, e.g. "ssh-ed25519 AAAA…" (ssh-keyscan -t ed25519 <host>)';
const sshPublicKey = z
  .string({ error: SSH_HOST_KEY })
  .regex(/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/=]+( .*)?$/, { error: SSH_HOST_KEY });

/** RAM the Pi's OS, page cache and Docker daemon keep beyond every container limit. */
export const EDGE_OS_RESERVE_MB = 1024;

/** The sum of the edge containers' memory limits and what it leaves the Pi's OS, MB. */
export function edgeMemoryBudget(
  hostMemoryMb: number,
  limitsMb: Record<string, number>,
): { total: number; left: number } {
  const total = Object.values(limitsMb).reduce((a, b) => a + b, 0);
  return { total, left: hostMemoryMb - total };
}

const awsTagKey = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

const LOG_RETENTIONS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731] as const;
/** CloudWatch Logs accepts only these retention periods. */
const logRetentionDays = z
  .number({ error: `a CloudWatch Logs retention: ${LOG_RETENTIONS.join(", ")} days` })
  .refine((d) => (LOG_RETENTIONS as readonly number[]).includes(d), {
    error: `a CloudWatch Logs retention: ${LOG_RETENTIONS.join(", ")} days`,
  });

const ZONE_ID =
  'an availability zone ID such as "use1-az1" (aws ec2 describe-availability-zones --query "AvailabilityZones[].ZoneId")';

const VPC_CIDR = "an IPv4 network in CIDR notation with a prefix from /16 to /20, e.g. 10.0.0.0/16";

export const networkSchema = z.strictObject({
  /** VPC IPv4 range; /16 to /20 so that the fixed subnet layout fits. */
  cidr: z
    .string({ error: VPC_CIDR })
    .refine((c) => isAlignedIpv4Cidr(c) && Number(c.split("/")[1]) >= 16 && Number(c.split("/")[1]) <= 20, {
      error: VPC_CIDR,
    }),
  /** Availability zones to spread subnets, NAT gateways, nodes and replicas over. */
  azCount: integer(2, 3, "the subnet layout has room for 3 AZs; EKS needs at least 2"),
  /**
   * `single`: one NAT gateway for the VPC (cheap); `perAz`: one per AZ (no cross-AZ dependency);
   * `instance`: one t4g.nano NAT instance, no NAT gateway (cheapest; single instance, no HA).
   */
  natGateways: z.enum(["single", "perAz", "instance"], { error: '"single", "perAz" or "instance"' }),
  /** Retention of the VPC flow-log group, in days. */
  flowLogRetentionDays: logRetentionDays,
  /**
   * Availability zones by zone ID (the same zone in every account, unlike names), azCount of them;
   * empty: the region's first zones by ID that EKS supports.
   */
  availabilityZoneIds: z
    .array(
      z
        .string({ error: ZONE_ID })
        .regex(/^[a-z]{2,5}\d-az\d{1,2}$/, { error: ZONE_ID })
        .refine((id) => !EKS_UNSUPPORTED_ZONE_IDS.includes(id), {
          error: `a zone EKS supports (not ${EKS_UNSUPPORTED_ZONE_IDS.join(", ")})`,
        }),
      { error: "a list of zone IDs, [] to choose automatically" },
    )
    .refine((ids) => new Set(ids).size === ids.length, { error: "zone IDs without duplicates" }),
});

export const clusterSchema = z.strictObject({
  /** EKS Kubernetes version, pinned; keep it in standard support (see README). */
  version: eksVersion,
  /** Managed node group instance types (Graviton). The first is the on-demand choice. */
  instanceTypes: z
    .array(gravitonInstanceType, { error: "a list of Graviton instance types" })
    .min(1, { error: "at least one instance type" }),
  minNodes: integer(0, 100, "EKS managed node group limits"),
  maxNodes: integer(1, 100, "EKS managed node group limits"),
  desiredNodes: integer(0, 100, "EKS managed node group limits"),
  /** Spot capacity for the node group (dev only: interruptions are fine there). */
  spot: boolean,
  /** CIDRs allowed to reach the public API endpoint; empty means the endpoint is private only. */
  publicAccessCidrs: z.array(ipv4Cidr("IPv4 networks in CIDR notation, e.g. 203.0.113.0/24"), {
    error: "a list of IPv4 CIDRs",
  }),
  /** Removed: replaced by `accessPrincipals` (kept so a stack file still using it gets the migration, not "unknown key"). */
  adminRoleArns: z
    .never({
      error:
        'nothing: this key was replaced by cluster.accessPrincipals; move each role there as { name, arn, level: "admin" }',
    })
    .optional(),
  /**
   * Who may use the Kubernetes API, as EKS access entries with AWS's access policies: `admin`
   * (AmazonEKSClusterAdminPolicy: the deploy role, the break-glass role) or `view`
   * (AmazonEKSAdminViewPolicy: read everything, Secrets included, which a preview or drift
   * refresh of this stack's Kubernetes resources reads; no writes). `name` keys the entry, so
   * reordering the list replaces nothing.
   */
  accessPrincipals: z.array(
    z.strictObject({
      name: dnsLabel,
      arn: iamRoleArn,
      level: z.enum(CLUSTER_ACCESS_LEVELS, {
        error: '"admin" (deploy and break-glass roles) or "view" (preview and drift roles)',
      }),
      /**
       * The role that runs `pulumi up` and so creates the cluster: EKS gives it an admin entry at
       * creation (@pulumi/eks always asks for it), and a second entry for it would fail, so the
       * program declares none. At most one, and an admin.
       */
      createsCluster: boolean.optional(),
    }),
    { error: 'a list of { name, arn, level: "admin" | "view" }' },
  ),
  /**
   * How CI's `pulumi` reaches the API endpoint: `publicEndpoint` (a runner whose egress range is in
   * publicAccessCidrs) or `inVpcRunner` (a self-hosted runner inside the VPC, through the private
   * endpoint). See docs/ci.md.
   */
  ciApiAccess: z.enum(["publicEndpoint", "inVpcRunner"], { error: '"publicEndpoint" or "inVpcRunner"' }),
  /** Root volume of each node, GB (gp3). */
  nodeDiskGb: integer(20, 1000, "node root volume"),
  /** Retention of the control-plane log group, days (created by the stack so it never keeps logs forever). */
  logRetentionDays,
});

/**
 * The RDS master user (components/database.ts): its password is managed by Secrets Manager, and
 * only the job that creates the other database users may read it. Not a knob: renaming it
 * replaces the instance.
 */
export const DATABASE_MASTER_USERNAME = "app_admin";

const POSTGRES_USER =
  "a PostgreSQL user name: 1–63 lower-case letters, digits and _, starting with a letter, not reserved by PostgreSQL or RDS (postgres, rdsadmin, pg_*, rds_*)";
const postgresUserName = z
  .string({ error: POSTGRES_USER })
  .regex(/^[a-z][a-z0-9_]{0,62}$/, { error: POSTGRES_USER })
  .refine((name) => !/^(pg_|rds_)/.test(name) && !["postgres", "rdsadmin", "rdsrepladmin", "public"].includes(name), {
    error: POSTGRES_USER,
  });

export const databaseSchema = z.strictObject({
  /** PostgreSQL major version (RDS picks the newest minor and upgrades minors in the window). */
  engineVersion: z
    .string({ error: 'a PostgreSQL major version as a string, e.g. "17"' })
    .regex(/^1[4-9]$/, { error: 'a supported PostgreSQL major version as a string, "14" to "19"' }),
  instanceClass: z
    .string({ error: 'an RDS instance class with its "db." prefix, e.g. "db.t4g.micro"' })
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'an RDS instance class with its "db." prefix, e.g. "db.t4g.micro"' }),
  allocatedStorageGb: integer(20, 65536, "gp3 storage for RDS PostgreSQL"),
  /**
   * Upper bound of storage autoscaling; 0 turns autoscaling off. RDS rejects a bound equal to the
   * allocated storage and wants it at least 10% above it (checked with allocatedStorageGb).
   */
  maxAllocatedStorageGb: integer(0, 65536, "gp3 storage for RDS PostgreSQL; 0 turns storage autoscaling off"),
  multiAz: boolean,
  backupRetentionDays: integer(0, 35, "RDS automated backup retention"),
  deletionProtection: boolean,
  /** Retention of the exported PostgreSQL log groups, days. */
  logRetentionDays,
  /**
   * Apply changes at once rather than in the weekly maintenance window. Pending changes make the
   * daily drift check report a difference all week; applying at once may restart the instance
   * (class, parameter group family, major version) outside the window.
   */
  applyImmediately: boolean,
  /** Keep the automated backups (and PITR) for their retention after the instance is deleted. */
  retainAutomatedBackups: boolean,
  /**
   * The application's own database user: owns the `app` schema and nothing else, logs in with IAM
   * database authentication (components/app-platform/db-users.ts). Never the master user.
   */
  appUser: postgresUserName,
  /** The nightly dump's read-only database user (SELECT on the `app` schema), IAM authentication. */
  dumpUser: postgresUserName,
  /** Enhanced Monitoring (OS metrics) interval, seconds; 0 turns it off. */
  monitoringIntervalSeconds: z.union(
    [0, 1, 5, 10, 15, 30, 60].map((n) => z.literal(n)),
    {
      error: "one of 0, 1, 5, 10, 15, 30, 60 (RDS Enhanced Monitoring interval in seconds; 0 turns it off)",
    },
  ),
});

export const cacheSchema = z.strictObject({
  engine: z.enum(["redis", "valkey"], { error: '"redis" or "valkey"' }),
  engineVersion: z
    .string({ error: 'an engine version such as "7.1" (redis) or "8.0" (valkey)' })
    .regex(/^\d+\.\d+$/, { error: 'an engine version such as "7.1" (redis) or "8.0" (valkey)' }),
  nodeType: z
    .string({ error: 'an ElastiCache node type with its "cache." prefix, e.g. "cache.t4g.micro"' })
    .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, {
      error: 'an ElastiCache node type with its "cache." prefix, e.g. "cache.t4g.micro"',
    }),
  /** Read replicas next to the primary; 1 or more enables automatic failover and Multi-AZ. */
  replicas: integer(0, 5, "ElastiCache replicas per shard"),
  snapshotRetentionDays: integer(0, 35, "ElastiCache snapshot retention"),
});

export const registrySchema = z.strictObject({
  repositories: z
    .array(
      z
        .string({ error: "repository names" })
        .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/, {
          error: "ECR repository names: lower case letters, digits, and . _ - / separators",
        }),
      { error: "a list of repository names" },
    )
    .min(1, { error: "at least one repository" })
    .refine((names) => new Set(names).size === names.length, { error: "repository names without duplicates" }),
  /** Tagged images kept per repository; older ones expire. */
  keepImages: integer(1, 1000, "ECR lifecycle image count"),
});

export const backupsSchema = z.strictObject({
  /** Days a backup object (and a noncurrent version) is kept before it expires. */
  retentionDays: integer(1, 3650, "S3 lifecycle expiration"),
  /**
   * Days after which backups move to Glacier Instant Retrieval; 0 keeps them in S3 Standard.
   * Glacier IR bills at least 90 days, so it only pays for backups that stay there over ~16 days.
   */
  coldAfterDays: integer(0, 3650, "S3 lifecycle transition; 0 for none"),
  /** S3 Object Lock (governance mode) for the retention period. */
  objectLock: boolean,
  /**
   * Object Lock mode: GOVERNANCE (privileged users may lift it) or COMPLIANCE (nobody, not even
   * the root user, can delete or shorten it before the retention ends).
   */
  objectLockMode: z.enum(["GOVERNANCE", "COMPLIANCE"], { error: '"GOVERNANCE" or "COMPLIANCE"' }),
  /** Days Sunday's database dump (db/weekly/) is kept; 0: as long as the daily ones. */
  weeklyRetentionDays: integer(0, 3650, "S3 lifecycle expiration of the weekly tier; 0 for none"),
  /** Days the dump of the 1st of the month (db/monthly/) is kept, in Glacier Flexible Retrieval from 90 days up; 0: as long as the daily ones. */
  monthlyRetentionDays: integer(0, 3650, "S3 lifecycle expiration of the monthly tier; 0 for none"),
});

const AWS_REGION = 'an AWS region such as "us-west-2"';

/** A copy outside the primary region: RDS automated backups and the backup bucket, replicated. */
export const drSchema = z.strictObject({
  /** Replicate RDS automated backups and the backup bucket to `region`. */
  enabled: boolean,
  /** The DR region; it must differ from aws:region. */
  region: z.string({ error: AWS_REGION }).regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, { error: AWS_REGION }),
  /** Days the replicated RDS automated backups and the replica bucket's objects are kept. */
  retentionDays: integer(1, 35, "RDS replicated automated backup retention"),
});

const EMAIL = "an email address, e.g. oncall@example.com";
const emailAddress = z.string({ error: EMAIL }).regex(/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/, { error: EMAIL });
const SMARTHOST = 'an SMTP server as host:port, e.g. "email-smtp.us-east-1.amazonaws.com:587"';
const DURATION = 'an Alertmanager duration such as "30s", "5m" or "4h"';
const alertmanagerDuration = z.string({ error: DURATION }).regex(/^[1-9]\d*(s|m|h)$/, { error: DURATION });

/**
 * Where Alertmanager sends alerts: critical ones page (PagerDuty), warnings go to chat (Slack),
 * email and a generic webhook get both; the Watchdog heartbeat goes to a dead-man's switch. The
 * URLs, routing key and SMTP password are secrets (`pulumi config set --secret --path ...`).
 */
export const alertingSchema = z.strictObject({
  /** A prod stack without any receiver is a configuration error (alerts would reach no one). */
  requireReceiver: boolean,
  /** Slack incoming-webhook URL (secret): warnings, and criticals for context. */
  slackWebhookUrl: text("a Slack incoming-webhook URL, https://hooks.slack.com/services/…").optional(),
  /** Channel override; default: the webhook's own channel. */
  slackChannel: z
    .string({ error: 'a Slack channel such as "#alerts"' })
    .regex(/^#[a-z0-9._-]{1,80}$/, { error: 'a Slack channel such as "#alerts"' })
    .optional(),
  /** PagerDuty Events API v2 routing (integration) key (secret): critical alerts page. */
  pagerdutyRoutingKey: text("a PagerDuty Events API v2 integration key").optional(),
  /** Email over SMTP (STARTTLS required): critical and warning alerts. */
  email: z
    .strictObject({
      to: z.array(emailAddress, { error: "a list of email addresses" }).min(1, { error: "at least one email address" }),
      from: emailAddress,
      smarthost: z.string({ error: SMARTHOST }).regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, { error: SMARTHOST }),
      authUsername: text("the SMTP user name").optional(),
      /** SMTP password (secret). */
      authPassword: text("the SMTP password").optional(),
    })
    .optional(),
  /** Generic webhook URL (secret: it often carries a token): critical and warning alerts. */
  webhookUrl: text("an https URL receiving Alertmanager's webhook JSON").optional(),
  /** Dead-man's-switch URL (secret) the always-firing Watchdog alert is sent to every minute. */
  heartbeatUrl: text("a dead-man's-switch ping URL, e.g. https://hc-ping.com/<uuid>").optional(),
  /** How long a new group waits for more alerts before its first notification. */
  groupWait: alertmanagerDuration,
  /** How long before a group's changes (new alerts) are notified. */
  groupInterval: alertmanagerDuration,
  /** How long before a still-firing alert is notified again. */
  repeatInterval: alertmanagerDuration,
});

const exactChartVersion = (example: string) =>
  z
    .string({ error: `an exact chart version, e.g. "${example}"` })
    .regex(/^\d+\.\d+\.\d+$/, { error: `an exact chart version, e.g. "${example}" (no ranges)` });

/** `platform:monitoring.logs`: Loki in its own bucket and the node log collector. */
export const logsSchema = z.strictObject({
  enabled: boolean,
  /** Days Loki keeps logs (its compactor deletes older chunks; the bucket's lifecycle expires what is left a little later). */
  retentionDays: integer(1, 3650, "log retention"),
  /** `loki` chart (grafana/helm-charts) version, pinned. */
  lokiChartVersion: exactChartVersion("7.3.0"),
  /** `alloy` chart (grafana/helm-charts) version, pinned. */
  alloyChartVersion: exactChartVersion("1.11.1"),
});

export const monitoringSchema = z.strictObject({
  enabled: boolean,
  /** kube-prometheus-stack chart version, pinned. */
  chartVersion: z
    .string({ error: 'an exact chart version, e.g. "88.5.3"' })
    .regex(/^\d+\.\d+\.\d+$/, { error: 'an exact chart version, e.g. "88.5.3" (no ranges)' }),
  retentionDays: integer(1, 365, "Prometheus TSDB retention"),
  /**
   * `prometheus-operator-crds` chart version, pinned: the operator's CRDs as a release of their own,
   * upgraded before the stack (Helm never upgrades a chart's crds/ directory). Its appVersion must be
   * the stack chart's appVersion (the test checks the pinned pair; docs/monitoring.md, "Upgrades").
   */
  crdsChartVersion: exactChartVersion("31.0.1"),
  /** Prometheus volume size, GB; Alertmanager and Grafana get small fixed volumes. */
  storageGb: integer(10, 16384, "gp3 volume size"),
  /** Alertmanager's receivers, routes and grouping. */
  alerting: alertingSchema,
  /** Logs: Loki (its own S3 bucket) and the Alloy collector on every node; only with `enabled`. */
  logs: logsSchema,
});

const DNS_NAME =
  'a DNS name such as "prod.example.com" (lower-case labels separated by dots, no trailing dot): the Route 53 hosted zone';
const dnsName = z
  .string({ error: DNS_NAME })
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, { error: DNS_NAME });
const chartVersion = (example: string) =>
  z
    .string({ error: `an exact chart version, e.g. "${example}"` })
    .regex(/^\d+\.\d+\.\d+$/, { error: `an exact chart version, e.g. "${example}" (no ranges)` });

/** Traffic in: the AWS Load Balancer Controller, one shared ALB per environment, ExternalDNS, WAF. */
export const ingressSchema = z.strictObject({
  /** The Route 53 public hosted zone (existing, not created here) the ALB's certificate and records live in; unset: no shared ALB yet. */
  zoneName: dnsName.optional(),
  /** An AWS WAF web ACL with AWS managed rule groups on the shared ALB (needs zoneName). */
  waf: boolean,
  /** aws-load-balancer-controller chart version, pinned. */
  controllerChartVersion: chartVersion("3.5.0"),
  /** external-dns chart version, pinned. */
  externalDnsChartVersion: chartVersion("1.21.1"),
});

/** What Karpenter may launch: `spot` (interruptible, cheaper) and `on-demand`. */
export const KARPENTER_CAPACITY_TYPES = ["spot", "on-demand"] as const;
const KARPENTER_DURATION = 'a Karpenter duration such as "30s", "5m" or "720h"';
const AMI_ALIAS =
  'a pinned AL2023 EKS AMI release, "al2023@v<YYYYMMDD>" (a release of awslabs/amazon-eks-ami; not "al2023@latest")';

/**
 * Node autoscaling: Karpenter with one NodePool of Graviton nodes beside the managed node group
 * (the small system pool, where Karpenter itself runs). See docs/scaling.md.
 */
export const karpenterSchema = z.strictObject({
  /** Install Karpenter, its IAM, interruption queue, NodePool and EC2NodeClass. */
  enabled: boolean,
  /** `karpenter` chart version (oci://public.ecr.aws/karpenter), pinned; its IAM policy follows that version. */
  chartVersion: chartVersion("1.14.1"),
  /** Instance types the NodePool may launch: Graviton, each priced and sized (the limits and the cost at the maximum). */
  instanceTypes: z
    .array(gravitonInstanceType, { error: "a list of Graviton instance types" })
    .min(1, { error: "at least one instance type" })
    .refine((types) => new Set(types).size === types.length, { error: "instance types without duplicates" }),
  /** Capacity types the NodePool may launch; Karpenter prefers Spot when both are allowed. */
  capacityTypes: z
    .array(z.enum(KARPENTER_CAPACITY_TYPES, { error: '"spot" or "on-demand"' }), {
      error: 'a list of capacity types, e.g. ["on-demand"] or ["spot", "on-demand"]',
    })
    .min(1, { error: "at least one capacity type" })
    .refine((types) => new Set(types).size === types.length, { error: "capacity types without duplicates" }),
  /** The most nodes Karpenter may run at once: the NodePool's CPU and memory limits are this many of the largest allowed type. */
  maxNodes: integer(1, 100, "Karpenter nodes at once; the NodePool's limits are derived from it"),
  /** How long a node must be empty or underused before Karpenter consolidates it. */
  consolidateAfter: z.string({ error: KARPENTER_DURATION }).regex(/^[1-9]\d*(s|m|h)$/, { error: KARPENTER_DURATION }),
  /** Nodes older than this are replaced (fresh AMI, no long-lived hosts). */
  expireAfter: z.string({ error: KARPENTER_DURATION }).regex(/^[1-9]\d*(s|m|h)$/, { error: KARPENTER_DURATION }),
  /** The EC2NodeClass's AMI alias, pinned to an EKS AMI release so a new AMI arrives by a reviewed change. */
  amiAlias: z.string({ error: AMI_ALIAS }).regex(/^al2023@v\d{8}$/, { error: AMI_ALIAS }),
});

export const edgeSchema = z.strictObject({
  /** This Pi's site: one of the cloud stack's `platform:edgeSites`; its backups land under `edge/<site>/`. */
  site: dnsLabel,
  /** DNS name or address of the Pi, as reached from where `pulumi up` runs. */
  host: hostname,
  port: integer(1, 65535, "TCP port"),
  /** How long a preview or update waits for the Pi's SSH greeting before it fails the edge stack, seconds. */
  sshProbeTimeoutSeconds: integer(1, 300, "seconds"),
  user: z.string({ error: "a Linux user name" }).regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "a Linux user name" }),
  /** The Pi's SSH host public key, pinned: a changed host key fails the connection. */
  hostKey: sshPublicKey,
  /** Private key (secret); when absent the SSH agent ($SSH_AUTH_SOCK) is used. */
  sshPrivateKey: text("a PEM/OpenSSH private key").optional(),
  /** The app image pinned by digest; `edge-app@sha256:…` without a registry means the cloud stack's ECR repository. */
  appImage: imageByDigest.optional(),
  backupRetentionDays: integer(1, 90, "backups kept on the Pi's SD card"),
  /** The Pi's RAM, MB: a Raspberry Pi 4 Model B with 4 GB. */
  hostMemoryMb: integer(1024, 16384, "the Pi's RAM"),
  /** Memory limit of each container, MB; their sum must leave the OS at least 1024 MB. */
  memoryMb: z.strictObject({
    app: integer(128, 8192, "container memory limit"),
    redis: integer(32, 8192, "container memory limit"),
    nginx: integer(16, 8192, "container memory limit"),
    nodeExporter: integer(16, 8192, "container memory limit"),
    metricsAgent: integer(32, 8192, "container memory limit"),
    /** Grafana Alloy shipping the journal and the containers' logs (components/edge/logs.ts). */
    logAgent: integer(64, 8192, "container memory limit"),
  }),
  /** PEM certificate (chain) for nginx; a self-signed one for `host` is generated when absent. */
  tlsCertificate: text("a PEM certificate").optional(),
  /** PEM private key of tlsCertificate (secret). */
  tlsPrivateKey: text("a PEM private key").optional(),
  /** Networks the Pi's firewall admits SSH from (rate-limited: ufw `limit`, 6 connections per 30 s per address). */
  sshAllowFrom: z
    .array(ipv4Cidr("IPv4 networks in CIDR notation, e.g. 192.168.1.0/24 (the deploy machine's network)"), {
      error: "a list of IPv4 networks in CIDR notation",
    })
    .min(1, { error: "at least one network: an empty list would lock every deploy out of the Pi" }),
  /** Reverse proxies in front of nginx whose X-Forwarded-For is believed; empty: the client is the socket's address. */
  trustedProxies: z.array(ipv4Cidr("IPv4 addresses or networks in CIDR notation, e.g. 192.168.1.10/32"), {
    error: "a list of IPv4 networks in CIDR notation",
  }),
  /** App paths nginx never serves publicly, in any case or encoding (the path and everything under it). */
  internalPaths: z.array(
    z.string({ error: 'an absolute path such as "/metrics"' }).regex(/^(\/[A-Za-z0-9._~-]+)+\/?$/, {
      error: 'an absolute path of letters, digits and ._~- segments, such as "/metrics"',
    }),
    { error: 'a list of absolute paths, e.g. ["/metrics"]' },
  ),
  /** Content-Security-Policy nginx sends on every HTTPS response; "" sends none. */
  contentSecurityPolicy: z.string({ error: "a Content-Security-Policy header value" }).regex(/^[^"\\$\r\n{}]*$/, {
    error: "a Content-Security-Policy header value without quotes, backslashes, $, braces or line breaks",
  }),
  /** Local time (HH:MM) unattended-upgrades may reboot the Pi at when a security update needs it; after the 03:00 backup. */
  rebootTime: z
    .string({ error: 'a time of day "HH:MM" (24 h, the Pi\'s local time)' })
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, {
      error: 'a time of day "HH:MM" (24 h, the Pi\'s local time), e.g. "04:00"',
    }),
  /** The Pi's persistent journal is capped at this size on the SD card, MB. */
  journalMaxMb: integer(16, 4096, "journal size on the SD card, MB"),
  /** Refuse to deploy without edge.appImage pinned by digest (prod): otherwise every up takes the newest pushed image. */
  requirePinnedAppImage: boolean,
  /**
   * A publicly trusted certificate for `host` from Let's Encrypt by ACME DNS-01, obtained and
   * renewed by certbot on the Pi with the site's ACME role (the cloud stack's platform:edgeDns
   * zone). Unset: edge.tlsCertificate, or a self-signed certificate.
   */
  acme: z
    .strictObject({
      /** Let's Encrypt's account contact: expiry warnings and policy notices. */
      email: emailAddress,
      /** true: Let's Encrypt's staging CA (an untrusted certificate, generous rate limits) for a first try. */
      staging: boolean.optional(),
    })
    .optional(),
});

/** The Route 53 zone the Pis' public names live in (cloud). */
export const edgeDnsSchema = z.strictObject({
  /**
   * An existing Route 53 public hosted zone; site `<site>` is `<site>.<zoneName>`, and its ACME role
   * may change only the TXT record `_acme-challenge.<site>.<zoneName>` there. Unset: no ACME role.
   */
  zoneName: dnsName.optional(),
});

const PULUMI_NAME = "a Pulumi name: letters, digits, hyphens, underscores and dots";
const pulumiName = z.string({ error: PULUMI_NAME }).regex(/^[A-Za-z0-9_.-]{1,100}$/, { error: PULUMI_NAME });

/** The cloud stack an edge stack reads (a StackReference to `<organization>/<project>/<stack>`). */
export const cloudStackSchema = z.strictObject({
  /** Default: the edge stack's own organization (`organization` on a self-managed backend). */
  organization: pulumiName.optional(),
  /** Default: this project. */
  project: pulumiName.optional(),
  /** Default: the stack named like the environment (`dev` or `prod`). */
  stack: pulumiName,
});

/** The Pi sites a cloud stack serves: an identity, a metrics credential and an EdgeSilent alert each. */
export const edgeSitesSchema = z
  .array(dnsLabel, { error: "a list of site names (DNS labels), [] for none" })
  .refine((sites) => new Set(sites).size === sites.length, { error: "site names without duplicates" });

export const costSchema = z.strictObject({
  /** The plan and the policy pack fail when the monthly estimate exceeds this. */
  monthlyBudgetUsd: z
    .number({ error: "a number of US dollars" })
    .positive({ error: "a positive number of US dollars" }),
  /** Usage the program does not declare, assumed for the estimate (docs/cost.md). */
  natProcessedGbPerMonth: z.number({ error: "GB per month, 0 or more" }).min(0, { error: "GB per month, 0 or more" }),
  backupStoredGb: z.number({ error: "GB, 0 or more" }).min(0, { error: "GB, 0 or more" }),
  registryStoredGb: z.number({ error: "GB, 0 or more" }).min(0, { error: "GB, 0 or more" }),
  logsIngestedGbPerMonth: z.number({ error: "GB per month, 0 or more" }).min(0, { error: "GB per month, 0 or more" }),
});

export const tagsSchema = z
  .record(
    z.string(),
    z.string({ error: "tag values as strings" }).max(256, { error: "tag values up to 256 characters" }),
    {
      error: "a map of tag names to values",
    },
  )
  .refine((tags) => Object.keys(tags).every((k) => awsTagKey.test(k) && !k.toLowerCase().startsWith("aws:")), {
    error: 'tag names of 1–128 allowed characters, not starting with "aws:"',
  });

export const environmentSchema = z.enum(["dev", "prod"], { error: '"dev" or "prod"' });

/** A cloud stack (AWS) or an edge stack (one Pi); the same program, different keys. */
export const kindSchema = z.enum(["cloud", "edge"], { error: '"cloud" or "edge"' });
export type StackKind = z.infer<typeof kindSchema>;

/** Every `platform:` key, one schema per key. A key missing here is a typo and gets a "did you mean". */
export const platformSchemas = {
  environment: environmentSchema,
  kind: kindSchema,
  /** Protect stateful resources (database, cache, bucket, keys, repositories) from deletion by the stack. */
  protect: boolean,
  network: networkSchema,
  cluster: clusterSchema,
  database: databaseSchema,
  cache: cacheSchema,
  registry: registrySchema,
  backups: backupsSchema,
  dr: drSchema,
  monitoring: monitoringSchema,
  ingress: ingressSchema,
  karpenter: karpenterSchema,
  edgeSites: edgeSitesSchema,
  edgeDns: edgeDnsSchema,
  edge: edgeSchema,
  cloudStack: cloudStackSchema,
  cost: costSchema,
  tags: tagsSchema,
} as const;

export type PlatformKey = keyof typeof platformSchemas;

/** Which keys each kind of stack takes besides `environment`, `kind` and `tags`; a key of the other kind is an error. */
export const KIND_KEYS = {
  cloud: [
    "protect",
    "network",
    "cluster",
    "database",
    "cache",
    "registry",
    "backups",
    "monitoring",
    "edgeSites",
    "cost",
    "dr",
    "ingress",
    "karpenter",
    "edgeDns",
  ],
  edge: ["edge", "cloudStack"],
} as const satisfies Record<StackKind, readonly PlatformKey[]>;
export const COMMON_KEYS = ["environment", "kind", "tags"] as const satisfies readonly PlatformKey[];

export type PlatformConfig = { [K in PlatformKey]: z.infer<(typeof platformSchemas)[K]> };
export type CloudKey = (typeof KIND_KEYS.cloud)[number];
export type EdgeKey = (typeof KIND_KEYS.edge)[number];
export type Environment = z.infer<typeof environmentSchema>;
export type NetworkConfig = PlatformConfig["network"];
export type ClusterConfig = PlatformConfig["cluster"];
export type DatabaseConfig = PlatformConfig["database"];
export type CacheConfig = PlatformConfig["cache"];
export type RegistryConfig = PlatformConfig["registry"];
export type BackupsConfig = PlatformConfig["backups"];
export type MonitoringConfig = PlatformConfig["monitoring"];
export type DrConfig = PlatformConfig["dr"];
export type CostConfig = PlatformConfig["cost"];
export type IngressConfig = PlatformConfig["ingress"];
export type KarpenterConfig = PlatformConfig["karpenter"];

/** The ECR repository the Pi's app image comes from: a cloud stack serving sites must have it. */
export const EDGE_APP_REPOSITORY = "edge-app";

/** A problem that involves more than one knob, reported against the knob to change. */
export interface CrossFieldProblem {
  path: string[];
  value: unknown;
  expected: string;
}

/** The lowest storage-autoscaling ceiling RDS accepts: 10% above the allocated storage. */
export const minAutoscalingCeiling = (allocatedGb: number): number => Math.ceil((allocatedGb * 11) / 10);

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const section = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * Checks between knobs, run on the merged values even when a section has other errors, so that
 * every problem is reported at once; a check whose inputs are of the wrong type is skipped (the
 * type error is reported on its own).
 */
export function crossFieldProblems(merged: Record<string, unknown>): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const cluster = section(merged.cluster);
  const database = section(merged.database);
  const backups = section(merged.backups);
  const edge = section(merged.edge);
  const { minNodes, maxNodes, desiredNodes } = cluster;
  if (isNumber(minNodes) && isNumber(maxNodes) && minNodes > maxNodes)
    problems.push({
      path: ["cluster", "minNodes"],
      value: minNodes,
      expected: `at most cluster.maxNodes (${maxNodes})`,
    });
  else if (
    isNumber(minNodes) &&
    isNumber(maxNodes) &&
    isNumber(desiredNodes) &&
    (desiredNodes < minNodes || desiredNodes > maxNodes)
  )
    problems.push({
      path: ["cluster", "desiredNodes"],
      value: desiredNodes,
      expected: `between cluster.minNodes (${minNodes}) and cluster.maxNodes (${maxNodes})`,
    });
  const { allocatedStorageGb, maxAllocatedStorageGb } = database;
  if (
    isNumber(allocatedStorageGb) &&
    isNumber(maxAllocatedStorageGb) &&
    maxAllocatedStorageGb > 0 &&
    maxAllocatedStorageGb < minAutoscalingCeiling(allocatedStorageGb)
  )
    problems.push({
      path: ["database", "maxAllocatedStorageGb"],
      value: maxAllocatedStorageGb,
      expected: `0 (no storage autoscaling) or at least ${minAutoscalingCeiling(allocatedStorageGb)} GB, 10% above database.allocatedStorageGb (${allocatedStorageGb}): RDS rejects a lower ceiling`,
    });
  const network = section(merged.network);
  if (
    Array.isArray(network.availabilityZoneIds) &&
    network.availabilityZoneIds.length > 0 &&
    isNumber(network.azCount) &&
    network.availabilityZoneIds.length !== network.azCount
  )
    problems.push({
      path: ["network", "availabilityZoneIds"],
      value: network.availabilityZoneIds,
      expected: `[] or exactly network.azCount (${network.azCount}) zone IDs`,
    });
  problems.push(...databaseUserProblems(database));
  if (typeof cluster.version === "string" && /^1\.\d{2}$/.test(cluster.version) && !EKS_ADDON_VERSIONS[cluster.version])
    problems.push({
      path: ["cluster", "version"],
      value: cluster.version,
      expected: `a version whose EKS add-on versions are pinned in config/eks-addons.ts: ${EKS_ADDON_CLUSTER_VERSIONS.join(", ")} (to upgrade to ${cluster.version}, add its row there first, from aws eks describe-addon-versions)`,
    });
  const dr = section(merged.dr);
  if (dr.enabled === true && database.backupRetentionDays === 0)
    problems.push({
      path: ["database", "backupRetentionDays"],
      value: 0,
      expected: "at least 1 while dr.enabled is true: RDS replicates automated backups only when it takes them",
    });
  const { retentionDays, coldAfterDays } = backups;
  for (const tier of ["weeklyRetentionDays", "monthlyRetentionDays"] as const) {
    const days = backups[tier];
    if (isNumber(retentionDays) && isNumber(days) && days > 0 && days <= retentionDays)
      problems.push({
        path: ["backups", tier],
        value: days,
        expected: `0 (no such tier) or more days than backups.retentionDays (${retentionDays})`,
      });
  }
  if (isNumber(retentionDays) && isNumber(coldAfterDays) && coldAfterDays >= retentionDays)
    problems.push({
      path: ["backups", "coldAfterDays"],
      value: coldAfterDays,
      expected: `fewer days than backups.retentionDays (${retentionDays})`,
    });
  const memoryMb = section(edge.memoryMb);
  const limits = Object.values(memoryMb);
  const hostMemoryMb = edge.hostMemoryMb;
  if (isNumber(hostMemoryMb) && limits.length > 0 && limits.every(isNumber)) {
    const { total } = edgeMemoryBudget(hostMemoryMb, memoryMb as Record<string, number>);
    if (hostMemoryMb - total < EDGE_OS_RESERVE_MB)
      problems.push({
        path: ["edge", "memoryMb"],
        value: memoryMb,
        expected: `container limits summing to at most ${hostMemoryMb - EDGE_OS_RESERVE_MB} MB (they sum to ${total} MB; the Pi's OS keeps ${EDGE_OS_RESERVE_MB} of ${hostMemoryMb} MB)`,
      });
  }
  const monitoring = section(merged.monitoring);
  const sites = Array.isArray(merged.edgeSites) ? merged.edgeSites : [];
  if (
    sites.length > 0 &&
    monitoring.enabled === true &&
    Array.isArray(cluster.publicAccessCidrs) &&
    cluster.publicAccessCidrs.length === 0
  )
    problems.push({
      path: ["edgeSites"],
      value: sites,
      expected:
        "no sites while cluster.publicAccessCidrs is empty: each Pi sends its metrics through the cluster's public API endpoint, so add the Pis' public addresses there",
    });
  problems.push(...clusterAccessProblems(merged));
  problems.push(...karpenterProblems(merged));
  const repositories = section(merged.registry).repositories;
  if (sites.length > 0 && Array.isArray(repositories) && !repositories.includes(EDGE_APP_REPOSITORY))
    problems.push({
      path: ["registry", "repositories"],
      value: repositories,
      expected: `a list including "${EDGE_APP_REPOSITORY}" while platform:edgeSites lists sites: the Pis pull their app image from it`,
    });
  problems.push(...alertingProblems(monitoring));
  if ((edge.tlsCertificate === undefined) !== (edge.tlsPrivateKey === undefined))
    problems.push({
      path: ["edge", edge.tlsCertificate === undefined ? "tlsCertificate" : "tlsPrivateKey"],
      value: undefined,
      expected: "edge.tlsCertificate and edge.tlsPrivateKey set together, or neither (a self-signed certificate)",
    });
  if (edge.acme !== undefined && edge.tlsCertificate !== undefined)
    problems.push({
      path: ["edge", "acme"],
      value: edge.acme,
      expected:
        "unset while edge.tlsCertificate is set: the certificate comes from one source, ACME (edge.acme), a provided one (edge.tlsCertificate and tlsPrivateKey) or, with neither, a self-signed one",
    });
  if (edge.requirePinnedAppImage === true && edge.appImage === undefined)
    problems.push({
      path: ["edge", "appImage"],
      value: undefined,
      expected:
        'an image pinned by digest (e.g. "edge-app@sha256:<64 hex>") while edge.requirePinnedAppImage is true: without it every pulumi up deploys whatever was pushed last',
    });
  return problems;
}

/**
 * Cluster access: a protected stack (prod) must name an admin principal, or nobody but the role
 * that happened to create the cluster could manage it; names and roles appear once; CI must
 * have a way to reach the API endpoint.
 */
function clusterAccessProblems(merged: Record<string, unknown>): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const cluster = section(merged.cluster);
  const principals = Array.isArray(cluster.accessPrincipals) ? cluster.accessPrincipals.map(section) : undefined;
  // The creator's entry is EKS's, not this program's: a protected stack declares a break-glass admin.
  if (
    principals &&
    merged.protect === true &&
    !principals.some((p) => p.level === "admin" && p.createsCluster !== true)
  )
    problems.push({
      path: ["cluster", "accessPrincipals"],
      value: cluster.accessPrincipals,
      expected:
        'at least one { name, arn, level: "admin" } besides the role that creates the cluster, in a protected stack (platform:protect, prod\'s default): a break-glass role',
    });
  const creators = (principals ?? []).filter((p) => p.createsCluster === true);
  if (creators.length > 1 || creators.some((p) => p.level !== "admin"))
    problems.push({
      path: ["cluster", "accessPrincipals"],
      value: creators.map((p) => p.name),
      expected:
        'createsCluster on one principal at most, of level "admin": the role that runs `pulumi up` (EKS makes its admin entry)',
    });
  for (const field of ["name", "arn"] as const) {
    const seen = (principals ?? []).map((p) => p[field]).filter((v) => typeof v === "string");
    const repeated = [...new Set(seen.filter((v, i) => seen.indexOf(v) !== i))];
    if (repeated.length > 0)
      problems.push({
        path: ["cluster", "accessPrincipals"],
        value: repeated,
        expected: `each ${field} once (EKS has one access entry per role)`,
      });
  }
  if (
    cluster.ciApiAccess === "publicEndpoint" &&
    Array.isArray(cluster.publicAccessCidrs) &&
    cluster.publicAccessCidrs.length === 0
  )
    problems.push({
      path: ["cluster", "ciApiAccess"],
      value: cluster.ciApiAccess,
      expected:
        '"inVpcRunner" while cluster.publicAccessCidrs is empty (the endpoint is private: CI needs a runner inside the VPC), or add the CI runners\' egress range to cluster.publicAccessCidrs',
    });
  const ingress = section(merged.ingress);
  if (ingress.waf === true && ingress.zoneName === undefined)
    problems.push({
      path: ["ingress", "waf"],
      value: true,
      expected:
        "false while ingress.zoneName is unset: the WAF attaches to the shared ALB, which exists only with a Route 53 zone for its certificate; " +
        "set platform:ingress.zoneName to the hosted zone (e.g. pulumi config set --path platform:ingress.zoneName prod.example.com) or platform:ingress.waf to false",
    });
  return problems;
}

/**
 * The app's and the dump's database users: never the master user (whose secret only the
 * user-creating job reads), and not each other (the dump user is read-only).
 */
function databaseUserProblems(database: Record<string, unknown>): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  for (const key of ["appUser", "dumpUser"] as const) {
    if (database[key] === DATABASE_MASTER_USERNAME)
      problems.push({
        path: ["database", key],
        value: database[key],
        expected: `a user other than the master user "${DATABASE_MASTER_USERNAME}": the app and the dump job each log in as their own least-privileged user, never the master; e.g. pulumi config set --path platform:database.${key} ${key === "appUser" ? "app" : "app_dump"}`,
      });
  }
  if (typeof database.appUser === "string" && database.appUser === database.dumpUser)
    problems.push({
      path: ["database", "dumpUser"],
      value: database.dumpUser,
      expected: `a user other than database.appUser ("${database.appUser}"): the dump user is read-only, the app's owns its schema`,
    });
  return problems;
}

/** The knobs of `monitoring.alerting` that each make a receiver. */
export const ALERT_RECEIVER_KNOBS = ["pagerdutyRoutingKey", "slackWebhookUrl", "email", "webhookUrl"] as const;

/** A receiver required but missing, and half-configured receivers (values never quoted: they are secrets). */
function alertingProblems(monitoring: Record<string, unknown>): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const alerting = section(monitoring.alerting);
  const email = section(alerting.email);
  const hasReceiver = ALERT_RECEIVER_KNOBS.some((knob) => alerting[knob] !== undefined);
  if (monitoring.enabled === true && alerting.requireReceiver === true && !hasReceiver)
    problems.push({
      path: ["monitoring", "alerting"],
      value: undefined,
      expected:
        "at least one receiver while monitoring.alerting.requireReceiver is true (prod): pagerdutyRoutingKey, slackWebhookUrl, email or webhookUrl, " +
        "otherwise alerts reach no one; e.g. pulumi config set --secret --path platform:monitoring.alerting.pagerdutyRoutingKey <key>",
    });
  if (alerting.slackChannel !== undefined && alerting.slackWebhookUrl === undefined)
    problems.push({
      path: ["monitoring", "alerting", "slackChannel"],
      value: alerting.slackChannel,
      expected: "monitoring.alerting.slackWebhookUrl set too (the channel belongs to that webhook's workspace)",
    });
  if ((email.authUsername === undefined) !== (email.authPassword === undefined))
    problems.push({
      path: ["monitoring", "alerting", "email", email.authUsername === undefined ? "authUsername" : "authPassword"],
      value: undefined,
      expected:
        "monitoring.alerting.email.authUsername and authPassword set together, or neither (a relay without authentication)",
    });
  return problems;
}

/**
 * Karpenter's NodePool limits are derived from `karpenter.maxNodes` and its largest allowed type;
 * they must cover at least the system pool's capacity at its maximum (`cluster.maxNodes` of its
 * largest type), or Karpenter could never take over the load the system pool is sized for.
 */
function karpenterProblems(merged: Record<string, unknown>): CrossFieldProblem[] {
  const karpenter = section(merged.karpenter);
  const cluster = section(merged.cluster);
  const types = (v: unknown) => (Array.isArray(v) && v.every((t) => typeof t === "string") ? (v as string[]) : []);
  if (karpenter.enabled !== true) return [];
  const unsized = types(karpenter.instanceTypes).filter((t) => instanceSize(t) === undefined);
  if (unsized.length > 0)
    return [
      {
        path: ["karpenter", "instanceTypes"],
        value: unsized,
        expected: `types whose vCPUs and memory config/instance-types.ts records (${Object.keys(INSTANCE_SIZES).join(", ")}): the NodePool's limits are derived from them; add a type there with its figures first`,
      },
    ];
  if (!isNumber(karpenter.maxNodes) || !isNumber(cluster.maxNodes)) return [];
  const limits = nodePoolLimits(types(karpenter.instanceTypes), karpenter.maxNodes);
  const system = nodePoolLimits(types(cluster.instanceTypes), cluster.maxNodes);
  if (!limits || !system) return [];
  const short = [
    limits.cpu < system.cpu ? `${limits.cpu} vCPU < ${system.cpu}` : undefined,
    limits.memoryGib < system.memoryGib ? `${limits.memoryGib} GiB < ${system.memoryGib} GiB` : undefined,
  ].filter((s) => s !== undefined);
  if (short.length === 0) return [];
  return [
    {
      path: ["karpenter", "maxNodes"],
      value: karpenter.maxNodes,
      expected: `NodePool limits at least the system pool's capacity (cluster.maxNodes ${cluster.maxNodes} × its largest type): they are ${short.join(", ")}; raise karpenter.maxNodes or allow a larger karpenter.instanceTypes entry`,
    },
  ];
}
