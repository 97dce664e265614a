import type * as pulumi from "@pulumi/pulumi";
import type { CloudMonitoringConfig as MonitoringConfig } from "../../config";
import { DATASOURCE } from "./dashboards/grafana";

/** Helm release name and chart `fullnameOverride`: fixed, so object names are predictable. */
export const RELEASE_NAME = "kube-prometheus-stack";
/** The Prometheus custom resource the chart creates (`<fullname>-prometheus`); its pods carry this name. */
export const PROMETHEUS_CR_NAME = `${RELEASE_NAME}-prometheus`;
export const CHART_REPO = "https://prometheus-community.github.io/helm-charts";
export const PROMETHEUS_PORT = 9090;
/** Alertmanager keeps only silences and notification state: a small volume is plenty. */
export const ALERTMANAGER_STORAGE = "5Gi";
/** The Secret with `alertmanager.yaml` (`alertmanager.alertmanagerSpec.configSecret`). */
export const ALERTMANAGER_CONFIG_SECRET = "alertmanager-platform";
/** The key the operator reads from that Secret. */
export const ALERTMANAGER_CONFIG_KEY = "alertmanager.yaml";
/** Grafana keeps users, preferences and annotations in SQLite; dashboards come from code. */
export const GRAFANA_STORAGE = "5Gi";
/** Keys of the Grafana admin Secret the chart reads (`grafana.admin.userKey`/`passwordKey`). */
export const GRAFANA_ADMIN_KEYS = { user: "admin-user", password: "admin-password" } as const;
/** The label the Grafana sidecar watches for dashboard ConfigMaps, in every namespace. */
export const DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;
/** The annotation that puts a dashboard ConfigMap into a Grafana folder. */
export const DASHBOARD_FOLDER_ANNOTATION = "grafana_folder";

/**
 * Prometheus deletes the oldest blocks once the TSDB reaches this size, before the volume fills
 * (a full volume stops ingestion); the rest of the volume leaves room for the WAL and compaction.
 */
export function retentionSize(storageGb: number): string {
  return `${Math.floor(storageGb * 0.8)}GB`;
}

export interface ReleaseValuesArgs {
  config: MonitoringConfig;
  storageClassName: pulumi.Input<string>;
  /** Name of the Secret with the Grafana admin user and password. */
  grafanaAdminSecret: pulumi.Input<string>;
  /** Turn on Prometheus's remote-write receiver (`/api/v1/write`). */
  remoteWriteReceiver: boolean;
  /** Name of the Secret holding `alertmanager.yaml` (it carries credentials: never in the chart's values). */
  alertmanagerConfigSecret: pulumi.Input<string>;
  /** Loki's in-cluster URL: Grafana gets it as a data source. Default: no logs. */
  lokiUrl?: string;
  /** The Loki tenants Grafana's data source reads (cluster and sites). Default: the cluster's alone. */
  lokiTenants?: readonly string[];
}

/** The Loki data source's uid, pinned so dashboards and links can refer to it. */
export const LOKI_DATASOURCE_UID = "loki";

/** Grafana's Loki data source (`grafana.additionalDataSources`), read-only in the UI: it comes from code. */
export function lokiDataSource(url: string, tenants: readonly string[] = ["cluster"]): Record<string, unknown> {
  return {
    name: "Loki",
    type: "loki",
    uid: LOKI_DATASOURCE_UID,
    access: "proxy",
    url,
    editable: false,
    // Loki is multi-tenant: one query spans every tenant (querier.multi_tenant_queries_enabled),
    // each line labelled __tenant_id__. Not a secret: the header is an address, not a credential.
    jsonData: { maxLines: 1000, httpHeaderName1: "X-Scope-OrgID" },
    secureJsonData: { httpHeaderValue1: tenants.join("|") },
  };
}

function volumeClaim(storageClassName: pulumi.Input<string>, size: string) {
  return {
    volumeClaimTemplate: {
      spec: { storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } },
    },
  };
}

// Memory limits without CPU limits: memory is not compressible, CPU throttling only adds latency.
const resources = (cpu: string, memory: string, memoryLimit: string) => ({
  requests: { cpu, memory },
  limits: { memory: memoryLimit },
});

/** The chart's values: names checked against kube-prometheus-stack's values.yaml (fixture test/fixtures/charts/kube-prometheus-stack-<version>.values.yaml). */
export function releaseValues(args: ReleaseValuesArgs): Record<string, unknown> {
  const { config, storageClassName } = args;
  return {
    fullnameOverride: RELEASE_NAME,
    // The CRDs come from the prometheus-operator-crds release (crds.ts), which Helm does upgrade.
    crds: { enabled: false },
    // EKS runs these on its own control plane and does not expose their metrics: scraping them
    // only produces TargetDown noise, and their alert rules would never see data.
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeEtcd: { enabled: false },
    // kube-proxy on EKS binds its metrics to 127.0.0.1, out of Prometheus's reach.
    kubeProxy: { enabled: false },
    defaultRules: {
      rules: {
        etcd: false,
        kubeControllerManager: false,
        kubeSchedulerAlerting: false,
        kubeSchedulerRecording: false,
        kubeProxy: false,
      },
      // Replaced by the platform's own TargetDown (rules.ts), so that one name means one alert.
      disabled: { TargetDown: true },
    },
    prometheus: {
      prometheusSpec: {
        retention: `${config.retentionDays}d`,
        retentionSize: retentionSize(config.storageGb),
        enableRemoteWriteReceiver: args.remoteWriteReceiver,
        // Open selectors: rules and monitors from every namespace, not only the release's own.
        ruleSelectorNilUsesHelmValues: false,
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        probeSelectorNilUsesHelmValues: false,
        scrapeConfigSelectorNilUsesHelmValues: false,
        storageSpec: volumeClaim(storageClassName, `${config.storageGb}Gi`),
        resources: resources("200m", "1Gi", "2Gi"),
      },
    },
    alertmanager: {
      alertmanagerSpec: {
        // The chart renders no config Secret of its own; the operator reads ours.
        useExistingSecret: true,
        configSecret: args.alertmanagerConfigSecret,
        storage: volumeClaim(storageClassName, ALERTMANAGER_STORAGE),
        resources: resources("20m", "64Mi", "256Mi"),
      },
    },
    grafana: {
      // The password reaches Grafana from this Secret (never in the chart's values or the release
      // history). Grafana applies it only when it creates the admin user on its first start: to
      // rotate, replace the RandomPassword, `pulumi up`, then run `grafana cli admin
      // reset-admin-password "$GF_SECURITY_ADMIN_PASSWORD"` in the Grafana pod.
      admin: {
        existingSecret: args.grafanaAdminSecret,
        userKey: GRAFANA_ADMIN_KEYS.user,
        passwordKey: GRAFANA_ADMIN_KEYS.password,
      },
      persistence: {
        enabled: true,
        type: "pvc",
        storageClassName,
        accessModes: ["ReadWriteOnce"],
        size: GRAFANA_STORAGE,
      },
      // A ReadWriteOnce EBS volume cannot be attached to the old and the new pod at once.
      deploymentStrategy: { type: "Recreate" },
      resources: resources("50m", "192Mi", "512Mi"),
      sidecar: {
        dashboards: {
          enabled: true,
          label: Object.keys(DASHBOARD_LABEL)[0],
          labelValue: Object.values(DASHBOARD_LABEL)[0],
          searchNamespace: "ALL",
          folderAnnotation: DASHBOARD_FOLDER_ANNOTATION,
          provider: { foldersFromFilesStructure: true },
        },
        // The dashboards refer to this uid; pinned here so a chart default change cannot break them.
        datasources: { uid: DATASOURCE.uid },
      },
      additionalDataSources: args.lokiUrl ? [lokiDataSource(args.lokiUrl, args.lokiTenants)] : [],
    },
    prometheusOperator: { resources: resources("50m", "128Mi", "256Mi") },
    "kube-state-metrics": { resources: resources("20m", "64Mi", "256Mi") },
    "prometheus-node-exporter": { resources: resources("20m", "32Mi", "128Mi") },
  };
}
