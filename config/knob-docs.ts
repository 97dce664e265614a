/**
 * What each configuration key means, as the generated reference (docs/configuration.md) shows it
 * next to its per-environment defaults (config/defaults.ts). `npm run docs` renders the table;
 * a test fails when a key of the schema has no entry here or the rendered file is stale.
 */
export const KNOB_DOCS: Readonly<Record<string, string>> = {
  "aws:region": "AWS region (required)",
  "platform:kind":
    "`cloud` (AWS) or `edge` (one Pi); each kind takes only its own keys, plus `environment` and `tags` (required)",
  "platform:environment": "which defaults column the stack takes: `dev` or `prod` (required)",
  "platform:protect":
    "protect stateful resources (database, cache, bucket, KMS keys, repositories, the VPC and its subnets, the EKS control plane) from deletion by the stack; node groups stay replaceable",
  "platform:network.cidr": "VPC range, /16 to /20",
  "platform:network.azCount": "availability zones, 2\u20133",
  "platform:network.natGateways":
    "`single`: one NAT gateway; `perAz`: one per AZ (an AZ outage cuts only its own AZ off); `instance`: one t4g.nano NAT instance (fck-nat style, about $7/month instead of $33 plus $0.045/GB; one instance, no HA, burst up to 5 Gbit/s; see docs/cost.md)",
  "platform:network.flowLogRetentionDays": "VPC flow-log retention (a CloudWatch value)",
  "platform:network.availabilityZoneIds":
    "zones by zone ID (the same zone in every account, unlike `us-east-1a`), exactly `azCount` of them; `[]`: the region's first zones by ID that EKS supports (never `use1-az3`, `usw1-az2`, `cac1-az3`). Changing it moves subnets: set it before the first `up`",
  "platform:cluster.version":
    "EKS Kubernetes version, pinned; the managed add-ons (vpc-cni, coredns, kube-proxy, metrics-server, EBS CSI) take this version's row of config/eks-addons.ts, so they are upgraded with it (a version without a row is refused)",
  "platform:cluster.instanceTypes": "Graviton (arm64) node instance types",
  "platform:cluster.minNodes": "node group minimum",
  "platform:cluster.maxNodes": "node group maximum",
  "platform:cluster.desiredNodes":
    "node group size at creation; later changes (by hand, or by an autoscaler you install) are not reverted by `up`",
  "platform:cluster.spot": "Spot capacity",
  "platform:cluster.nodeDiskGb": "node root volume, GB",
  "platform:cluster.publicAccessCidrs": "CIDRs allowed on the public API endpoint; empty = private only",
  "platform:cluster.accessPrincipals":
    "EKS access entries: `{ name, arn, level, createsCluster? }`, level `admin` (AmazonEKSClusterAdminPolicy: deploy and break-glass roles) or `view` (AmazonEKSAdminViewPolicy: preview and drift roles); `createsCluster: true` marks the role that runs `up` (EKS makes its admin entry at creation, so no second one is declared); a protected stack must name an admin besides it (break-glass). Replaces `adminRoleArns`",
  "platform:cluster.adminRoleArns":
    'removed: setting it is an error that says to move each role to `accessPrincipals` with `level: "admin"`',
  "platform:cluster.ciApiAccess":
    "how CI reaches the API: `publicEndpoint` (runner egress in `publicAccessCidrs`, which must then be non-empty) or `inVpcRunner` (self-hosted runner in the VPC)",
  "platform:cluster.logRetentionDays": "control-plane log group retention (a CloudWatch value)",
  "platform:database.engineVersion": "PostgreSQL major version",
  "platform:database.instanceClass": "RDS class, with `db.`",
  "platform:database.allocatedStorageGb": "gp3 storage, \u2265 20",
  "platform:database.maxAllocatedStorageGb":
    "storage autoscaling ceiling: 0 turns autoscaling off, otherwise at least 10% above `allocatedStorageGb` (RDS rejects a ceiling equal to it)",
  "platform:database.multiAz": "Multi-AZ standby",
  "platform:database.backupRetentionDays": "backups / PITR window, 0\u201335",
  "platform:database.deletionProtection": "RDS deletion protection and a final snapshot",
  "platform:database.logRetentionDays": "exported PostgreSQL log groups' retention",
  "platform:database.applyImmediately":
    "apply changes at `up` instead of the weekly maintenance window. Trade-off: a change that restarts the instance (class, major version, a static parameter) restarts it when the approved `up` runs, not at 03:30 on Sunday; left pending, every change shows in the daily drift check all week and a major upgrade deletes the old parameter group while the instance still uses it. The PR preview shows every such change before approval",
  "platform:database.retainAutomatedBackups":
    "keep automated backups (and PITR) for their retention after the instance is deleted",
  "platform:database.monitoringIntervalSeconds":
    "RDS Enhanced Monitoring interval (0, 1, 5, 10, 15, 30, 60; 0 = off); its role trusts `monitoring.rds.amazonaws.com` from this account only",
  "platform:database.appUser":
    "the app's own database user (IAM database authentication, `rds-db:connect` on the `app` service account's role): owns schema `app`, nothing else; never the master user `app_admin`",
  "platform:database.dumpUser":
    "the nightly dump's read-only database user (SELECT on schema `app`, IAM authentication, on the `db-dump` service account's role); neither the master nor `appUser`",
  "platform:cache.engine": "`redis` or `valkey`",
  "platform:cache.engineVersion": "engine version",
  "platform:cache.nodeType": "node type, with `cache.`",
  "platform:cache.replicas": "replicas; \u2265 1 turns on failover and Multi-AZ",
  "platform:cache.snapshotRetentionDays": "daily snapshots kept",
  "platform:registry.repositories": "one ECR repository per image",
  "platform:registry.keepImages": "tagged images kept per repository",
  "platform:backups.retentionDays": "backup objects (and old versions) expire after",
  "platform:backups.coldAfterDays":
    "move to Glacier Instant Retrieval after (0: stay in Standard; Glacier IR bills 90 days at least, so it pays only for backups kept over ~16 days there)",
  "platform:backups.objectLock": "S3 Object Lock for the retention period (only when the bucket is created)",
  "platform:backups.weeklyRetentionDays": "days Sunday's database dump (`db/weekly/`) is kept; 0: like the daily ones",
  "platform:backups.monthlyRetentionDays":
    "days the 1st of the month's dump (`db/monthly/`) is kept, in Glacier Flexible Retrieval from day 1 when kept 90 days or more; 0: like the daily ones",
  "platform:backups.objectLockMode":
    "`GOVERNANCE` (users with `s3:BypassGovernanceRetention` may delete early) or `COMPLIANCE` (nobody can, not even root, until the retention ends)",
  "platform:dr.enabled":
    "copy outside the region: RDS automated backups and the backup bucket replicated to `dr.region` (docs/dr.md)",
  "platform:dr.region": "the DR region; must differ from `aws:region`",
  "platform:dr.retentionDays":
    "days the replicated RDS backups and the replica bucket's objects are kept, 1\u201335 (\u2265 30 lands replicas in Standard-IA)",
  "platform:ingress":
    "traffic in: the AWS Load Balancer Controller, one shared internet-facing ALB per environment (IngressGroup), ExternalDNS, WAF (docs/ship-a-service.md)",
  "platform:ingress.zoneName":
    "an existing Route 53 public hosted zone, e.g. `prod.example.com`: the ALB's ACM certificate (apex and wildcard, DNS-validated there), HTTPS with HTTP redirected, and ExternalDNS writing records in that zone only. Unset: the controller is installed but no IngressClass, certificate or ExternalDNS (no public ALB)",
  "platform:ingress.waf":
    "an AWS WAF web ACL (AWS managed rule groups: common, known bad inputs, IP reputation) on the shared ALB; needs `zoneName`",
  "platform:ingress.controllerChartVersion":
    "aws-load-balancer-controller chart version, exact (its IAM policy in components/platform/ingress-iam.ts follows that version's docs/install/iam_policy.json)",
  "platform:ingress.externalDnsChartVersion": "external-dns chart version, exact",
  "platform:karpenter":
    "node autoscaling: Karpenter (its controller on the system node group, IRSA role, node role, interruption queue) with one NodePool and EC2NodeClass of Graviton nodes (docs/scaling.md)",
  "platform:karpenter.enabled": "install Karpenter; false: the managed node group is the only capacity",
  "platform:karpenter.chartVersion":
    "`karpenter` chart version (oci://public.ecr.aws/karpenter), exact; its controller policy in components/platform/karpenter-iam.ts follows that version's CloudFormation",
  "platform:karpenter.instanceTypes":
    "Graviton types the NodePool may launch; each must be priced (cost/prices.ts) and sized (config/instance-types.ts)",
  "platform:karpenter.capacityTypes": "`spot` and/or `on-demand`; with both Karpenter prefers Spot",
  "platform:karpenter.maxNodes":
    "the most Karpenter nodes at once: the NodePool's CPU and memory limits are this many of the largest allowed type, and must cover the system pool's (`cluster.maxNodes` of its largest type); the cost estimate prices this maximum",
  "platform:karpenter.consolidateAfter": "how long a node stays empty or underused before Karpenter consolidates it",
  "platform:karpenter.expireAfter": "nodes older than this are replaced",
  "platform:karpenter.amiAlias":
    "EC2NodeClass AMI alias pinned to an EKS AL2023 release (`al2023@vYYYYMMDD`), so a new AMI (and the node rollout it causes) comes by a reviewed change",
  "platform:monitoring.enabled": "install kube-prometheus-stack",
  "platform:monitoring.chartVersion": "chart version, exact",
  "platform:monitoring.crdsChartVersion":
    "`prometheus-operator-crds` chart version, exact: the operator's CRDs, upgraded before the stack; its appVersion must equal the stack chart's",
  "platform:monitoring.retentionDays": "Prometheus retention",
  "platform:monitoring.storageGb": "Prometheus volume, GB",
  "platform:monitoring.logs":
    "Loki (its own KMS-encrypted S3 bucket, IRSA) and the Alloy collector on every node; a Loki data source in Grafana; only with `monitoring.enabled`",
  "platform:monitoring.logs.enabled": "install Loki and the Alloy DaemonSet",
  "platform:monitoring.logs.retentionDays":
    "days Loki keeps logs (compactor retention); the bucket expires leftovers 2 days later",
  "platform:monitoring.logs.lokiChartVersion": "`loki` chart version (grafana/helm-charts), exact",
  "platform:monitoring.logs.alloyChartVersion": "`alloy` chart version (grafana/helm-charts), exact",
  "platform:monitoring.alerting":
    'Alertmanager\'s receivers, routes and grouping (see "Alert delivery"); credentials are secrets: `pulumi config set --secret --path platform:monitoring.alerting.<knob> <value>`',
  "platform:monitoring.alerting.requireReceiver":
    "a stack without any receiver (PagerDuty, Slack, email, webhook) is a configuration error",
  "platform:monitoring.alerting.pagerdutyRoutingKey":
    "secret: PagerDuty Events API v2 integration key; critical alerts page",
  "platform:monitoring.alerting.slackWebhookUrl": "secret: Slack incoming-webhook URL; warnings (and criticals)",
  "platform:monitoring.alerting.slackChannel": "channel override for that webhook, e.g. `#alerts`",
  "platform:monitoring.alerting.email":
    "`to` (list), `from`, `smarthost` (`host:port`, STARTTLS required), optional `authUsername` with secret `authPassword`; criticals and warnings",
  "platform:monitoring.alerting.webhookUrl": "secret: generic webhook (Alertmanager's JSON); criticals and warnings",
  "platform:monitoring.alerting.heartbeatUrl":
    "secret: dead-man's-switch URL the always-firing `Watchdog` is sent to every minute",
  "platform:monitoring.alerting.groupWait": "a new group waits this long for more alerts",
  "platform:monitoring.alerting.groupInterval": "a group's changes are sent at most this often",
  "platform:monitoring.alerting.repeatInterval": "a still-firing warning is sent again after (criticals: 1 h)",
  "platform:edgeSites":
    "cloud: the Pi sites served (DNS labels): an identity, a metrics token and an `EdgeSilent` alert each; with any, Prometheus's remote-write receiver is on and `cluster.publicAccessCidrs` must not be empty",
  "platform:edgeDns":
    "cloud: the Route 53 zone of the Pis' public names; with `zoneName`, each site `<site>` is `<site>.<zoneName>` and gets an ACME role that may change only its `_acme-challenge` TXT record",
  "platform:edgeDns.zoneName":
    "cloud: an existing Route 53 public hosted zone; unset: no site gets an ACME role (an edge stack with `edge.acme` is then refused)",
  "platform:cloudStack":
    "edge: the cloud stack read through a `StackReference`: `organization` (default this stack's), `project` (default this one), `stack`",
  "platform:cloudStack.organization": "edge: see `platform:cloudStack`",
  "platform:cloudStack.project": "edge: see `platform:cloudStack`",
  "platform:cloudStack.stack": "edge: see `platform:cloudStack`",
  "platform:edge.site": "edge: this Pi's site, one of the cloud stack's `edgeSites` (required)",
  "platform:edge.host": "edge: the Pi's DNS name or address (required)",
  "platform:edge.port": "SSH port",
  "platform:edge.sshProbeTimeoutSeconds":
    "seconds a preview or update waits for the Pi's SSH greeting before it fails the edge stack",
  "platform:edge.user": "SSH user",
  "platform:edge.hostKey": "edge: the Pi's SSH host key, pinned (required)",
  "platform:edge.sshPrivateKey": "SSH private key, secret; the SSH agent otherwise",
  "platform:edge.appImage": "the app image pinned by digest",
  "platform:edge.backupRetentionDays": "days of backups kept on the Pi",
  "platform:edge.hostMemoryMb": "the Pi's RAM",
  "platform:edge.memoryMb":
    "container limits `app`/`redis`/`nginx`/`nodeExporter`/`metricsAgent`/`logAgent`, MB; their sum must leave the OS \u2265 1024 MB",
  "platform:edge.tlsCertificate":
    "nginx certificate (PEM), with `tlsPrivateKey`; self-signed for `host` when both are absent",
  "platform:edge.tlsPrivateKey": "its private key, secret (`pulumi config set --secret --path`)",
  "platform:edge.sshAllowFrom":
    "networks (IPv4 CIDR) the Pi's firewall admits SSH from, rate-limited (ufw `limit`); a deploy machine on the Internet must be added",
  "platform:edge.trustedProxies": "reverse proxies (IPv4 CIDR) in front of nginx whose `X-Forwarded-For` is believed",
  "platform:edge.internalPaths": "app paths nginx refuses (404) in any case or encoding, and everything under them",
  "platform:edge.contentSecurityPolicy": '`Content-Security-Policy` on every HTTPS response; `""` sends none',
  "platform:edge.rebootTime":
    "local time (`HH:MM`) unattended-upgrades may reboot the Pi at when a security update needs it",
  "platform:edge.journalMaxMb": "cap of the Pi's persistent journal on the SD card, MB",
  "platform:edge.requirePinnedAppImage":
    "refuse a config without `edge.appImage` pinned by digest; when false and unset, the newest `edge-app` push is deployed and the plan says so (`edgeAppImageSource: newest`)",
  "platform:edge.acme":
    "a Let's Encrypt certificate for `host` by ACME DNS-01 (certbot on the Pi, renewed by its timer; HSTS on); `host` must be `<site>.<edgeDns.zoneName>` of the cloud stack; unset: `tlsCertificate` or self-signed",
  "platform:edge.acme.email": "Let's Encrypt account contact (expiry and policy notices); required with `edge.acme`",
  "platform:edge.acme.staging":
    "`true`: Let's Encrypt's staging CA (untrusted certificate, high rate limits) for a first try",
  "platform:cost.monthlyBudgetUsd": "monthly budget the estimate must stay under (plan and policy pack fail above it)",
  "platform:cost.natProcessedGbPerMonth": "assumed GB through the NAT gateways",
  "platform:cost.backupStoredGb": "assumed GB stored in the backup bucket",
  "platform:cost.registryStoredGb": "assumed GB of images in ECR",
  "platform:cost.logsIngestedGbPerMonth": "assumed CloudWatch Logs ingestion (flow logs, EKS control plane, RDS)",
  "platform:tags": "extra tags on every AWS resource",
};
