import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MonitoringAddonArgs } from "./cloudwatch-exporter";
import type { CloudMonitoringConfig } from "../../config";
import { privateBucket } from "../backups";
import { CLUSTER_IMAGES, imageParts } from "../images";
import { irsaRole } from "../irsa";
import { siteTenant } from "./write-gateway";

/**
 * Logs (docs/monitoring.md): Loki in single-binary mode storing chunks and index in an S3 bucket
 * of its own (KMS, TLS-only, private, lifecycle), reached through an IRSA role scoped to that
 * bucket; Grafana Alloy as a DaemonSet tailing every pod's log files on its node and pushing
 * them to Loki. Grafana gets Loki as a data source (release-values.ts, `lokiUrl`).
 */

export type LogsConfig = CloudMonitoringConfig["logs"];

/** Both charts come from Grafana's chart repository. */
export const GRAFANA_CHART_REPO = "https://grafana.github.io/helm-charts";
export const LOKI_CHART = "loki";
export const ALLOY_CHART = "alloy";
/** Release name and `fullnameOverride`: the single binary's Service is then `loki`. */
export const LOKI_NAME = "loki";
export const LOKI_SERVICE_ACCOUNT = "loki";
export const LOKI_PORT = 3100;
/** Loki's push API: Alloy writes here; the Pis' log shipping will go through the write gateway to the same path. */
export const LOKI_PUSH_PATH = "/loki/api/v1/push";
export const ALLOY_NAME = "alloy";
/** Where the DaemonSet keeps its read positions on the node, so a restarted pod neither re-sends nor skips lines. */
export const ALLOY_STATE_DIR = "/var/lib/alloy-platform";
/**
 * Loki runs multi-tenant (`auth_enabled: true`): the cluster's own logs are tenant `cluster`
 * (Alloy's `tenant_id`), each Pi site's are `edge-<site>`, set by the write gateway from the port
 * only that site's credential reaches (write-gateway.ts), never by the Pi. Chunks live under
 * `<tenant>/` in the bucket.
 */
export const CLUSTER_TENANT = "cluster";
/** Every tenant: the cluster's and one per site. */
export const lokiTenants = (sites: readonly string[] = []): string[] => [CLUSTER_TENANT, ...sites.map(siteTenant)];
/** The object prefixes Loki's retention governs: each tenant's chunks and the TSDB index. */
export const lokiDataPrefixes = (sites: readonly string[] = []): string[] => [
  ...lokiTenants(sites).map((tenant) => `${tenant}/`),
  "index/",
];
/** The prefixes of the cluster alone (no site). */
export const LOKI_DATA_PREFIXES = lokiDataPrefixes();
/**
 * The bucket expires objects this many days after Loki's retention: the compactor deletes them at
 * the retention (plus its 2 h delete delay); the lifecycle only catches what it missed. Earlier
 * expiry would remove chunks the index still points to, and queries over them would fail.
 */
export const LIFECYCLE_MARGIN_DAYS = 2;
/**
 * Versions of deleted or overwritten objects are kept this long: a day to undo a mistaken delete
 * (a compactor bug, a wrong manual cleanup) while the retention still really removes the data.
 */
export const NONCURRENT_VERSION_DAYS = 1;
/** Where the compactor keeps delete requests: outside LOKI_DATA_PREFIXES, so the lifecycle never expires them. */
export const DELETE_REQUESTS_PREFIX = "delete_requests/";
/** The single binary's volume: the WAL and the index/chunk caches (the data lives in S3). */
export const LOKI_VOLUME = "10Gi";

/** The in-cluster base URL of Loki (no gateway: Grafana and Alloy talk to the single binary's Service). */
export const lokiUrl = (namespace: string): string => `http://${LOKI_NAME}.${namespace}.svc.cluster.local:${LOKI_PORT}`;

// Memory limits without CPU limits: memory is not compressible, CPU throttling only adds latency.
const resources = (cpu: string, memory: string, memoryLimit: string) => ({
  requests: { cpu, memory },
  limits: { memory: memoryLimit },
});

/**
 * The lifecycle rules: Loki's data expires a little after the retention; deleted versions go after
 * NONCURRENT_VERSION_DAYS and their delete markers with them; failed multipart uploads after a day.
 */
export function logsLifecycleRules(
  retentionDays: number,
  sites: readonly string[] = [],
): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  return [
    ...lokiDataPrefixes(sites).map((prefix) => ({
      id: `expire-${prefix.replace(/\/$/, "")}`,
      status: "Enabled",
      filter: { prefix },
      expiration: { days: retentionDays + LIFECYCLE_MARGIN_DAYS },
    })),
    {
      id: "noncurrent-versions",
      status: "Enabled",
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_VERSION_DAYS },
      expiration: { expiredObjectDeleteMarker: true },
    },
    {
      id: "abort-incomplete-uploads",
      status: "Enabled",
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    },
  ];
}

/** What Loki may do: read, write and delete objects in its bucket, and use the bucket's key only through S3. */
export function lokiBucketPolicy(bucketArn: string, keyArn: string, region: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "ListBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucketArn] },
      // Delete: the compactor applies the retention by deleting chunks and rewriting the index.
      {
        Sid: "Objects",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: [`${bucketArn}/*`],
      },
      {
        Sid: "KeyThroughS3",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: [keyArn],
        Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
      },
    ],
  });
}

export interface LokiValuesArgs {
  bucketName: pulumi.Input<string>;
  region: string;
  roleArn: pulumi.Input<string>;
  retentionDays: number;
  storageClassName: pulumi.Input<string>;
}

/**
 * The loki chart's values: key paths checked against its values.yaml at the pinned version.
 * Single binary, one replica: this product's logs are a few GB a day at most, which one process
 * ingests and queries comfortably; SimpleScalable would add at least 3 read, 3 write and 3 backend
 * pods plus memcached. The WAL is on a volume, so a restart replays it, and Alloy retries while
 * Loki is down, reading from the node's files (nothing lost unless a pod's log rotates away).
 */
export function lokiValues(args: LokiValuesArgs): Record<string, unknown> {
  return {
    deploymentMode: "SingleBinary",
    fullnameOverride: LOKI_NAME,
    loki: {
      // Tenants: the cluster's logs and each site's (CLUSTER_TENANT, siteTenant). Loki's port is reached
      // only inside the namespace (NetworkPolicies): Alloy, Grafana and the write gateway.
      auth_enabled: true,
      // Grafana's one data source reads every tenant (`X-Scope-OrgID: cluster|edge-lab|…`).
      querier: { multi_tenant_queries_enabled: true },
      commonConfig: { replication_factor: 1 },
      schemaConfig: {
        configs: [
          {
            from: "2026-11-01",
            store: "tsdb",
            object_store: "s3",
            schema: "v13",
            index: { prefix: "index_", period: "24h" },
          },
        ],
      },
      // The same bucket: the ruler is off (alerts come from Prometheus), the chart still requires its name.
      storage: {
        type: "s3",
        bucketNames: { chunks: args.bucketName, ruler: args.bucketName },
        s3: { region: args.region },
      },
      limits_config: { retention_period: `${args.retentionDays * 24}h` },
      compactor: {
        retention_enabled: true,
        retention_delete_delay: "2h",
        working_directory: "/var/loki/compactor",
        delete_request_store: "s3",
        // Outside the lifecycled prefixes (Loki's default is index/): pending delete requests must not expire.
        delete_request_store_key_prefix: DELETE_REQUESTS_PREFIX,
      },
      analytics: { reporting_enabled: false },
    },
    serviceAccount: {
      create: true,
      name: LOKI_SERVICE_ACCOUNT,
      annotations: { "eks.amazonaws.com/role-arn": args.roleArn },
    },
    singleBinary: {
      replicas: 1,
      persistence: { enabled: true, size: LOKI_VOLUME, storageClass: args.storageClassName },
      resources: resources("100m", "512Mi", "2Gi"),
    },
    // The chart refuses replicas for both modes at once.
    read: { replicas: 0 },
    write: { replicas: 0 },
    backend: { replicas: 0 },
    ruler: { enabled: false },
    // Each cache is a memcached StatefulSet (8 GB for chunks by default): Loki's embedded cache is enough here.
    chunksCache: { enabled: false },
    resultsCache: { enabled: false },
    gateway: { enabled: false },
    minio: { enabled: false },
    // The canary DaemonSet and the Helm test exist to test Loki itself.
    lokiCanary: { enabled: false },
    test: { enabled: false },
    monitoring: { serviceMonitor: { enabled: true } },
  };
}

export interface AlloyConfigArgs {
  /** Loki's push URL. */
  pushUrl: string;
  /** Loki tenant of the cluster's logs. Default CLUSTER_TENANT. */
  tenant?: string;
  /** The `cluster` label every line gets (the stack's name). */
  cluster: string;
}

const quote = (s: string): string => JSON.stringify(s);

/** One `rule` of discovery.relabel copying a discovered label into a stream label. */
const copyRule = (source: string, target: string): string =>
  `  rule {\n    source_labels = [${quote(source)}]\n    target_label  = ${quote(target)}\n  }\n`;

/**
 * Alloy's configuration: the pods on this node (NODE_NAME, from the downward API), their log files
 * under /var/log/pods, CRI-parsed, labelled with namespace, pod, container and app, pushed to Loki.
 */
export function renderAlloyConfig(args: AlloyConfigArgs): string {
  return [
    `discovery.kubernetes "pods" {\n  role = "pod"\n\n  selectors {\n    role  = "pod"\n    field = "spec.nodeName=" + sys.env("NODE_NAME")\n  }\n}\n`,
    `discovery.relabel "pod_logs" {\n  targets = discovery.kubernetes.pods.targets\n\n` +
      copyRule("__meta_kubernetes_namespace", "namespace") +
      copyRule("__meta_kubernetes_pod_name", "pod") +
      copyRule("__meta_kubernetes_pod_container_name", "container") +
      copyRule("__meta_kubernetes_pod_label_app_kubernetes_io_name", "app") +
      // The kubelet's layout: /var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log
      `  rule {\n    source_labels = ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"]\n    separator     = "/"\n    target_label  = "__path__"\n    replacement   = "/var/log/pods/*$1/*.log"\n  }\n}\n`,
    `local.file_match "pod_logs" {\n  path_targets = discovery.relabel.pod_logs.output\n}\n`,
    `loki.source.file "pod_logs" {\n  targets    = local.file_match.pod_logs.targets\n  forward_to = [loki.process.pod_logs.receiver]\n}\n`,
    // containerd writes CRI lines: time, stream, partial flag, message; partial lines are joined.
    `loki.process "pod_logs" {\n  stage.cri {}\n\n  forward_to = [loki.write.loki.receiver]\n}\n`,
    `loki.write "loki" {\n  endpoint {\n    url       = ${quote(args.pushUrl)}\n    tenant_id = ${quote(args.tenant ?? CLUSTER_TENANT)}\n  }\n\n  external_labels = {\n    cluster = ${quote(args.cluster)},\n  }\n}\n`,
  ].join("\n");
}

/** The alloy chart's values: a DaemonSet with /var/log mounted, its positions on the node; key paths checked against its values.yaml. */
export function alloyValues(config: string): Record<string, unknown> {
  return {
    fullnameOverride: ALLOY_NAME,
    // By digest (the chart's default is a tag); the tag is for humans, the digest overrides it.
    image: imageParts(CLUSTER_IMAGES.alloy),
    // Its CRDs (PodLogs and friends) serve the Kubernetes monitoring chart's discovery, not used here.
    crds: { create: false },
    alloy: {
      configMap: { create: true, content: config },
      storagePath: ALLOY_STATE_DIR,
      mounts: { varlog: true, extra: [{ name: "state", mountPath: ALLOY_STATE_DIR }] },
      extraEnv: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
      enableReporting: false,
      // The image runs as root (the kubelet's log files are root's); no other privilege: reading any
      // file and directory is all it needs, and its own state directory on the node is root's too.
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["DAC_READ_SEARCH"] } },
      resources: resources("50m", "128Mi", "512Mi"),
    },
    controller: {
      type: "daemonset",
      volumes: { extra: [{ name: "state", hostPath: { path: ALLOY_STATE_DIR, type: "DirectoryOrCreate" } }] },
    },
    serviceMonitor: { enabled: true },
  };
}

export interface LogsArgs extends MonitoringAddonArgs {
  /** `platform:monitoring.logs`: retention and the pinned chart versions. */
  config: LogsConfig;
  /** StorageClass of Loki's WAL volume. */
  storageClassName: pulumi.Input<string>;
  /** Protect the bucket and its key from deletion by the stack (`platform:protect`). */
  protect: boolean;
  /** The `cluster` label on every line. */
  cluster: string;
  /** What the releases wait for: kube-prometheus-stack, whose CRDs their ServiceMonitors need. */
  dependsOn: pulumi.Resource[];
  /** The Pi sites whose logs arrive through the write gateway (a tenant and lifecycle rule each). Default none. */
  edgeSites?: readonly string[];
}

/**
 * The log bucket and its key, Loki's IRSA role and release, and the Alloy DaemonSet. Versioning
 * is on (the policy pack's s3-versioning, and a day to undo a mistaken delete), but noncurrent
 * versions expire after NONCURRENT_VERSION_DAYS: Loki deletes chunks to apply the retention, and
 * logs carry personal data that must really go then, not linger as old versions.
 */
export class Logs extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** Loki's in-cluster URL (Grafana's data source). */
  readonly lokiUrl: string;

  constructor(name: string, args: LogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:monitoring:Logs", name, {}, opts);
    const { config, protect } = args;

    const { key, bucket, versioning } = privateBucket(this, `${name}-logs`, {
      description: `Encrypts the ${name} Loki log bucket`,
      protect,
    });
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-logs-lifecycle`,
      { bucket: bucket.id, rules: logsLifecycleRules(config.retentionDays, args.edgeSites) },
      { parent: this, dependsOn: [versioning] },
    );

    const role = irsaRole(this, `${name}-loki`, {
      oidcProviderArn: args.oidcProviderArn,
      oidcProviderUrl: args.oidcProviderUrl,
      namespace: args.namespace,
      serviceAccount: LOKI_SERVICE_ACCOUNT,
    });
    new aws.iam.RolePolicy(
      `${name}-loki-bucket`,
      {
        role: role.name,
        policy: pulumi
          .all([bucket.arn, key.arn])
          .apply(([bucketArn, keyArn]) => lokiBucketPolicy(bucketArn, keyArn, args.region)),
      },
      { parent: this },
    );

    const k8sOpts = { parent: this, provider: args.provider };
    const common = {
      repositoryOpts: { repo: GRAFANA_CHART_REPO },
      namespace: args.namespaceResource,
      createNamespace: false,
      cleanupOnFail: true,
      maxHistory: 10,
    };
    const loki = new k8s.helm.v3.Release(
      `${name}-loki`,
      {
        ...common,
        name: LOKI_NAME,
        chart: LOKI_CHART,
        version: config.lokiChartVersion,
        timeout: 600,
        values: lokiValues({
          bucketName: bucket.bucket,
          region: args.region,
          roleArn: role.arn,
          retentionDays: config.retentionDays,
          storageClassName: args.storageClassName,
        }),
      },
      { ...k8sOpts, dependsOn: args.dependsOn },
    );
    this.lokiUrl = lokiUrl(args.namespace);
    new k8s.helm.v3.Release(
      `${name}-alloy`,
      {
        ...common,
        name: ALLOY_NAME,
        chart: ALLOY_CHART,
        version: config.alloyChartVersion,
        values: alloyValues(renderAlloyConfig({ pushUrl: `${this.lokiUrl}${LOKI_PUSH_PATH}`, cluster: args.cluster })),
      },
      { ...k8sOpts, dependsOn: [...args.dependsOn, loki] },
    );

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, lokiUrl: this.lokiUrl });
  }
}
