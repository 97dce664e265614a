import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { EDGE_IMAGES, EDGE_PLATFORM } from "./images";
import { AGENT_SECRETS_DIR } from "./metrics";
import { EDGE_PATHS, sha256 } from "./scripts";

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
  /** What must finish before the app container is replaced (the pre-deploy backup). */
  appDependsOn?: pulumi.Resource[];
  /** The Redis password (secret): Redis reads it from the config file, the app from REDIS_URL. */
  redisPassword: pulumi.Input<string>;
  /** The command that wrote REDIS_CONF_HOST_PATH (requirepass) on the Pi. */
  redisConfFile: pulumi.Resource;
  /** sha256 of the certificate and key: a new certificate recreates nginx so it loads it. */
  tlsHash: pulumi.Input<string>;
  /** Host preparation and files the containers need first. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

const RESTART = "unless-stopped";
const HARDENING = {
  restart: RESTART,
  securityOpts: ["no-new-privileges:true"],
  platform: EDGE_PLATFORM,
  destroyGraceSeconds: 30,
};

/** The uid:gid the official Redis image's `redis` user has; /srv/edge/redis belongs to it. */
export const REDIS_UID = 999;
/** Redis's config file on the Pi (requirepass), 0400 owned by REDIS_UID, mounted read-only. */
export const REDIS_CONF_HOST_PATH = "/etc/edge/redis/redis.conf";
const REDIS_CONF_PATH = "/usr/local/etc/redis/redis.conf";

/** The redis.conf on the Pi: only the password; everything else is on the command line, in the plan. */
export const renderRedisConf = (password: string): string => `requirepass ${password}\n`;

/**
 * Linux capabilities each container keeps; every other one is dropped (Docker's default set
 * includes NET_RAW, MKNOD, KILL, FOWNER, SETPCAP, SYS_CHROOT...). Only nginx keeps any: its
 * master starts as root, binds 80/443, creates its cache directories for the worker user
 * (CHOWN, DAC_OVERRIDE) and switches the workers to that user (SETUID, SETGID). The others run
 * as their unprivileged user from the start.
 */
export const CONTAINER_CAPABILITIES: Record<ContainerKey, string[]> = {
  app: [],
  redis: [],
  nginx: ["CHOWN", "DAC_OVERRIDE", "SETGID", "SETUID", "NET_BIND_SERVICE"],
  nodeExporter: [],
  metricsAgent: [],
};

/**
 * Containers whose root filesystem is read-only. nginx and the metrics agent get their config
 * by upload (a copy into the container before it starts), which Docker refuses on a read-only
 * root filesystem; their writable paths stay inside the container, not on the SD card's data.
 */
export const READ_ONLY_ROOT: Record<ContainerKey, boolean> = {
  app: true,
  redis: true,
  nginx: false,
  nodeExporter: true,
  metricsAgent: false,
};

const capabilities = (key: ContainerKey) => ({
  drops: ["ALL"],
  ...(CONTAINER_CAPABILITIES[key].length ? { adds: CONTAINER_CAPABILITIES[key] } : {}),
});
const confined = (key: ContainerKey) => ({ capabilities: capabilities(key), readOnly: READ_ONLY_ROOT[key] });

/** Redis evicts before its container limit kills it: maxmemory is 75% of the limit. */
export const redisMaxMemoryMb = (limitMb: number): number => Math.floor(limitMb * 0.75);

/**
 * The containers on the Pi, through the Docker API over SSH. Two networks: `edge-internal` is
 * internal (no route out, nothing published) and carries all service traffic; `edge-egress` is
 * an ordinary bridge for the two containers that need the outside: nginx (the only published
 * ports, 80 and 443) and the metrics agent (remote-write to the cluster). Nothing else is
 * reachable from the LAN, which matters because Docker's published ports bypass ufw.
 */
export function createContainers(
  parent: pulumi.Resource,
  name: string,
  args: ContainersArgs,
): Record<ContainerKey, docker.Container> {
  const opts = { parent, provider: args.provider };
  const image = (key: string, ref: pulumi.Input<string>) =>
    new docker.RemoteImage(
      `${name}-edge-${key}`,
      { name: ref, platform: EDGE_PLATFORM, keepLocally: true },
      { ...opts, dependsOn: args.dependsOn },
    );

  const internal = new docker.Network(
    `${name}-edge-internal`,
    { name: "edge-internal", driver: "bridge", internal: true },
    { ...opts, deleteBeforeReplace: true, dependsOn: args.dependsOn },
  );
  const egress = new docker.Network(
    `${name}-edge-egress`,
    { name: "edge-egress", driver: "bridge" },
    { ...opts, deleteBeforeReplace: true, dependsOn: args.dependsOn },
  );
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
  const after = (key: ContainerKey) => ({
    ...opts,
    deleteBeforeReplace: true,
    dependsOn: [images[key], internal, egress],
  });

  const redis = new docker.Container(
    `${name}-edge-redis`,
    {
      ...HARDENING,
      ...confined("redis"),
      name: CONTAINER_NAMES.redis,
      image: EDGE_IMAGES.redis,
      // As the image's redis user from the start: the entrypoint then neither chowns nor switches user.
      user: `${REDIS_UID}:${REDIS_UID}`,
      command: [
        "redis-server",
        REDIS_CONF_PATH,
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--maxmemory",
        `${redisMaxMemoryMb(mb.redis)}mb`,
        "--maxmemory-policy",
        "allkeys-lru",
      ],
      memory: mb.redis,
      volumes: [
        { hostPath: EDGE_PATHS.redis, containerPath: "/data" },
        { hostPath: REDIS_CONF_HOST_PATH, containerPath: REDIS_CONF_PATH, readOnly: true },
      ],
      // The internal network only: no published port, no route out.
      networksAdvanced: on(internal),
      // Without the password (which would show in `docker inspect`): NOAUTH proves the server answers.
      healthcheck: {
        tests: ["CMD-SHELL", "redis-cli ping 2>&1 | grep -Eq '^(PONG|NOAUTH)'"],
        interval: "30s",
        timeout: "5s",
        retries: 3,
        startPeriod: "10s",
      },
      labels: [
        {
          label: "platform.edge/redis-conf-sha256",
          value: pulumi.secret(pulumi.output(args.redisPassword).apply((p) => sha256(renderRedisConf(p)))),
        },
      ],
    },
    { ...after("redis"), dependsOn: [images.redis, internal, egress, args.redisConfFile] },
  );

  const app = new docker.Container(
    `${name}-edge-app`,
    {
      ...HARDENING,
      ...confined("app"),
      name: CONTAINER_NAMES.app,
      image: args.appImage,
      user: `${args.appUid}:${args.appUid}`,
      envs: pulumi.secret(
        pulumi.output(args.redisPassword).apply((password) => [
          "PORT=5000",
          // The worker heartbeat files go to the tmpfs: the root filesystem is read-only.
          "GUNICORN_CMD_ARGS=--bind 0.0.0.0:5000 --workers 2 --timeout 30 --access-logfile - --worker-tmp-dir /tmp",
          `DATABASE_PATH=/data/app.db`,
          "SQLITE_JOURNAL_MODE=WAL",
          `REDIS_URL=redis://:${encodeURIComponent(password)}@${CONTAINER_NAMES.redis}:6379/0`,
          // Python writes no .pyc next to the code (read-only).
          "PYTHONDONTWRITEBYTECODE=1",
        ]),
      ),
      tmpfs: { "/tmp": "rw,noexec,nosuid,nodev,size=64m" },
      memory: mb.app,
      memoryReservation: args.appReservationMb,
      volumes: [{ hostPath: EDGE_PATHS.data, containerPath: "/data" }],
      networksAdvanced: on(internal),
      healthcheck: {
        tests: [
          "CMD",
          "python",
          "-c",
          "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=3)",
        ],
        interval: "30s",
        timeout: "5s",
        retries: 3,
        startPeriod: "30s",
      },
    },
    { ...after("app"), dependsOn: [images.app, internal, egress, redis, ...(args.appDependsOn ?? [])] },
  );

  const nginx = new docker.Container(
    `${name}-edge-nginx`,
    {
      ...HARDENING,
      ...confined("nginx"),
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
      healthcheck: {
        tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/nginx-health"],
        interval: "30s",
        timeout: "5s",
        retries: 3,
      },
    },
    after("nginx"),
  );

  const nodeExporter = new docker.Container(
    `${name}-edge-node-exporter`,
    {
      ...HARDENING,
      ...confined("nodeExporter"),
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
      volumes: [
        { hostPath: "/proc", containerPath: "/host/proc", readOnly: true },
        { hostPath: "/sys", containerPath: "/host/sys", readOnly: true },
        { hostPath: "/", containerPath: "/rootfs", readOnly: true },
        { hostPath: EDGE_PATHS.textfile, containerPath: "/textfile", readOnly: true },
      ],
      networksAdvanced: on(internal),
      healthcheck: {
        tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9100/metrics"],
        interval: "30s",
        timeout: "5s",
        retries: 3,
      },
    },
    after("nodeExporter"),
  );

  const metricsAgent = new docker.Container(
    `${name}-edge-metrics-agent`,
    {
      ...HARDENING,
      ...confined("metricsAgent"),
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
      healthcheck: {
        tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9090/-/ready"],
        interval: "30s",
        timeout: "5s",
        retries: 3,
      },
    },
    { ...after("metricsAgent"), dependsOn: [images.metricsAgent, internal, egress, ...args.agentSecretFiles] },
  );

  return { app, redis, nginx, nodeExporter, metricsAgent };
}
