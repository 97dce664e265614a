import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { EDGE_IMAGES, EDGE_PLATFORM } from "./images";
import { AGENT_SECRETS_DIR } from "./metrics";
import { EDGE_PATHS } from "./scripts";

/** Container names double as DNS names on the private network (nginx and the agent use them). */
export const CONTAINER_NAMES = {
  app: "edge-app",
  redis: "edge-redis",
  nginx: "edge-nginx",
  nodeExporter: "edge-node-exporter",
  metricsAgent: "edge-metrics-agent",
} as const;

export type ContainerKey = keyof typeof CONTAINER_NAMES;

export interface ContainersArgs {
  provider: docker.Provider;
  /** The app image, `<registry>/<repo>@sha256:…`. */
  appImage: pulumi.Input<string>;
  /** The command that pulled `appImage` onto the Pi (the provider holds no registry credentials). */
  appImagePulled: pulumi.Resource;
  /** Memory limit per container, MB (`edge.memoryMb`). */
  memoryMb: Record<ContainerKey, number>;
  /** The app's memory reservation, MB. */
  appReservationMb: number;
  /** uid:gid the app runs as; owns the data directory. */
  appUid: number;
  nginxConf: string;
  agentConfig: pulumi.Input<string>;
  /** The remote commands that wrote the agent's token and CA under EDGE_PATHS.metricsSecrets. */
  agentSecretFiles: pulumi.Resource[];
  /** sha256 of the certificate and key: a new certificate recreates nginx so it loads it. */
  tlsHash: pulumi.Input<string>;
  /** Host preparation and files the containers need first. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

const RESTART = "unless-stopped";
const HARDENING = { restart: RESTART, securityOpts: ["no-new-privileges:true"], platform: EDGE_PLATFORM, destroyGraceSeconds: 30 };

/** Redis evicts before its container limit kills it: maxmemory is 75% of the limit. */
export const redisMaxMemoryMb = (limitMb: number): number => Math.floor(limitMb * 0.75);

/**
 * The containers on the Pi, through the Docker API over SSH. Two networks: `edge-internal` is
 * internal (no route out, nothing published) and carries all service traffic; `edge-egress` is
 * an ordinary bridge for the two containers that need the outside: nginx (the only published
 * ports, 80 and 443) and the metrics agent (remote-write to the cluster). Nothing else is
 * reachable from the LAN, which matters because Docker's published ports bypass ufw.
 */
export function createContainers(parent: pulumi.Resource, name: string, args: ContainersArgs): Record<ContainerKey, docker.Container> {
  const opts = { parent, provider: args.provider };
  const image = (key: string, ref: pulumi.Input<string>) =>
    new docker.RemoteImage(`${name}-edge-${key}`, { name: ref, platform: EDGE_PLATFORM, keepLocally: true }, { ...opts, dependsOn: args.dependsOn });

  const internal = new docker.Network(`${name}-edge-internal`, { name: "edge-internal", driver: "bridge", internal: true }, { ...opts, deleteBeforeReplace: true, dependsOn: args.dependsOn });
  const egress = new docker.Network(`${name}-edge-egress`, { name: "edge-egress", driver: "bridge" }, { ...opts, deleteBeforeReplace: true, dependsOn: args.dependsOn });
  const on = (...networks: docker.Network[]) => networks.map((n) => ({ name: n.name }));
  const mb = args.memoryMb;

  // The app image is pulled on the Pi with its own credentials; the others are public.
  const images = {
    app: args.appImagePulled,
    redis: image("redis", EDGE_IMAGES.redis),
    nginx: image("nginx", EDGE_IMAGES.nginx),
    nodeExporter: image("node-exporter", EDGE_IMAGES.nodeExporter),
    metricsAgent: image("metrics-agent", EDGE_IMAGES.prometheus),
  };
  // Fixed container names and host ports: a replacement must remove the old container first.
  const after = (key: ContainerKey) => ({ ...opts, deleteBeforeReplace: true, dependsOn: [images[key], internal, egress] });

  const redis = new docker.Container(
    `${name}-edge-redis`,
    {
      ...HARDENING,
      name: CONTAINER_NAMES.redis,
      image: EDGE_IMAGES.redis,
      command: [
        "redis-server",
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--maxmemory", `${redisMaxMemoryMb(mb.redis)}mb`,
        "--maxmemory-policy", "allkeys-lru",
      ],
      memory: mb.redis,
      volumes: [{ hostPath: EDGE_PATHS.redis, containerPath: "/data" }],
      networksAdvanced: on(internal),
      healthcheck: { tests: ["CMD", "redis-cli", "ping"], interval: "30s", timeout: "5s", retries: 3, startPeriod: "10s" },
    },
    after("redis"),
  );

  const app = new docker.Container(
    `${name}-edge-app`,
    {
      ...HARDENING,
      name: CONTAINER_NAMES.app,
      image: args.appImage,
      user: `${args.appUid}:${args.appUid}`,
      envs: [
        "PORT=5000",
        "GUNICORN_CMD_ARGS=--bind 0.0.0.0:5000 --workers 2 --timeout 30 --access-logfile -",
        `DATABASE_PATH=/data/app.db`,
        "SQLITE_JOURNAL_MODE=WAL",
        `REDIS_URL=redis://${CONTAINER_NAMES.redis}:6379/0`,
      ],
      memory: mb.app,
      memoryReservation: args.appReservationMb,
      volumes: [{ hostPath: EDGE_PATHS.data, containerPath: "/data" }],
      networksAdvanced: on(internal),
      healthcheck: {
        tests: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=3)"],
        interval: "30s",
        timeout: "5s",
        retries: 3,
        startPeriod: "30s",
      },
    },
    { ...after("app"), dependsOn: [images.app, internal, egress, redis] },
  );

  const nginx = new docker.Container(
    `${name}-edge-nginx`,
    {
      ...HARDENING,
      name: CONTAINER_NAMES.nginx,
      image: EDGE_IMAGES.nginx,
      memory: mb.nginx,
      ports: [
        { internal: 80, external: 80 },
        { internal: 443, external: 443 },
      ],
      uploads: [{ file: "/etc/nginx/nginx.conf", content: args.nginxConf }],
      volumes: [{ hostPath: EDGE_PATHS.tls, containerPath: "/etc/nginx/tls", readOnly: true }],
      labels: [{ label: "platform.edge/tls-sha256", value: args.tlsHash }],
      networksAdvanced: on(egress, internal),
      healthcheck: { tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/nginx-health"], interval: "30s", timeout: "5s", retries: 3 },
    },
    after("nginx"),
  );

  const nodeExporter = new docker.Container(
    `${name}-edge-node-exporter`,
    {
      ...HARDENING,
      name: CONTAINER_NAMES.nodeExporter,
      image: EDGE_IMAGES.nodeExporter,
      command: [
        "--path.procfs=/host/proc",
        "--path.sysfs=/host/sys",
        "--path.rootfs=/rootfs",
        "--collector.textfile.directory=/textfile",
        "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/docker/.+)($|/)",
      ],
      memory: mb.nodeExporter,
      readOnly: true,
      volumes: [
        { hostPath: "/proc", containerPath: "/host/proc", readOnly: true },
        { hostPath: "/sys", containerPath: "/host/sys", readOnly: true },
        { hostPath: "/", containerPath: "/rootfs", readOnly: true },
        { hostPath: EDGE_PATHS.textfile, containerPath: "/textfile", readOnly: true },
      ],
      networksAdvanced: on(internal),
      healthcheck: { tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9100/metrics"], interval: "30s", timeout: "5s", retries: 3 },
    },
    after("nodeExporter"),
  );

  const metricsAgent = new docker.Container(
    `${name}-edge-metrics-agent`,
    {
      ...HARDENING,
      name: CONTAINER_NAMES.metricsAgent,
      image: EDGE_IMAGES.prometheus,
      command: [
        "--agent",
        "--config.file=/etc/prometheus/agent.yml",
        "--storage.agent.path=/prometheus",
        "--web.listen-address=:9090",
      ],
      memory: mb.metricsAgent,
      // The token is not uploaded: a secret upload would hide the whole list (and the config) from
      // every preview. It is a file on the Pi, mounted read-only; Prometheus re-reads it per request.
      uploads: [{ file: "/etc/prometheus/agent.yml", content: args.agentConfig }],
      volumes: [
        { hostPath: EDGE_PATHS.prometheus, containerPath: "/prometheus" },
        { hostPath: EDGE_PATHS.metricsSecrets, containerPath: AGENT_SECRETS_DIR, readOnly: true },
      ],
      networksAdvanced: on(internal, egress),
      healthcheck: { tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9090/-/ready"], interval: "30s", timeout: "5s", retries: 3 },
    },
    { ...after("metricsAgent"), dependsOn: [images.metricsAgent, internal, egress, ...args.agentSecretFiles] },
  );

  return { app, redis, nginx, nodeExporter, metricsAgent };
}
