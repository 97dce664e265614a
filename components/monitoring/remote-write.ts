import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PROMETHEUS_CR_NAME, PROMETHEUS_PORT } from "./release-values";

/** The chart's Prometheus Service (`<fullname>-prometheus`) and port, as the API server's proxy names them. */
export const PROXY_TARGET = `${PROMETHEUS_CR_NAME}:${PROMETHEUS_PORT}`;

export interface EdgeRemoteWriteArgs {
  namespace: pulumi.Input<string>;
  /** The cluster's API server URL (https://…), reached by the Pi through the public endpoint. */
  clusterEndpoint: pulumi.Input<string>;
  /** The cluster's CA (PEM), which the Pi pins for that TLS connection. */
  clusterCaPem: pulumi.Input<string>;
}

/** What the Pi's metrics agent needs to remote-write: the URL, a bearer token (secret) and the CA to trust. */
export interface RemoteWriteAccess {
  url: pulumi.Output<string>;
  bearerToken: pulumi.Output<string>;
  caPem: pulumi.Output<string>;
}

/**
 * Remote write for the Pi through the API server's service proxy: TLS with the cluster's CA, a
 * service-account token, and RBAC that allows only `create` (POST) on the proxy of Prometheus's
 * Service. Nothing new is exposed: no load balancer, and the API endpoint keeps its CIDR limits.
 */
export function edgeRemoteWriteAccess(name: string, args: EdgeRemoteWriteArgs, opts: pulumi.CustomResourceOptions): RemoteWriteAccess {
  const namespace = args.namespace;
  const account = new k8s.core.v1.ServiceAccount(`${name}-edge-remote-write`, { metadata: { name: "edge-remote-write", namespace } }, opts);
  const role = new k8s.rbac.v1.Role(
    `${name}-edge-remote-write`,
    {
      metadata: { name: "edge-remote-write", namespace },
      rules: [{ apiGroups: [""], resources: ["services/proxy"], resourceNames: [PROXY_TARGET], verbs: ["create"] }],
    },
    opts,
  );
  new k8s.rbac.v1.RoleBinding(
    `${name}-edge-remote-write`,
    {
      metadata: { name: "edge-remote-write", namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace }],
    },
    opts,
  );
  // A long-lived token for a device outside the cluster; rotate it by replacing this Secret.
  const token = new k8s.core.v1.Secret(
    `${name}-edge-remote-write-token`,
    {
      metadata: { name: "edge-remote-write-token", namespace, annotations: { "kubernetes.io/service-account.name": account.metadata.name } },
      type: "kubernetes.io/service-account-token",
    },
    { ...opts, dependsOn: [account], additionalSecretOutputs: ["data"] },
  );
  return {
    url: pulumi.interpolate`${args.clusterEndpoint}/api/v1/namespaces/${namespace}/services/${PROXY_TARGET}/proxy/api/v1/write`,
    bearerToken: pulumi.secret(token.data.apply((data) => Buffer.from(data?.token ?? "", "base64").toString("utf8"))),
    caPem: pulumi.output(args.clusterCaPem),
  };
}
