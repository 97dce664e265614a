import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EDGE_IMAGES } from "../edge/images";
import { PROMETHEUS_CR_NAME, PROMETHEUS_PORT } from "./release-values";

/**
 * The only door a Pi's credential opens. RBAC on `services/proxy` can name a Service and port but
 * not a path: bound to Prometheus's Service, a site token could POST to any Prometheus endpoint
 * (admin APIs included when enabled). The token is bound to this gateway's Service instead: the
 * shared port forwards exactly `POST /api/v1/write` to Prometheus, and each site's own port (which
 * only that site's Role names) exactly `POST /loki/api/v1/push` to Loki, as that site's tenant;
 * every other method or path gets 403 or 404 here, and GET/PUT/DELETE are refused by RBAC before
 * they arrive.
 */

export const WRITE_GATEWAY_NAME = "edge-write-gateway";
/** The Service port the API server's proxy reaches (the Role names `<service>:<port>`). */
export const WRITE_GATEWAY_PORT = 8080;
/** Kubelet probes only; not in the Service, so no credential can reach it through the proxy. */
export const WRITE_GATEWAY_HEALTH_PORT = 8081;
/** The paths a site's credential may POST to on the shared port: metrics (Prometheus's remote write). */
export const WRITE_PATHS = ["/api/v1/write"] as const;
/** Loki's push API: the only path a site's own port forwards (to Loki, as that site's tenant). */
export const LOG_PUSH_PATHS = ["/loki/api/v1/push"] as const;
/** Site ports are SITE_PORT_BASE + a hash of the site's name modulo SITE_PORT_SPAN. */
export const SITE_PORT_BASE = 20000;
export const SITE_PORT_SPAN = 10000;
/** Loki pushes are snappy-compressed protobuf batches (Alloy sends up to 1 MiB by default). */
const MAX_LOG_BODY = "8m";

/** FNV-1a (32 bit): a stable, dependency-free hash of a site's name. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/**
 * The gateway port that carries one site's logs. A function of the site's name alone, so that
 * adding or removing another site never moves it: during a rollout an old pod and the new Service
 * agree on which port is which site (a port taken by index would hand one site's logs to another).
 */
export const sitePort = (site: string): number => SITE_PORT_BASE + (fnv1a(site) % SITE_PORT_SPAN);

/** Loki tenant of a site's logs: `edge-<site>` (never `index` or the cluster's tenant, whatever the site is called). */
export const siteTenant = (site: string): string => `edge-${site}`;

/** Each site's port, refusing two sites that hash to the same one (rename one of them). */
export function sitePorts(sites: readonly string[]): Map<string, number> {
  const ports = new Map<string, number>();
  const byPort = new Map<number, string>();
  for (const site of sites) {
    const port = sitePort(site);
    const other = byPort.get(port);
    if (other !== undefined && other !== site)
      throw new Error(
        `platform:edgeSites: sites ${other} and ${site} map to the same write-gateway port ${port}; rename one of them`,
      );
    byPort.set(port, site);
    ports.set(site, port);
  }
  return ports;
}
/** The same nginx build the Pis run (pinned by digest). */
export const WRITE_GATEWAY_IMAGE = EDGE_IMAGES.nginx;
/** Prometheus's remote-write bodies are snappy batches of at most a few MB (the agent sends 1000 samples). */
const MAX_BODY = "16m";

export interface WriteGatewayConfArgs {
  /** `host:port` of Prometheus. */
  upstream: string;
  port?: number;
  healthPort?: number;
  /** Writable directory for the pid file and temporary files (the root filesystem is read-only). */
  runtimeDir?: string;
  /** Default `/dev/stdout` (the container's log); a file where stdout is a socket. */
  accessLog?: string;
  /**
   * `host:port` of Loki and the sites whose logs it takes: one server per site on sitePort(site),
   * forwarding only `POST /loki/api/v1/push` with `X-Scope-OrgID: edge-<site>` set here. Default:
   * no logs.
   */
  logs?: { upstream: string; sites: readonly string[]; ports?: ReadonlyMap<string, number> };
}

/**
 * One site's log server. The tenant comes from the port, which only that site's credential may
 * reach (its Role names `edge-write-gateway:<port>`), never from the client: a header the client
 * sends is replaced, so one site cannot write as another.
 */
function siteLogServer(site: string, port: number): string {
  const locations = LOG_PUSH_PATHS.map(
    (p) => `    location = ${p} {
      limit_except POST { deny all; }
      client_max_body_size ${MAX_LOG_BODY};
      proxy_pass http://upstream_logs${p};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $proxy_host;
      proxy_set_header Authorization "";
      proxy_set_header X-Scope-OrgID "${siteTenant(site)}";
    }`,
  ).join("\n");
  return `  # Site ${site}: its logs, as tenant ${siteTenant(site)}.
  server {
    listen ${port};
${locations}
    location / { return 404 "not a write endpoint\\n"; }
  }
`;
}

/** The gateway's nginx.conf: one pure function for the Deployment and the loopback tests. */
export function renderWriteGatewayConf(args: WriteGatewayConfArgs): string {
  const dir = args.runtimeDir ?? "/tmp";
  const port = args.port ?? WRITE_GATEWAY_PORT;
  const healthPort = args.healthPort ?? WRITE_GATEWAY_HEALTH_PORT;
  const writeLocations = WRITE_PATHS.map(
    (p) => `    # Exact match on the normalised path, and the upstream path fixed: nothing else is forwarded.
    location = ${p} {
      limit_except POST { deny all; }
      proxy_pass http://upstream_write${p};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $proxy_host;
      # The credential was the API server's business; Prometheus gets none.
      proxy_set_header Authorization "";
    }`,
  ).join("\n");
  const logs = args.logs;
  const ports = logs ? (logs.ports ?? sitePorts(logs.sites)) : new Map<string, number>();
  const logServers = logs
    ? `  upstream upstream_logs {
    server ${logs.upstream};
    keepalive 4;
  }
${logs.sites.map((site) => siteLogServer(site, ports.get(site) ?? sitePort(site))).join("")}`
    : "";
  return `# Rendered by components/monitoring/write-gateway.ts.
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 512; }
http {
  access_log ${args.accessLog ?? "/dev/stdout"};
  server_tokens off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size ${MAX_BODY};
  default_type text/plain;
  upstream upstream_write {
    server ${args.upstream};
    keepalive 4;
  }
  server {
    listen ${port} default_server;
${writeLocations}
    location / { return 404 "not a write endpoint\\n"; }
  }
${logServers}  server {
    listen ${healthPort};
    location = /healthz { access_log off; return 200 "ok\\n"; }
    location / { return 404; }
  }
}
`;
}

export interface WriteGatewayArgs {
  namespace: pulumi.Input<string>;
  /** Loki's `host:port` and the sites whose logs go there (each on its own port). Default: metrics only. */
  logs?: { upstream: string; sites: readonly string[] };
}

/** The Service port name of a site's logs (a DNS label: `logs-<port>`). */
export const sitePortName = (port: number): string => `logs-${port}`;

/** Deployment (2 replicas, restricted security context), its ConfigMap and a ClusterIP Service. */
export function writeGateway(
  name: string,
  args: WriteGatewayArgs,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Service {
  const labels = { "app.kubernetes.io/name": WRITE_GATEWAY_NAME, "app.kubernetes.io/part-of": "platform" };
  const conf = new k8s.core.v1.ConfigMap(
    `${name}-write-gateway`,
    {
      metadata: { name: WRITE_GATEWAY_NAME, namespace: args.namespace, labels },
      data: {
        "nginx.conf": renderWriteGatewayConf({ upstream: `${PROMETHEUS_CR_NAME}:${PROMETHEUS_PORT}`, logs: args.logs }),
      },
    },
    opts,
  );
  const logPorts = [...sitePorts(args.logs?.sites ?? []).values()];
  const probe = { httpGet: { path: "/healthz", port: WRITE_GATEWAY_HEALTH_PORT }, periodSeconds: 10 };
  new k8s.apps.v1.Deployment(
    `${name}-write-gateway`,
    {
      metadata: { name: WRITE_GATEWAY_NAME, namespace: args.namespace, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          // A changed config rolls the pods (nginx reads it only at start).
          metadata: { labels, annotations: { "platform/config-version": conf.metadata.resourceVersion } },
          spec: {
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 101,
              runAsGroup: 101,
              seccompProfile: { type: "RuntimeDefault" },
            },
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "kubernetes.io/hostname",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: labels },
              },
            ],
            containers: [
              {
                name: "nginx",
                image: WRITE_GATEWAY_IMAGE,
                // nginx itself, not the image's entrypoint (it rewrites files under /etc/nginx); errors to stderr from the start.
                command: ["nginx", "-e", "stderr", "-g", "daemon off;", "-c", "/etc/nginx/gateway/nginx.conf"],
                ports: [
                  { name: "write", containerPort: WRITE_GATEWAY_PORT },
                  { name: "health", containerPort: WRITE_GATEWAY_HEALTH_PORT },
                  ...logPorts.map((port) => ({ containerPort: port })),
                ],
                readinessProbe: probe,
                livenessProbe: probe,
                resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                },
                volumeMounts: [
                  { name: "conf", mountPath: "/etc/nginx/gateway", readOnly: true },
                  { name: "tmp", mountPath: "/tmp" },
                ],
              },
            ],
            volumes: [
              { name: "conf", configMap: { name: conf.metadata.name } },
              { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
            ],
          },
        },
      },
    },
    opts,
  );
  return new k8s.core.v1.Service(
    `${name}-write-gateway`,
    {
      metadata: { name: WRITE_GATEWAY_NAME, namespace: args.namespace, labels },
      spec: {
        type: "ClusterIP",
        selector: labels,
        ports: [
          { name: "write", port: WRITE_GATEWAY_PORT, targetPort: "write" },
          // By number on both sides: the proxy URL and the site's Role name `edge-write-gateway:<port>`.
          ...logPorts.map((port) => ({ name: sitePortName(port), port, targetPort: port })),
        ],
      },
    },
    opts,
  );
}
