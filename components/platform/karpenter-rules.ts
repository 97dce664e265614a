import type { RuleGroup } from "../monitoring/rules";

/** Karpenter's metrics the alerts read (website/content/en/v1.14/reference/metrics.md upstream). */
export const KARPENTER_METRICS = {
  /** Resources provisioned for a NodePool, by `nodepool` and `resource_type`. */
  nodePoolUsage: "karpenter_nodepools_usage",
  /** The NodePool's `limits`, by `nodepool` and `resource_type`. */
  nodePoolLimit: "karpenter_nodepools_limit",
  /** Pods the scheduler could place on no NodePool. */
  unschedulablePods: "karpenter_scheduler_unschedulable_pods_count",
} as const;

/** Usage share of a NodePool limit that warns: a burst beyond it leaves pods pending. */
export const NODE_POOL_LIMIT_WARNING = 0.9;

/**
 * Karpenter's alerts: a NodePool close to its limits (the next scale-out stops there), and pods
 * Karpenter has not been able to place for 15 minutes (no allowed type fits, the limit is reached,
 * or launches fail: Spot or on-demand capacity, quotas, IAM).
 */
export function karpenterRuleGroup(): RuleGroup {
  const by = "nodepool, resource_type";
  return {
    name: "platform-karpenter",
    rules: [
      {
        alert: "KarpenterNodePoolNearLimit",
        expr: `max by (${by}) (${KARPENTER_METRICS.nodePoolUsage}) / max by (${by}) (${KARPENTER_METRICS.nodePoolLimit}) >= ${NODE_POOL_LIMIT_WARNING}`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "NodePool {{ $labels.nodepool }} is near its {{ $labels.resource_type }} limit",
          description: `{{ $value | humanizePercentage }} of the NodePool's {{ $labels.resource_type }} limit is in use for 15 minutes (threshold ${NODE_POOL_LIMIT_WARNING * 100}%): Karpenter launches nothing beyond it. Raise platform:karpenter.maxNodes, or find what grew.`,
        },
      },
      {
        alert: "KarpenterPodsUnschedulable",
        expr: `max(${KARPENTER_METRICS.unschedulablePods}) > 0`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Karpenter cannot place {{ $value }} pods",
          description:
            "Pods have been unschedulable for 15 minutes: no allowed instance type fits them, the NodePool is at its limit, or launches fail (capacity, quotas, IAM). See the controller's logs and `kubectl get nodeclaims`.",
        },
      },
    ],
  };
}
