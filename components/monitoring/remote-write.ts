import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PROMETHEUS_CR_NAME, PROMETHEUS_PORT } from "./release-values";

export interface RemoteWriteArgs {
  namespace: pulumi.Input<string>;
  /** Networks allowed through the load balancer (the Pi's public address). */
  sourceCidrs: string[];
}

/**
 * An internet-facing NLB in front of Prometheus for the Pi's metrics agent to remote-write to,
 * open only to `sourceCidrs`. There is no authentication beyond the source address and the
 * traffic is plain HTTP: see the README before widening the CIDRs.
 */
export function remoteWriteService(name: string, args: RemoteWriteArgs, opts: pulumi.CustomResourceOptions): k8s.core.v1.Service {
  return new k8s.core.v1.Service(
    name,
    {
      metadata: {
        name: "prometheus-remote-write",
        namespace: args.namespace,
        annotations: {
          // Handled by the in-tree AWS load balancer controller EKS runs; the scheme annotation is
          // what the AWS Load Balancer Controller reads if that is installed later.
          "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
          "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        },
      },
      spec: {
        type: "LoadBalancer",
        loadBalancerSourceRanges: args.sourceCidrs,
        // The labels the operator puts on the Prometheus pods (the chart's own Service selects the same).
        selector: { "app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": PROMETHEUS_CR_NAME },
        ports: [{ name: "http-remote-write", protocol: "TCP", port: PROMETHEUS_PORT, targetPort: PROMETHEUS_PORT }],
      },
    },
    opts,
  );
}

/** The receiver's URL once the load balancer has a name; undefined until then. */
export function remoteWriteUrl(service: k8s.core.v1.Service): pulumi.Output<string | undefined> {
  return service.status.apply((status) => {
    const ingress = status?.loadBalancer?.ingress?.[0];
    const host = ingress?.hostname ?? ingress?.ip;
    return host ? `http://${host}:${PROMETHEUS_PORT}/api/v1/write` : undefined;
  });
}
