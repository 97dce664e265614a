import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { CHART_REPO } from "./release-values";

/**
 * The prometheus-operator CRDs as a Helm release of their own, installed and upgraded before
 * kube-prometheus-stack (which then installs none: `crds.enabled: false`).
 *
 * Why: Helm installs a chart's crds/ directory once and never upgrades it, so kube-prometheus-stack
 * bumps left the CRDs at the first version while the operator moved on (fields it needs silently
 * pruned). The alternatives:
 * - the stack's `crds.upgradeJob` is "in preview, off by default and may change" (its values.yaml at
 *   88.5.3), runs as a Helm hook with cluster-wide CRD rights, and pulls `busybox:latest` and a
 *   kubectl image we have no pinned digest for;
 * - `k8s.yaml.ConfigFile` of the operator's bundle needs the bundle at plan time (no network here)
 *   or ~2 MB of vendored YAML, and its client-side apply hits the annotation size limit.
 * `prometheus-operator-crds` renders the same CRDs from templates/, so Helm upgrades them like any
 * other resource, on every chart bump, in the order Pulumi's dependsOn gives.
 */

export const CRDS_CHART = "prometheus-operator-crds";
export const CRDS_RELEASE_NAME = "prometheus-operator-crds";

/**
 * The chart's values: only `crds.annotations` (checked against its values.yaml). `keep`: uninstalling
 * this release (a removed stack, a renamed resource) must not delete the CRDs and with them every
 * ServiceMonitor, PrometheusRule and the Prometheus itself.
 */
export function crdsValues(): Record<string, unknown> {
  return { crds: { annotations: { "helm.sh/resource-policy": "keep" } } };
}

export interface OperatorCrdsArgs {
  /** `platform:monitoring.crdsChartVersion`. */
  version: string;
  namespace: pulumi.Input<string>;
}

/** The CRDs release; kube-prometheus-stack depends on it. */
export function operatorCrds(
  name: string,
  args: OperatorCrdsArgs,
  opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(
    `${name}-prometheus-operator-crds`,
    {
      name: CRDS_RELEASE_NAME,
      chart: CRDS_CHART,
      version: args.version,
      repositoryOpts: { repo: CHART_REPO },
      namespace: args.namespace,
      createNamespace: false,
      cleanupOnFail: true,
      maxHistory: 10,
      values: crdsValues(),
    },
    opts,
  );
}
