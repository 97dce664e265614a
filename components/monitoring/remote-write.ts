import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { sitePort, WRITE_GATEWAY_NAME, WRITE_GATEWAY_PORT } from "./write-gateway";

/**
 * The write gateway's Service and port, as the API server's proxy names them: not Prometheus's own
 * Service, so that a site's credential reaches only the paths the gateway forwards.
 */
export const PROXY_TARGET = `${WRITE_GATEWAY_NAME}:${WRITE_GATEWAY_PORT}`;

/** The Role every site's service account is bound to. */
export const REMOTE_WRITE_ROLE = "edge-remote-write";

export interface EdgeRemoteWriteArgs {
  namespace: pulumi.Input<string>;
  /** The cluster's API server URL (https://…), reached by the Pis through the public endpoint. */
  clusterEndpoint: pulumi.Input<string>;
  /** The cluster's CA (PEM), which the Pis pin for that TLS connection. */
  clusterCaPem: pulumi.Input<string>;
  /** The gateway forwards each site's logs to Loki on the site's own port. Default false. */
  logs?: boolean;
}

/** Where the Pis remote-write, and what a site's credential is bound to. */
export interface RemoteWriteReceiver {
  /** `https://<api server>/api/v1/namespaces/<ns>/services/edge-write-gateway:8080/proxy/api/v1/write`. */
  url: pulumi.Output<string>;
  /** PEM of the CA that signs the API server's certificate. */
  caPem: pulumi.Output<string>;
  namespace: pulumi.Output<string>;
  /** The Role allowing only `create` on the proxy of the write gateway's Service. */
  roleName: pulumi.Output<string>;
  /** Each site may also push its logs (to its own gateway port, siteLogsRole). */
  logs: boolean;
}

/** The proxy target of a site's logs: the gateway's Service and the site's port. */
export const siteLogsProxyTarget = (site: string): string => `${WRITE_GATEWAY_NAME}:${sitePort(site)}`;

/** The suffix of the metrics URL after `https://<api server>/api/v1/namespaces/<ns>`. */
const METRICS_SUFFIX = `/services/${PROXY_TARGET}/proxy/api/v1/write`;

/**
 * A site's Loki push URL, from the metrics URL its cloud stack exports: the same API server and
 * namespace, the site's own gateway port, Loki's push path. Pure, so the edge stack needs no new
 * stack output and `--emit` renders the same URL.
 */
export function siteLogsPushUrl(metricsUrl: string, site: string): string {
  if (!metricsUrl.endsWith(METRICS_SUFFIX))
    throw new Error(`the cloud stack's edgeMetrics.url ${metricsUrl} does not end in ${METRICS_SUFFIX}`);
  const base = metricsUrl.slice(0, -METRICS_SUFFIX.length);
  return `${base}/services/${siteLogsProxyTarget(site)}/proxy/loki/api/v1/push`;
}

/**
 * Remote write for the Pis through the API server's service proxy: TLS with the cluster's CA and
 * RBAC that allows only `create` (POST) on the proxy of the write gateway's Service, which
 * forwards nothing but `POST /api/v1/write` to Prometheus (write-gateway.ts). Nothing new is
 * exposed: no load balancer, and the API endpoint keeps its CIDR limits. Each site gets its own
 * service account bound to this Role (siteRemoteWriteToken), so one site is revoked alone.
 */
export function edgeRemoteWriteReceiver(
  name: string,
  args: EdgeRemoteWriteArgs,
  opts: pulumi.CustomResourceOptions,
): RemoteWriteReceiver {
  const role = new k8s.rbac.v1.Role(
    `${name}-edge-remote-write`,
    {
      metadata: { name: REMOTE_WRITE_ROLE, namespace: args.namespace },
      rules: [{ apiGroups: [""], resources: ["services/proxy"], resourceNames: [PROXY_TARGET], verbs: ["create"] }],
    },
    opts,
  );
  return {
    url: pulumi.interpolate`${args.clusterEndpoint}/api/v1/namespaces/${args.namespace}/services/${PROXY_TARGET}/proxy/api/v1/write`,
    caPem: pulumi.output(args.clusterCaPem),
    namespace: pulumi.output(args.namespace),
    roleName: role.metadata.name,
    logs: args.logs ?? false,
  };
}

/**
 * One site's metrics (and, with logs, log) credential: a service account `edge-<site>` bound to the
 * receiver's Role and, with logs, to its own logs Role, and a long-lived token for it (the Pi is outside the cluster). Revoke the site alone by
 * replacing the token Secret (`pulumi up --replace <urn>`) or by removing the site.
 */
export function siteRemoteWriteToken(
  name: string,
  site: string,
  receiver: RemoteWriteReceiver,
  opts: pulumi.CustomResourceOptions,
): pulumi.Output<string> {
  const namespace = receiver.namespace;
  const accountName = `edge-${site}`;
  const account = new k8s.core.v1.ServiceAccount(
    `${name}-remote-write`,
    { metadata: { name: accountName, namespace } },
    opts,
  );
  new k8s.rbac.v1.RoleBinding(
    `${name}-remote-write`,
    {
      metadata: { name: accountName, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: receiver.roleName },
      subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace }],
    },
    opts,
  );
  if (receiver.logs) siteLogsAccess(name, site, account, opts);
  const token = new k8s.core.v1.Secret(
    `${name}-remote-write-token`,
    {
      metadata: {
        name: `${accountName}-token`,
        namespace,
        annotations: { "kubernetes.io/service-account.name": account.metadata.name },
      },
      type: "kubernetes.io/service-account-token",
    },
    { ...opts, dependsOn: [account], additionalSecretOutputs: ["data"] },
  );
  return pulumi.secret(token.data.apply((data) => Buffer.from(data?.token ?? "", "base64").toString("utf8")));
}

/**
 * The site's right to push its logs: `create` on the proxy of its own gateway port only, where the
 * gateway sets the site's Loki tenant. Another site's token cannot reach this port, so it cannot
 * write as this site; this token cannot reach another site's port either.
 */
function siteLogsAccess(
  name: string,
  site: string,
  account: k8s.core.v1.ServiceAccount,
  opts: pulumi.CustomResourceOptions,
): void {
  const namespace = account.metadata.namespace;
  const role = new k8s.rbac.v1.Role(
    `${name}-logs`,
    {
      metadata: { name: `edge-logs-${site}`, namespace },
      rules: [
        {
          apiGroups: [""],
          resources: ["services/proxy"],
          resourceNames: [siteLogsProxyTarget(site)],
          verbs: ["create"],
        },
      ],
    },
    opts,
  );
  new k8s.rbac.v1.RoleBinding(
    `${name}-logs`,
    {
      metadata: { name: `edge-logs-${site}`, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace }],
    },
    opts,
  );
}
