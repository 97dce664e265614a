import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { siteTenant } from "./write-gateway";
import {
  EDGE_NODE_JOB,
  APP_METRICS as APP,
  CLOUDWATCH_METRICS as CW,
  CLUSTER_METRICS as KUBE,
  DB_DUMP_CRONJOB,
  EDGE_APP_JOB,
  EDGE_HOST_METRICS as EDGE,
  LOKI_METRICS,
  NODE_METRICS as NODE,
  PI_METRICS as PI,
  POSTGRES_EXPORTER_METRICS as PG,
} from "./metrics";

export type Severity = "critical" | "warning";

/** One Prometheus alerting rule, in the rule file's own shape. */
export interface AlertRule {
  alert: string;
  expr: string;
  /** How long the expression must hold before the alert fires. */
  for: string;
  labels: { severity: Severity };
  annotations: { summary: string; description: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

/** Series that are not filesystems on disk (node exporter reports them too). */
const REAL_FS = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs"';
/** Cloud app series group by job and namespace; edge series by site. */
const APP_BY = "job, namespace, site";
const where = "{{ $labels.job }}{{ with $labels.site }} at {{ . }}{{ end }}";

export const RULE_GROUPS: RuleGroup[] = [
  {
    name: "platform-app",
    rules: [
      {
        alert: "TargetDown",
        // The edge app has its own, critical alert; the chart's TargetDown is disabled in favour of this one.
        expr: `up{job!="${EDGE_APP_JOB}"} == 0`,
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Target {{ $labels.job }}/{{ $labels.instance }} is down",
          description: "Prometheus has failed to scrape {{ $labels.instance }} of job {{ $labels.job }} for 5 minutes.",
        },
      },
      {
        alert: "HighErrorRate",
        expr: `sum by (${APP_BY}) (rate(${APP.requests}{status=~"5.."}[2m])) > 0.1`,
        for: "2m",
        labels: { severity: "critical" },
        annotations: {
          summary: `High 5xx rate on ${where}`,
          description: '{{ $value | printf "%.2f" }} 5xx responses per second for 2 minutes (threshold 0.1/s).',
        },
      },
      {
        alert: "HighLatency",
        expr: `histogram_quantile(0.95, sum by (${APP_BY}, le) (rate(${APP.durationBucket}[5m]))) > 1`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: `High request latency on ${where}`,
          description: '95th percentile latency is {{ $value | printf "%.2f" }}s for 10 minutes (threshold 1s).',
        },
      },
      {
        alert: "DatabaseConnectionFailures",
        // The app counts failed connection attempts; pg_up covers a postgres-exporter where one runs.
        expr: `sum by (${APP_BY}) (increase(${APP.dbConnectionErrors}[5m])) > 0 or ${PG.up} == 0`,
        for: "2m",
        labels: { severity: "critical" },
        annotations: {
          summary: `Database connection failures on ${where}`,
          description: "{{ $labels.job }} has been failing to connect to its database for 2 minutes.",
        },
      },
    ],
  },
  {
    name: "platform-infrastructure",
    rules: [
      {
        alert: "HighCpu",
        expr: `100 * (1 - avg by (instance) (rate(${NODE.cpuSeconds}{mode="idle"}[5m]))) > 85`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "High CPU on {{ $labels.instance }}",
          description: 'CPU is {{ $value | printf "%.0f" }}% busy for 15 minutes (threshold 85%).',
        },
      },
      {
        alert: "HighMemory",
        expr: `100 * (1 - ${NODE.memAvailable} / ${NODE.memTotal}) > 90`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "High memory use on {{ $labels.instance }}",
          description: '{{ $value | printf "%.0f" }}% of memory in use for 10 minutes (threshold 90%).',
        },
      },
      {
        alert: "LowDisk",
        expr: `100 * ${NODE.fsAvail}{${REAL_FS}} / ${NODE.fsSize}{${REAL_FS}} < 10 and ${NODE.fsReadonly}{${REAL_FS}} == 0`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Low disk space on {{ $labels.instance }} {{ $labels.mountpoint }}",
          description: 'Only {{ $value | printf "%.1f" }}% of {{ $labels.mountpoint }} is free (threshold 10%).',
        },
      },
    ],
  },
  {
    name: "platform-edge",
    rules: [
      {
        alert: "PiOverTemperature",
        expr: `${PI.temperature} > 80`,
        for: "5m",
        // Critical above 80 °C (the reference's line): the SoC throttles hard from 85 °C.
        labels: { severity: "critical" },
        annotations: {
          summary: "Pi {{ $labels.site }} is running hot",
          description:
            'The SoC is at {{ $value | printf "%.1f" }} °C for 5 minutes (threshold 80 °C); the firmware throttles from here on.',
        },
      },
      {
        alert: "PiThrottled",
        // `reason` keeps the two causes apart: without it both would have the same labels once the name is dropped.
        expr:
          `label_replace(${PI.throttled} == 1, "reason", "throttled", "", "")` +
          ` or label_replace(${PI.underVoltage} == 1, "reason", "under-voltage", "", "")`,
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Pi {{ $labels.site }} is {{ $labels.reason }}",
          description: "The Pi has reported {{ $labels.reason }} for 5 minutes: check its power supply and cooling.",
        },
      },
      {
        // A failing SD card first shows as the kernel remounting it read-only after I/O errors;
        // LowDisk ignores read-only filesystems, so nothing else would say so.
        alert: "PiFilesystemReadOnly",
        expr: `${NODE.fsReadonly}{job="${EDGE_NODE_JOB}",${REAL_FS}} == 1`,
        for: "2m",
        labels: { severity: "critical" },
        annotations: {
          summary: "A filesystem on the Pi at {{ $labels.site }} is read-only",
          description:
            "{{ $labels.mountpoint }} ({{ $labels.device }}) has been read-only for 2 minutes: the kernel does this after I/O errors, the first sign of a failing SD card. The app's writes and the backups fail; copy the latest backup off the Pi and replace the card.",
        },
      },
      {
        // A self-signed certificate is renewed only by a deploy in its last 30 days; a provided one by its owner.
        alert: "EdgeCertificateExpiring",
        expr: `${PI.tlsExpiry} - time() < 14 * 86400`,
        for: "1h",
        labels: { severity: "warning" },
        annotations: {
          summary: "The TLS certificate of the Pi at {{ $labels.site }} expires soon",
          description:
            "It expires in {{ $value | humanizeDuration }}: with edge.acme, certbot renews it 30 days ahead, so its renewal is failing (journalctl -u certbot on the Pi); otherwise run pulumi up on the edge stack (it renews the self-signed certificate in its last 30 days) or replace edge.tlsCertificate.",
        },
      },
      {
        // The cloud stack re-signs it in its last 30 days and the edge stack's next up installs it;
        // at 21 days neither has happened for 9 days. When it lapses the Pi's backups and pulls fail.
        alert: "EdgeIdentityCertificateExpiring",
        expr: `${PI.identityExpiry} - time() < 21 * 86400`,
        for: "1h",
        labels: { severity: "warning" },
        annotations: {
          summary: "The AWS identity certificate of the Pi at {{ $labels.site }} expires soon",
          description:
            "It expires in {{ $value | humanizeDuration }}, and with it the Pi's backups to S3 and image pulls: run pulumi up on the cloud stack (it signs a new one in the last 30 days), then on the edge stack.",
        },
      },
      {
        alert: "EdgeAppUnhealthy",
        // Two views of the app: its /metrics scrape, and its own /health (which checks its database
        // and cache) probed on the Pi; `reason` says which failed.
        expr:
          `label_replace(up{job="${EDGE_APP_JOB}"} == 0, "reason", "the app's metrics endpoint is unreachable", "", "")` +
          ` or label_replace(${EDGE.appHealthy} == 0, "reason", "the app's /health check fails", "", "")`,
        for: "2m",
        labels: { severity: "critical" },
        annotations: {
          summary: "The edge app at {{ $labels.site }} is unhealthy",
          description: "For 2 minutes on the Pi at {{ $labels.site }}, {{ $labels.reason }}.",
        },
      },
    ],
  },
  {
    name: "platform-data-tier",
    rules: [
      {
        alert: "DatabaseHighCpu",
        expr: `max by (dimension_DBInstanceIdentifier) (${CW.rdsCpu}) > 80`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "High CPU on database {{ $labels.dimension_DBInstanceIdentifier }}",
          description:
            'CPU is {{ $value | printf "%.0f" }}% busy for 15 minutes (threshold 80%): look for slow queries, or a larger instance class.',
        },
      },
      {
        alert: "DatabaseLowStorage",
        // Storage autoscaling grows the volume at 10% free: under 2 GiB means it has reached
        // database.maxAllocatedStorageGb or cannot keep up.
        expr: `min by (dimension_DBInstanceIdentifier) (${CW.rdsFreeStorage}) < 2 * 1024 * 1024 * 1024`,
        for: "15m",
        labels: { severity: "critical" },
        annotations: {
          summary: "Database {{ $labels.dimension_DBInstanceIdentifier }} is running out of storage",
          description:
            "Only {{ $value | humanize1024 }}B free for 15 minutes (threshold 2 GiB): raise platform:database.maxAllocatedStorageGb.",
        },
      },
      {
        alert: "CacheHighMemory",
        expr: `max by (dimension_CacheClusterId) (${CW.cacheMemory}) > 90`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Cache {{ $labels.dimension_CacheClusterId }} is nearly full",
          description:
            '{{ $value | printf "%.0f" }}% of maxmemory used for 15 minutes (threshold 90%): evictions follow.',
        },
      },
      {
        alert: "CacheEvictions",
        expr: `sum by (dimension_CacheClusterId) (${CW.cacheEvictions}) > 0`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Cache {{ $labels.dimension_CacheClusterId }} is evicting keys",
          description:
            "{{ $value }} keys evicted in the last period, for 15 minutes: the cache is too small for its working set (platform:cache.nodeType).",
        },
      },
    ],
  },
  {
    name: "platform-backups",
    rules: [
      {
        alert: "DatabaseBackupStale",
        // A CronJob that has never succeeded has no last-successful time: then its age counts.
        expr:
          `time() - max by (namespace, cronjob) (${KUBE.cronjobLastSuccess}{cronjob="${DB_DUMP_CRONJOB}"}) > 26 * 3600` +
          ` or (time() - max by (namespace, cronjob) (${KUBE.cronjobCreated}{cronjob="${DB_DUMP_CRONJOB}"}) > 26 * 3600` +
          ` unless on (namespace, cronjob) ${KUBE.cronjobLastSuccess}{cronjob="${DB_DUMP_CRONJOB}"})`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "No successful database dump for over 26 hours",
          description:
            "The {{ $labels.namespace }}/{{ $labels.cronjob }} CronJob last succeeded {{ $value | humanizeDuration }} ago (threshold 26 h): check its last Job's logs.",
        },
      },
    ],
  },
];

/**
 * One alert per Pi the cluster expects metrics from: every other edge alert needs the Pi's own
 * series, so a Pi, uplink or agent that goes dark would otherwise raise nothing.
 */
export function edgePresenceRules(sites: readonly string[]): RuleGroup[] {
  if (sites.length === 0) return [];
  return [
    {
      name: "platform-edge-presence",
      rules: sites.map((site) => ({
        alert: "EdgeSilent",
        expr: `absent_over_time(up{site="${site}"}[10m])`,
        for: "5m",
        labels: { severity: "critical" as const },
        annotations: {
          summary: `No metrics from the Pi at ${site}`,
          description: `Nothing has arrived from ${site} for 15 minutes: the Pi, its network or its metrics agent is down.`,
        },
      })),
    },
  ];
}

/**
 * One backup-freshness alert per Pi: the last successful backup is over 26 h old (a daily timer
 * plus slack), or there is no evidence of one at all for 26 h (the backup never ran, or the Pi
 * stopped reporting it).
 */
export function edgeBackupRules(sites: readonly string[]): RuleGroup[] {
  if (sites.length === 0) return [];
  const series = (site: string) => `${EDGE.backupLastSuccess}{site="${site}"}`;
  return [
    {
      name: "platform-edge-backups",
      rules: sites.map((site) => ({
        alert: "EdgeBackupStale",
        expr: `time() - max by (site) (${series(site)}) > 26 * 3600 or absent_over_time(${series(site)}[26h])`,
        for: "15m",
        labels: { severity: "warning" as const },
        annotations: {
          summary: `No successful backup from the Pi at ${site} for over 26 hours`,
          description: `The Pi at ${site} has not reported a successful backup for over 26 hours: check edge-backup.service on it (journalctl -u edge-backup).`,
        },
      })),
    },
  ];
}

/** Share of max_connections at which the database is close to refusing clients. */
export const CONNECTIONS_ALERT_SHARE = 0.8;

/**
 * DatabaseConnectionsHigh: CloudWatch has no max_connections, so the stack passes the limit its
 * instance class gets (components/database.ts, maxConnectionsFor) and the alert fires at 80% of it.
 */
export function databaseConnectionRules(maxConnections: number): RuleGroup[] {
  const threshold = Math.floor(maxConnections * CONNECTIONS_ALERT_SHARE);
  return [
    {
      name: "platform-data-tier-connections",
      rules: [
        {
          alert: "DatabaseConnectionsHigh",
          expr: `max by (dimension_DBInstanceIdentifier) (${CW.rdsConnections}) > ${threshold}`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: "Database {{ $labels.dimension_DBInstanceIdentifier }} is near its connection limit",
            description: `{{ $value | printf "%.0f" }} connections for 10 minutes (threshold ${threshold}, 80% of max_connections ${maxConnections}): look for leaking pools, or a larger instance class.`,
          },
        },
      ],
    },
  ];
}

export interface RuleOptions {
  /** The database's max_connections: with it, DatabaseConnectionsHigh watches the connection count. */
  databaseMaxConnections?: number;
  /** The Pis ship logs to Loki (`monitoring.logs.enabled`): EdgeLogsSilent per site. Default true. */
  edgeLogs?: boolean;
}

/**
 * One alert per Pi whose logs stop reaching Loki while Loki is up: the site's tenant (set by the
 * write gateway, so nothing but that Pi counts) received no line for 15 minutes, or its counter
 * is gone. A Pi logs all the time (its 15-second timers alone write to the journal), so silence
 * means the agent, its credential or the gateway's route is broken. Loki's own metrics (its
 * ServiceMonitor) carry the tenant; a Pi that is dark altogether raises EdgeSilent as well.
 */
export function edgeLogRules(sites: readonly string[]): RuleGroup[] {
  if (sites.length === 0) return [];
  const lines = (site: string) => `${LOKI_METRICS.linesReceived}{tenant="${siteTenant(site)}"}`;
  return [
    {
      name: "platform-edge-logs",
      rules: sites.map((site) => ({
        alert: "EdgeLogsSilent",
        expr: `sum by (tenant) (increase(${lines(site)}[15m])) < 1 or absent_over_time(${lines(site)}[15m])`,
        for: "5m",
        labels: { severity: "warning" as const, site },
        annotations: {
          summary: `No logs from the Pi at ${site}`,
          description: `Loki has received no line from ${site} (tenant ${siteTenant(site)}) for 20 minutes: its log agent, its credential or the write gateway's route is broken.`,
        },
      })),
    },
  ];
}

/** Every rule group: the static ones, a presence, a backup-freshness and a logs alert per expected Pi, and the connection limit. */
export function ruleGroups(edgeSites: readonly string[] = [], options: RuleOptions = {}): RuleGroup[] {
  const connections =
    options.databaseMaxConnections === undefined ? [] : databaseConnectionRules(options.databaseMaxConnections);
  return [
    ...RULE_GROUPS,
    ...connections,
    ...edgePresenceRules(edgeSites),
    ...edgeBackupRules(edgeSites),
    ...(options.edgeLogs === false ? [] : edgeLogRules(edgeSites)),
  ];
}

/** The rules as a Prometheus rule file (`groups:`), for `promtool` and `--emit`. */
export function renderRuleFile(groups: RuleGroup[] = RULE_GROUPS): string {
  return stringify({ groups }, { lineWidth: 0 });
}

/** The rules as a `PrometheusRule` the operator loads (the chart's rule selector is open to all). */
export function prometheusRule(
  name: string,
  namespace: pulumi.Input<string>,
  groups: RuleGroup[],
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    name,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: { name: "platform-alerts", namespace, labels: { "app.kubernetes.io/part-of": "platform" } },
      spec: { groups },
    },
    opts,
  );
}
