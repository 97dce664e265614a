import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { siteLogsPushUrl } from "../monitoring/remote-write";
import { CLUSTER_IMAGES } from "../images";
import { EDGE_PLATFORM } from "./images";
import { EDGE_PATHS } from "./scripts";

/**
 * The Pi's log agent: Grafana Alloy in a container, reading the host's journal and every
 * container's json-file log, and pushing both to the cloud's Loki through the write gateway with
 * the site's own credential (the metrics token: one service account per site, whose Roles allow
 * the metrics port and this site's log port). The gateway, not the Pi, sets the Loki tenant
 * (`edge-<site>`): a Pi cannot write as another site (components/monitoring/write-gateway.ts).
 *
 * Why files, not the Docker socket: a socket mounted read-only still accepts every API call, so
 * an agent holding it is root on the Pi; the json-file logs under /var/lib/docker/containers are
 * plain files. The cost: lines carry the container's id (the file's directory), not its name
 * (`docker ps --no-trunc` maps one to the other).
 */

export const LOG_AGENT_CONTAINER = "edge-log-agent";
/** The same Alloy build as the cluster's DaemonSet, pinned by its multi-arch digest (Docker pulls linux/arm64). */
export const LOG_AGENT_IMAGE = CLUSTER_IMAGES.alloy;
/** Where the agent keeps its read positions on the Pi: a replaced container neither re-sends nor skips lines. */
export const LOG_AGENT_STATE_DIR = `${EDGE_PATHS.root}/alloy`;
/** The site's token and the cluster's CA (EDGE_PATHS.metricsSecrets), mounted read-only. */
export const LOG_AGENT_SECRETS_DIR = "/etc/alloy/secrets";
export const LOG_AGENT_SECRET_FILES = {
  token: `${LOG_AGENT_SECRETS_DIR}/token`,
  ca: `${LOG_AGENT_SECRETS_DIR}/ca.pem`,
} as const;
const CONFIG_PATH = "/etc/alloy/config.alloy";
const STORAGE_PATH = "/var/lib/alloy/data";
/** Alloy's HTTP server (UI, /-/ready): loopback inside the container only. */
const HTTP_ADDR = "127.0.0.1:12345";
/** Docker's json-file logs, one directory per container (named by its full id). */
export const DOCKER_LOG_GLOB = "/var/lib/docker/containers/*/*-json.log";
/** The journal (persistent and size-capped by host-prep.sh). */
export const JOURNAL_DIR = "/var/log/journal";
/** Journal entries older than this at the agent's first start are not sent (a Pi's first deploy, a lost position file). */
export const JOURNAL_MAX_AGE = "12h";

export interface EdgeLogConfigArgs {
  /** The site: the `site` label on every line (the tenant is set by the gateway, not here). */
  site: string;
  /** `dev` or `prod`: the `environment` label. */
  environment: string;
  /** The site's Loki push URL through the cluster API server's proxy (siteLogsPushUrl). */
  pushUrl: string;
}

const quote = (s: string): string => JSON.stringify(s);
const rule = (source: string, target: string): string =>
  `  rule {\n    source_labels = [${quote(source)}]\n    target_label  = ${quote(target)}\n  }\n`;

/**
 * The Pi's Alloy configuration: one pure function for the container and `--emit`. The journal
 * (labels `unit`, `level`) and the containers' json-file logs (label `container_id`, the first 12
 * hex digits as `docker ps` shows them), each with `source`, all with `site` and `environment`;
 * pushed with the site's token, verifying the cluster's CA.
 */
export function renderEdgeAlloyConfig(args: EdgeLogConfigArgs): string {
  return [
    `// Rendered by components/edge/logs.ts; the Pi's log agent (Grafana Alloy).\n`,
    `loki.relabel "journal" {\n  forward_to = []\n\n` +
      rule("__journal__systemd_unit", "unit") +
      rule("__journal_priority_keyword", "level") +
      `}\n`,
    `loki.source.journal "journal" {\n  path          = ${quote(JOURNAL_DIR)}\n  max_age       = ${quote(JOURNAL_MAX_AGE)}\n  relabel_rules = loki.relabel.journal.rules\n  labels        = { source = "journal" }\n  forward_to    = [loki.write.cloud.receiver]\n}\n`,
    `local.file_match "containers" {\n  path_targets = [{ "__path__" = ${quote(DOCKER_LOG_GLOB)} }]\n}\n`,
    `loki.source.file "containers" {\n  targets    = local.file_match.containers.targets\n  forward_to = [loki.process.containers.receiver]\n}\n`,
    // json-file lines: {"log": …, "stream": …, "time": …}; the id from the file's directory.
    `loki.process "containers" {\n  stage.docker {}\n\n  stage.regex {\n    expression = "^/var/lib/docker/containers/(?P<container_id>[0-9a-f]{12})"\n    source     = "filename"\n  }\n\n  stage.labels {\n    values = { container_id = "" }\n  }\n\n  stage.static_labels {\n    values = { source = "docker" }\n  }\n\n  stage.label_drop {\n    values = ["filename"]\n  }\n\n  forward_to = [loki.write.cloud.receiver]\n}\n`,
    `loki.write "cloud" {\n  endpoint {\n    url               = ${quote(args.pushUrl)}\n    bearer_token_file = ${quote(LOG_AGENT_SECRET_FILES.token)}\n\n    tls_config {\n      ca_file = ${quote(LOG_AGENT_SECRET_FILES.ca)}\n    }\n  }\n\n  external_labels = {\n    site        = ${quote(args.site)},\n    environment = ${quote(args.environment)},\n  }\n}\n`,
  ].join("\n");
}

/** The push URL `--emit` writes: the real site port, the cluster's endpoint as a placeholder. */
export const EMIT_METRICS_URL =
  "https://<cluster-api-server>/api/v1/namespaces/monitoring/services/edge-write-gateway:8080/proxy/api/v1/write";
export const emitEdgeAlloyConfig = (site: string, environment: string): string =>
  renderEdgeAlloyConfig({ site, environment, pushUrl: siteLogsPushUrl(EMIT_METRICS_URL, site) });

export interface LogAgentArgs {
  provider: docker.Provider;
  /** The rendered config (renderEdgeAlloyConfig). */
  config: pulumi.Input<string>;
  /** Memory limit, MB (`edge.memoryMb.logAgent`). */
  memoryMb: number;
  /** The remote commands that wrote the token and CA under EDGE_PATHS.metricsSecrets, and the containers (their networks). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The agent container: root (the journal and the json-file logs are root's) with every capability
 * dropped but DAC_READ_SEARCH (read any file, write none it does not own), no new privileges, the
 * host's log directories and the secrets read-only, on the egress network only (it talks to the
 * cluster and to nothing on the Pi). GOMEMLIMIT keeps Go's heap under the container limit.
 */
export function createLogAgent(parent: pulumi.Resource, name: string, args: LogAgentArgs): docker.Container {
  const opts = { parent, provider: args.provider };
  const image = new docker.RemoteImage(
    `${name}-edge-log-agent`,
    { name: LOG_AGENT_IMAGE, platform: EDGE_PLATFORM, keepLocally: true },
    { ...opts, dependsOn: args.dependsOn },
  );
  return new docker.Container(
    `${name}-edge-log-agent`,
    {
      name: LOG_AGENT_CONTAINER,
      image: LOG_AGENT_IMAGE,
      platform: EDGE_PLATFORM,
      restart: "unless-stopped",
      securityOpts: ["no-new-privileges:true"],
      destroyGraceSeconds: 30,
      capabilities: { drops: ["ALL"], adds: ["DAC_READ_SEARCH"] },
      // The config is uploaded (Docker refuses uploads on a read-only root filesystem).
      readOnly: false,
      command: ["run", CONFIG_PATH, `--storage.path=${STORAGE_PATH}`, `--server.http.listen-addr=${HTTP_ADDR}`],
      envs: [`GOMEMLIMIT=${Math.floor(args.memoryMb * 0.8)}MiB`],
      memory: args.memoryMb,
      uploads: [{ file: CONFIG_PATH, content: args.config }],
      volumes: [
        { hostPath: JOURNAL_DIR, containerPath: JOURNAL_DIR, readOnly: true },
        // The journal's files live under the machine id's directory.
        { hostPath: "/etc/machine-id", containerPath: "/etc/machine-id", readOnly: true },
        { hostPath: "/var/lib/docker/containers", containerPath: "/var/lib/docker/containers", readOnly: true },
        { hostPath: EDGE_PATHS.metricsSecrets, containerPath: LOG_AGENT_SECRETS_DIR, readOnly: true },
        { hostPath: LOG_AGENT_STATE_DIR, containerPath: STORAGE_PATH },
      ],
      // Created by createContainers: the bridge with a route out.
      networksAdvanced: [{ name: "edge-egress" }],
      healthcheck: {
        // The image (Ubuntu) has bash but neither curl nor wget.
        tests: [
          "CMD",
          "bash",
          "-c",
          `exec 3<>/dev/tcp/${HTTP_ADDR.replace(":", "/")} && printf 'GET /-/ready HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ' 200 ' <&3`,
        ],
        interval: "30s",
        timeout: "5s",
        retries: 3,
        startPeriod: "30s",
      },
    },
    { ...opts, deleteBeforeReplace: true, dependsOn: [image, ...(args.dependsOn as pulumi.Resource[])] },
  );
}
