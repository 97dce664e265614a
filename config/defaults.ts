import type { Environment, PlatformConfig } from "./schema";
import { DEFAULT_CONTENT_SECURITY_POLICY } from "../components/edge/nginx";

/**
 * Per-environment defaults. This table is the only place where dev and prod differ in code;
 * a stack file overrides any knob. Both columns have the same shape: prod adds availability
 * and safety, dev stays as cheap as a usable environment can be (see docs/sizing.md).
 */
export type Defaults = Omit<PlatformConfig, "environment" | "kind" | "edge"> & {
  /** Everything but what names one Pi (its site, host and host key), which each edge stack sets. */
  edge: Omit<PlatformConfig["edge"], "site" | "host" | "hostKey">;
};

const shared = {
  network: { cidr: "10.0.0.0/16", availabilityZoneIds: [] as string[] },
  cluster: {
    // In EKS standard support until 2027; upgradePolicy STANDARD is set in code (docs/policy-rules.md, eks-upgrade-policy).
    version: "1.35",
    publicAccessCidrs: [] as string[],
    // Stack files name their roles (docs/ci.md); a protected stack must name an admin.
    accessPrincipals: [] as { name: string; arn: string; level: "admin" | "view" }[],
    // The endpoint is public, limited to publicAccessCidrs; "inVpcRunner" for a private-only endpoint.
    ciApiAccess: "publicEndpoint" as const,
  },
  // Their own users, never the master: the app owns schema `app`; the dump reads it (IAM authentication).
  database: { engineVersion: "17", appUser: "app", dumpUser: "app_dump" },
  cache: { engine: "redis" as const, engineVersion: "7.1" },
  registry: { repositories: ["backend", "frontend", "edge-app"] },
  // kube-prometheus-stack 88.5.3 runs prometheus-operator v0.93.1; prometheus-operator-crds 31.0.1 carries that version's CRDs.
  monitoring: { enabled: true, chartVersion: "88.5.3", crdsChartVersion: "31.0.1" },
  // Loki and Alloy charts from grafana/helm-charts; their values are checked against test/fixtures/charts.
  logs: { enabled: true, lokiChartVersion: "7.3.0", alloyChartVersion: "1.11.1" },
  // aws-load-balancer-controller 3.5.0 (app v3.5.0) and external-dns 1.21.1 (app 0.21.0); no zone until a stack file names one.
  ingress: { controllerChartVersion: "3.5.0", externalDnsChartVersion: "1.21.1" },
  // karpenter 1.14.1 (app 1.14.1); the AMI is an EKS AL2023 release, pinned (docs/scaling.md).
  karpenter: { enabled: true, chartVersion: "1.14.1", amiAlias: "al2023@v20260818", consolidateAfter: "1m" },
  // Alertmanager's defaults: a new group waits 30 s for its siblings, changes go out every 5 min,
  // a still-firing alert repeats every 4 h. Receivers are secrets each stack sets.
  alerting: { groupWait: "30s", groupInterval: "5m", repeatInterval: "4h" },
  // A cloud stack serves no Pi until its stack file lists the sites.
  edgeSites: [] as string[],
  // No zone for the Pis' names until a stack file names one: no site gets an ACME role.
  edgeDns: {},
  edge: {
    port: 22,
    // A Pi that is off fails its edge stack in 10 s; a Pi on a slow link (LTE, satellite) may need more.
    sshProbeTimeoutSeconds: 10,
    user: "pi",
    backupRetentionDays: 7,
    hostMemoryMb: 4096,
    // 512 + 192 + 128 + 64 + 192 = 1088 MB of 4096: the OS keeps ~3 GB (page cache for SQLite).
    memoryMb: { app: 512, redis: 192, nginx: 128, nodeExporter: 64, metricsAgent: 192, logAgent: 192 },
    // Private networks and CGNAT (Tailscale and similar VPNs): a deploy machine on the Internet must be added.
    sshAllowFrom: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"],
    trustedProxies: [] as string[],
    internalPaths: ["/metrics"],
    contentSecurityPolicy: DEFAULT_CONTENT_SECURITY_POLICY,
    requirePinnedAppImage: false,
    // After the 03:00 backup and before the day's traffic.
    rebootTime: "04:00",
    journalMaxMb: 128,
  },
  tags: {} as Record<string, string>,
};

export const environmentDefaults: Record<Environment, Defaults> = {
  dev: {
    protect: false,
    network: { ...shared.network, azCount: 2, natGateways: "instance", flowLogRetentionDays: 14 },
    cluster: {
      ...shared.cluster,
      instanceTypes: ["t4g.medium"],
      minNodes: 1,
      maxNodes: 3,
      desiredNodes: 2,
      spot: true,
      nodeDiskGb: 20,
      logRetentionDays: 14,
    },
    database: {
      ...shared.database,
      instanceClass: "db.t4g.micro",
      allocatedStorageGb: 20,
      maxAllocatedStorageGb: 50,
      multiAz: false,
      backupRetentionDays: 7,
      deletionProtection: false,
      logRetentionDays: 14,
      // Dev takes changes at once: nothing waits for a window, and the drift check stays quiet.
      applyImmediately: true,
      retainAutomatedBackups: false,
      monitoringIntervalSeconds: 0,
    },
    cache: { ...shared.cache, nodeType: "cache.t4g.micro", replicas: 0, snapshotRetentionDays: 1 },
    registry: { ...shared.registry, keepImages: 10 },
    // 7-day backups would pay Glacier IR's 90-day minimum: they stay in S3 Standard.
    backups: {
      retentionDays: 7,
      coldAfterDays: 0,
      objectLock: false,
      objectLockMode: "GOVERNANCE",
      weeklyRetentionDays: 0,
      monthlyRetentionDays: 0,
    },
    // No copy outside the region in dev; the region is where it goes when one is turned on.
    dr: { enabled: false, region: "us-west-2", retentionDays: 7 },
    monitoring: {
      ...shared.monitoring,
      retentionDays: 7,
      storageGb: 20,
      alerting: { ...shared.alerting, requireReceiver: false },
      logs: { ...shared.logs, retentionDays: 7 },
    },
    // No WAF in dev: it costs more than dev's traffic is worth protecting.
    ingress: { ...shared.ingress, waf: false },
    // Dev may run on Spot (Karpenter prefers it, on-demand when Spot has none); nodes live a week at most.
    karpenter: {
      ...shared.karpenter,
      instanceTypes: ["t4g.medium", "t4g.large", "m6g.large", "m7g.large"],
      capacityTypes: ["spot", "on-demand"],
      maxNodes: 3,
      expireAfter: "168h",
    },
    edgeSites: [...shared.edgeSites],
    edgeDns: { ...shared.edgeDns },
    edge: { ...shared.edge },
    // An edge stack reads the cloud stack of its environment.
    cloudStack: { stack: "dev" },
    cost: {
      monthlyBudgetUsd: 250,
      natProcessedGbPerMonth: 50,
      backupStoredGb: 10,
      registryStoredGb: 5,
      logsIngestedGbPerMonth: 5,
    },
    tags: { ...shared.tags },
  },
  prod: {
    protect: true,
    network: { ...shared.network, azCount: 3, natGateways: "perAz", flowLogRetentionDays: 90 },
    cluster: {
      ...shared.cluster,
      instanceTypes: ["m7g.large"],
      minNodes: 2,
      maxNodes: 10,
      desiredNodes: 3,
      spot: false,
      nodeDiskGb: 50,
      logRetentionDays: 90,
    },
    database: {
      ...shared.database,
      instanceClass: "db.t4g.medium",
      allocatedStorageGb: 100,
      maxAllocatedStorageGb: 200,
      multiAz: true,
      backupRetentionDays: 30,
      deletionProtection: true,
      logRetentionDays: 90,
      // Prod too: a change reviewed in the PR's preview lands when it is approved, not days later
      // (the drift check would report it all week); restarts it causes are in the preview.
      applyImmediately: true,
      retainAutomatedBackups: true,
      monitoringIntervalSeconds: 60,
    },
    cache: { ...shared.cache, nodeType: "cache.t4g.small", replicas: 1, snapshotRetentionDays: 7 },
    registry: { ...shared.registry, keepImages: 30 },
    // Compliance mode: not even the account's root user can delete a backup before its retention.
    // Database dumps: daily for 30 days, Sundays' for 13 weeks, the 1st of the month's for a year (archived).
    backups: {
      retentionDays: 30,
      coldAfterDays: 7,
      objectLock: true,
      objectLockMode: "COMPLIANCE",
      weeklyRetentionDays: 91,
      monthlyRetentionDays: 365,
    },
    dr: { enabled: true, region: "us-west-2", retentionDays: 30 },
    // Alerts must reach someone in prod: a stack without a receiver is a configuration error.
    // Logs: a month of evidence in prod (incident reviews, audits); a week in dev.
    monitoring: {
      ...shared.monitoring,
      retentionDays: 30,
      storageGb: 50,
      alerting: { ...shared.alerting, requireReceiver: true },
      logs: { ...shared.logs, retentionDays: 30 },
    },
    // AWS managed rule groups in front of prod's ALB: needs platform:ingress.zoneName (the ALB exists only with it).
    ingress: { ...shared.ingress, waf: true },
    // Prod: on-demand only, up to 10 nodes (the requirements' "nodes 2–10"), replaced every 30 days.
    karpenter: {
      ...shared.karpenter,
      instanceTypes: ["m7g.large", "m7g.xlarge", "m6g.large"],
      capacityTypes: ["on-demand"],
      maxNodes: 10,
      expireAfter: "720h",
    },
    edgeSites: [...shared.edgeSites],
    edgeDns: { ...shared.edgeDns },
    // prod deploys only the image its stack file pins; dev follows the newest push.
    edge: { ...shared.edge, requirePinnedAppImage: true },
    cloudStack: { stack: "prod" },
    cost: {
      monthlyBudgetUsd: 1000,
      natProcessedGbPerMonth: 300,
      backupStoredGb: 100,
      registryStoredGb: 20,
      logsIngestedGbPerMonth: 30,
    },
    tags: { ...shared.tags },
  },
};
