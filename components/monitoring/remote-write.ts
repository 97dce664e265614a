import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WRITE_GATEWAY_NAME, WRITE_GATEWAY_PORT } from "./write-gateway";

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
  };
}

/**
 * One site's metrics credential: a service account `edge-<site>` bound to the receiver's Role,
 * and a long-lived token for it (the Pi is outside the cluster). Revoke the site alone by
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
