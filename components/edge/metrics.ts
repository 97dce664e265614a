import { EDGE_NODE_JOB } from "../monitoring/metrics";
import { stringify } from "yaml";

/** Where the agent container finds the remote-write credentials (EDGE_PATHS.metricsSecrets, mounted read-only). */
export const AGENT_SECRETS_DIR = "/etc/prometheus/secrets";
/** The prom/prometheus image runs as nobody: the token file on the Pi is that user's, 0400. */
export const AGENT_UID = 65534;
export const AGENT_SECRET_FILES = {
  token: "/etc/prometheus/secrets/token",
  ca: "/etc/prometheus/secrets/ca.pem",
} as const;

/** Inputs of the Prometheus agent configuration on the Pi. */
export interface AgentConfigArgs {
  /** The Pi's name: the `site` external label and the `instance` of its targets. */
  site: string;
  /**
   * Where samples go: the cluster API server's proxy to Prometheus' remote-write receiver,
   * authenticated with the bearer token in AGENT_SECRET_FILES.token and verified against the CA in
   * AGENT_SECRET_FILES.ca. Undefined keeps samples in the agent's WAL only.
   */
  remoteWrite?: { url: string };
  /** node exporter on the private network. Default `edge-node-exporter:9100`. */
  nodeExporterTarget?: string;
  /** The app's metrics endpoint on the private network. Default `edge-app:5000`. */
  appTarget?: string;
  /** Default `30s`: enough for temperature and health, light on the Pi and the uplink. */
  scrapeInterval?: string;
}

/**
 * The Prometheus agent's config: scrapes node exporter (job `edge-node`, including the Pi's
 * textfile metrics) and the app (job `edge-app`), labels every series with `site`, and
 * remote-writes to the cluster's Prometheus. Agent mode keeps a WAL (no local queries, no TSDB),
 * so a home uplink outage only delays samples up to the WAL's retention.
 */
export function renderPrometheusAgentConfig(args: AgentConfigArgs): string {
  const target = (job: string, address: string, path?: string) => ({
    job_name: job,
    ...(path ? { metrics_path: path } : {}),
    static_configs: [{ targets: [address], labels: { instance: args.site } }],
  });
  const config: Record<string, unknown> = {
    global: {
      scrape_interval: args.scrapeInterval ?? "30s",
      scrape_timeout: "10s",
      external_labels: { site: args.site },
    },
    scrape_configs: [
      target(EDGE_NODE_JOB, args.nodeExporterTarget ?? "edge-node-exporter:9100"),
      target("edge-app", args.appTarget ?? "edge-app:5000", "/metrics"),
    ],
  };
  if (args.remoteWrite) {
    config.remote_write = [
      {
        url: args.remoteWrite.url,
        // Files, not inline values: the token stays out of the config (and its hash, and logs).
        authorization: { type: "Bearer", credentials_file: AGENT_SECRET_FILES.token },
        tls_config: { ca_file: AGENT_SECRET_FILES.ca },
        queue_config: { max_samples_per_send: 1000, batch_send_deadline: "15s", min_backoff: "1s", max_backoff: "1m" },
      },
    ];
  }
  return `# Rendered by components/edge/metrics.ts; run with prometheus --agent.\n${stringify(config)}`;
}
