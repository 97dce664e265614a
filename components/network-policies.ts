import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SITE_PORT_BASE, SITE_PORT_SPAN, WRITE_GATEWAY_PORT } from "./monitoring/write-gateway";

/** The label every namespace carries with its own name (Kubernetes sets it). */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export interface NetworkPoliciesArgs {
  provider: k8s.Provider;
  /** The application's namespace: nothing reaches its pods but the load balancers and Prometheus. */
  appNamespace: pulumi.Input<string>;
  /** The monitoring namespace: its own pods, and the control plane for the API proxy and the operator's webhook. */
  monitoringNamespace?: pulumi.Input<string>;
  /** Public subnets, where an ALB in IP target mode connects to pods from. */
  publicSubnetCidrs: string[];
  /** Private subnets, where the EKS control plane's network interfaces are. */
  privateSubnetCidrs: string[];
  /** Karpenter's namespace: Prometheus scrapes its metrics, the kubelet probes its health port. */
  karpenter?: { namespace: pulumi.Input<string>; metricsPort: number; healthPort: number };
  /** What the policies wait for: the VPC CNI add-on that enforces them. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
const fromNamespace = (name: pulumi.Input<string>): Peer => ({
  namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: name } },
});
const fromCidrs = (cidrs: string[]): Peer[] => cidrs.map((cidr) => ({ ipBlock: { cidr } }));

/**
 * Default-deny ingress in the app and monitoring namespaces (the VPC CNI enforces it), with the
 * allows the platform needs: in `app`, Prometheus's scrapes and the ALB (public subnets); in
 * `monitoring`, its own pods and the control plane (private subnets) on Prometheus's port (the
 * Pis' remote write through the API server's proxy) and the operator's admission webhook. Egress
 * stays open (DNS, AWS APIs). A product that needs more adds its own allow next to these.
 */
export class NetworkPolicies extends pulumi.ComponentResource {
  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:cluster:NetworkPolicies", name, {}, opts);
    const policy = (
      key: string,
      namespace: pulumi.Input<string>,
      spec: k8s.types.input.networking.v1.NetworkPolicySpec,
    ) =>
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${key}`,
        { metadata: { name: key.replace(/^(app|monitoring)-/, ""), namespace }, spec },
        { parent: this, provider: args.provider, dependsOn: args.dependsOn },
      );
    const denyAll = { podSelector: {}, policyTypes: ["Ingress"] };

    policy("app-default-deny-ingress", args.appNamespace, denyAll);
    const scrapers = args.monitoringNamespace ? [fromNamespace(args.monitoringNamespace)] : [];
    policy("app-allow-platform", args.appNamespace, {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [...scrapers, ...fromCidrs(args.publicSubnetCidrs)] }],
    });

    if (args.monitoringNamespace) {
      const ns = args.monitoringNamespace;
      policy("monitoring-default-deny-ingress", ns, denyAll);
      policy("monitoring-allow-platform", ns, {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          { from: [fromNamespace(ns)] },
          // The API server's service proxy (the Pis' metrics and logs through the write gateway: its shared
          // port and the per-site log ports) and its calls to the operator's webhook.
          {
            from: fromCidrs(args.privateSubnetCidrs),
            ports: [
              { protocol: "TCP", port: 9090 },
              { protocol: "TCP", port: 10250 },
              { protocol: "TCP", port: WRITE_GATEWAY_PORT },
              { protocol: "TCP", port: SITE_PORT_BASE, endPort: SITE_PORT_BASE + SITE_PORT_SPAN - 1 },
            ],
          },
        ],
      });
    }
    if (args.karpenter) this.karpenter(name, args, args.karpenter);
    this.registerOutputs({});
  }

  /**
   * Karpenter serves no webhook (none since v1.1): in its namespace only Prometheus's scrape of
   * the metrics port and the kubelet's probes (from the nodes, in the private subnets) get in.
   * Egress stays open like the other namespaces': DNS, the API server, the AWS APIs and SQS.
   */
  private karpenter(name: string, args: NetworkPoliciesArgs, karpenter: NonNullable<NetworkPoliciesArgs["karpenter"]>) {
    const policy = (key: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
      new k8s.networking.v1.NetworkPolicy(
        `${name}-karpenter-${key}`,
        { metadata: { name: key, namespace: karpenter.namespace }, spec },
        { parent: this, provider: args.provider, dependsOn: args.dependsOn },
      );
    policy("default-deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] });
    const scrapers = args.monitoringNamespace
      ? [{ from: [fromNamespace(args.monitoringNamespace)], ports: [{ protocol: "TCP", port: karpenter.metricsPort }] }]
      : [];
    policy("allow-platform", {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        ...scrapers,
        { from: fromCidrs(args.privateSubnetCidrs), ports: [{ protocol: "TCP", port: karpenter.healthPort }] },
      ],
    });
  }
}
