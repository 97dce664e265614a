import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { CloudMonitoringConfig as MonitoringConfig } from "../../config";
import { renderDashboards } from "./dashboards";
import { renderAlertmanagerSecret } from "./alertmanager";
import { cloudWatchExporter } from "./cloudwatch-exporter";
import { operatorCrds } from "./crds";
import { LOKI_NAME, LOKI_PORT, Logs, lokiTenants, lokiUrl } from "./logs";
import {
  ALERTMANAGER_CONFIG_KEY,
  ALERTMANAGER_CONFIG_SECRET,
  CHART_REPO,
  DASHBOARD_FOLDER_ANNOTATION,
  DASHBOARD_LABEL,
  GRAFANA_ADMIN_KEYS,
  RELEASE_NAME,
  releaseValues,
} from "./release-values";
import { edgeRemoteWriteReceiver, type RemoteWriteReceiver } from "./remote-write";
import { writeGateway } from "./write-gateway";
import { prometheusRule, ruleGroups } from "./rules";

export { renderDashboards } from "./dashboards";
export { renderRuleFile, RULE_GROUPS, ruleGroups } from "./rules";
export { renderAlertmanagerConfig, RECEIVERS } from "./alertmanager";
export { siteRemoteWriteToken, type RemoteWriteReceiver } from "./remote-write";

export interface MonitoringArgs {
  /**
   * `platform:monitoring`: chart version (exact), retention days, Prometheus volume size.
   * `enabled` is the caller's decision: the cloud stack creates this component only when it is true.
   */
  config: MonitoringConfig;
  /** The cluster's Kubernetes provider; every child goes through it. */
  provider: k8s.Provider;
  /** StorageClass of the Prometheus, Alertmanager and Grafana volumes (the cluster's gp3 class). */
  storageClassName: pulumi.Input<string>;
  /** Namespace to install into. Default `monitoring`. */
  namespace?: string;
  /** The cluster's API server URL and CA (PEM), for the Pis' remote write (when `edgeSites` is not empty). */
  clusterEndpoint: pulumi.Input<string>;
  clusterCaPem: pulumi.Input<string>;
  /**
   * The Pi sites expected to send metrics (their `site` label, `platform:edgeSites`): with any, the
   * remote-write receiver is on, and each site gets an alert when it goes silent. Default none.
   */
  edgeSites?: string[];
  /** The database's max_connections (its class's default), for DatabaseConnectionsHigh. Default: no such alert. */
  databaseMaxConnections?: number;
  /**
   * What the release waits for: its volumes and pods need nodes, the EBS CSI driver and the gp3
   * class within Helm's timeout (the cluster's `workloadsReady`). Default none.
   */
  waitFor?: pulumi.Resource[];
  /**
   * With these, a CloudWatch exporter (YACE, read-only IRSA role) feeds the data-tier alerts with
   * RDS and ElastiCache metrics. Default none (the data-tier alerts then see no series).
   */
  cloudWatch?: { region: string; oidcProviderArn: pulumi.Input<string>; oidcProviderUrl: pulumi.Input<string> };
  /**
   * Protect the log bucket and its key from deletion by the stack (`platform:protect`). Logs
   * (`config.logs.enabled`) need the AWS identity in `cloudWatch` (region, OIDC provider) for
   * Loki's IRSA role. Default false.
   */
  protect?: boolean;
}

/**
 * kube-prometheus-stack (Prometheus, Alertmanager, Grafana, the operator, node exporter and
 * kube-state-metrics) installed by a Helm release after the operator's CRDs (their own release,
 * crds.ts, so that they are upgraded with the chart), with the platform's
 * alert rules as a PrometheusRule and its dashboards as ConfigMaps the Grafana sidecar loads.
 * Alertmanager routes by severity (critical pages, warnings go to chat, the Watchdog to a
 * dead-man's switch) from `platform:monitoring.alerting`, through a Secret the operator reads.
 * Grafana's admin password is generated and handed to the chart through an existing Secret.
 * With edge sites, Prometheus also accepts the Pis' metrics by remote write through the API
 * server's service proxy and a write-only gateway (TLS, per-site service-account tokens that can
 * POST samples and do nothing else).
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  /** Grafana's `admin` password (secret). */
  readonly grafanaAdminPassword: pulumi.Output<string>;
  /** Where the Pis' agents remote-write (URL, CA, the Role a site is bound to); undefined without edge sites. */
  readonly edgeRemoteWrite: RemoteWriteReceiver | undefined;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:monitoring:Monitoring", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    const { config } = args;
    const sites = args.edgeSites ?? [];

    const namespaceName = args.namespace ?? "monitoring";
    const namespace = new k8s.core.v1.Namespace(
      `${name}-monitoring`,
      // node exporter needs the host's network, PID namespace and filesystem.
      { metadata: { name: namespaceName, labels: { "pod-security.kubernetes.io/enforce": "privileged" } } },
      k8sOpts,
    );
    const ns = namespace.metadata.name;
    const logsOn = config.logs.enabled && args.cloudWatch !== undefined;

    const password = new random.RandomPassword(
      `${name}-grafana-admin`,
      { length: 32, special: false },
      { parent: this },
    );
    const adminSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: "grafana-admin", namespace: ns },
        type: "Opaque",
        stringData: {
          [GRAFANA_ADMIN_KEYS.user]: "admin",
          [GRAFANA_ADMIN_KEYS.password]: pulumi.secret(password.result),
        },
      },
      k8sOpts,
    );

    // Alertmanager's routes and receivers; the file holds the receivers' credentials, so it lives
    // in a Secret the operator reads, never in the chart's values (Helm keeps those in its history).
    const alertmanagerConfig = new k8s.core.v1.Secret(
      `${name}-alertmanager-config`,
      {
        metadata: { name: ALERTMANAGER_CONFIG_SECRET, namespace: ns },
        type: "Opaque",
        stringData: { [ALERTMANAGER_CONFIG_KEY]: renderAlertmanagerSecret(config.alerting) },
      },
      k8sOpts,
    );

    // The operator's CRDs first, as their own release: Helm upgrades them with each pinned version.
    const crds = operatorCrds(name, { version: config.crdsChartVersion, namespace: ns }, k8sOpts);
    const release = new k8s.helm.v3.Release(
      `${name}-kube-prometheus-stack`,
      {
        name: RELEASE_NAME,
        chart: "kube-prometheus-stack",
        version: config.chartVersion,
        repositoryOpts: { repo: CHART_REPO },
        namespace: ns,
        createNamespace: false,
        // The CRDs come from the prometheus-operator-crds release (crds.ts), not this chart.
        skipCrds: true,
        cleanupOnFail: true,
        maxHistory: 10,
        timeout: 900,
        values: releaseValues({
          config,
          storageClassName: args.storageClassName,
          grafanaAdminSecret: adminSecret.metadata.name,
          remoteWriteReceiver: sites.length > 0,
          alertmanagerConfigSecret: alertmanagerConfig.metadata.name,
          lokiUrl: logsOn ? lokiUrl(namespaceName) : undefined,
          lokiTenants: lokiTenants(sites),
        }),
      },
      { ...k8sOpts, dependsOn: [...(args.waitFor ?? []), crds] },
    );

    // The PrometheusRule kind exists only once the release has applied the CRDs.
    prometheusRule(
      `${name}-alert-rules`,
      ns,
      ruleGroups(sites, { databaseMaxConnections: args.databaseMaxConnections, edgeLogs: logsOn }),
      { ...k8sOpts, dependsOn: [release] },
    );
    this.dashboards(name, ns, args.provider);
    // Its ServiceMonitor kind exists once the release has applied the CRDs.
    if (args.cloudWatch)
      cloudWatchExporter(
        this,
        name,
        { ...args.cloudWatch, namespace: namespaceName, namespaceResource: ns, provider: args.provider },
        [release],
      );
    const logs =
      logsOn && args.cloudWatch
        ? new Logs(
            name,
            {
              ...args.cloudWatch,
              config: config.logs,
              namespace: namespaceName,
              namespaceResource: ns,
              provider: args.provider,
              storageClassName: args.storageClassName,
              protect: args.protect ?? false,
              cluster: name,
              dependsOn: [release],
              edgeSites: sites,
            },
            { parent: this },
          )
        : undefined;

    this.namespace = ns;
    this.grafanaAdminPassword = pulumi.secret(password.result);
    this.edgeRemoteWrite = sites.length > 0 ? this.remoteWrite(name, args, ns, release, logs) : undefined;
    this.registerOutputs({
      namespace: this.namespace,
      grafanaAdminPassword: this.grafanaAdminPassword,
      edgeRemoteWriteUrl: this.edgeRemoteWrite?.url,
    });
  }

  /** The write gateway (its nginx resolves Prometheus's Service at start: after the release) and the Role bound to it. */
  private remoteWrite(
    name: string,
    args: MonitoringArgs,
    ns: pulumi.Output<string>,
    release: k8s.helm.v3.Release,
    logs: Logs | undefined,
  ): RemoteWriteReceiver {
    const sites = args.edgeSites ?? [];
    // With logs, nginx also resolves Loki's Service at start: after the Loki release (in Logs).
    const after = logs ? [release, logs] : [release];
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: after };
    const gateway = writeGateway(
      name,
      { namespace: ns, logs: logs ? { upstream: `${LOKI_NAME}:${LOKI_PORT}`, sites } : undefined },
      k8sOpts,
    );
    return edgeRemoteWriteReceiver(
      name,
      {
        namespace: ns,
        clusterEndpoint: args.clusterEndpoint,
        clusterCaPem: args.clusterCaPem,
        logs: logs !== undefined,
      },
      { ...k8sOpts, dependsOn: [...after, gateway] },
    );
  }

  private dashboards(name: string, ns: pulumi.Output<string>, provider: k8s.Provider): void {
    for (const [file, json] of Object.entries(renderDashboards())) {
      const stem = file.replace(/\.json$/, "");
      new k8s.core.v1.ConfigMap(
        `${name}-dashboard-${stem}`,
        {
          metadata: {
            name: `grafana-dashboard-${stem}`,
            namespace: ns,
            labels: { ...DASHBOARD_LABEL },
            annotations: { [DASHBOARD_FOLDER_ANNOTATION]: "Platform" },
          },
          data: { [file]: json },
        },
        { parent: this, provider },
      );
    }
  }
}
