import { instanceSize } from "../../config/instance-types";
import { HOURS_PER_MONTH } from "../prices";
import { asString, at, line, lookup, unpriced, type CostResource, type Outcome, type PricingContext } from "../types";
import { quantityGb } from "./kubernetes";

/** A NodePool requirement's values for one key (`In` only), or undefined when it is not constrained so. */
function requirement(r: CostResource, key: string): string[] | undefined {
  const requirements = at(r.inputs, "spec", "template", "spec", "requirements");
  const found = Array.isArray(requirements)
    ? requirements.find((q) => at(q, "key") === key && at(q, "operator") === "In")
    : undefined;
  const values = at(found, "values");
  return Array.isArray(values) && values.every((v) => typeof v === "string") ? values : undefined;
}

/** The root volume of the NodePool's EC2NodeClass (found by name in the plan), GiB. */
function nodeClassDiskGb(r: CostResource, ctx: PricingContext): number | undefined {
  const name = at(r.inputs, "spec", "template", "spec", "nodeClassRef", "name");
  const nodeClass = ctx.resources.find(
    (c) => c.type === "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass" && at(c.inputs, "metadata", "name") === name,
  );
  return quantityGb(at(nodeClass?.inputs, "spec", "blockDeviceMappings", 0, "ebs", "volumeSize"));
}

/**
 * A Karpenter NodePool: nothing in the baseline (it launches nodes only for pods that do not fit,
 * and consolidates them away), and at its maximum the most its CPU and memory limits admit of
 * its dearest allowed type: for each type, as many nodes as both limits allow, at on-demand price
 * when on-demand is allowed (the upper bound), at the assumed Spot discount when only Spot is.
 * A type without a price or a size, or a pool without limits, is unpriced, never zero.
 */
export function karpenterNodePool(r: CostResource, ctx: PricingContext): Outcome {
  const cpu = Number(asString(at(r.inputs, "spec", "limits", "cpu")) ?? NaN);
  const memoryGib = quantityGb(at(r.inputs, "spec", "limits", "memory"));
  const types = requirement(r, "node.kubernetes.io/instance-type");
  const capacity = requirement(r, "karpenter.sh/capacity-type") ?? ["spot", "on-demand"];
  const diskGb = nodeClassDiskGb(r, ctx);
  if (!Number.isFinite(cpu) || memoryGib === undefined) return unpriced("the NodePool has no cpu and memory limits");
  if (!types) return unpriced("the NodePool does not list its instance types (node.kubernetes.io/instance-type In)");
  if (diskGb === undefined) return unpriced("its EC2NodeClass's root volume size is not in the plan");
  const missing = types.filter((t) => !lookup(ctx.prices.ec2, t) || !instanceSize(t));
  if (missing.length > 0) return unpriced(`no EC2 price or size for ${missing.join(", ")}`);
  const spotOnly = !capacity.includes("on-demand");
  const discount = spotOnly ? ctx.prices.spotDiscount.fraction : 0;
  const market = spotOnly ? `Spot (assumed -${Math.round(discount * 100)}%)` : "on-demand";
  const options = types.map((type) => {
    const price = lookup(ctx.prices.ec2, type);
    const size = instanceSize(type);
    if (!price || !size) throw new Error(`karpenter pricer: ${type} lost its price or size`);
    const nodes = Math.min(Math.floor(cpu / size.vcpu), Math.floor(memoryGib / size.memoryGib));
    const hourly = price.usd * (1 - discount);
    return {
      type,
      price,
      nodes,
      hourly,
      monthly: nodes * (hourly * HOURS_PER_MONTH + diskGb * ctx.prices.ebsGp3GbMonth.usd),
    };
  });
  const dearest = options.reduce((a, b) => (b.monthly > a.monthly ? b : a));
  return {
    lines: [],
    atMaximum: [
      line(
        `EC2 ${dearest.type} ${market}, ${dearest.nodes} nodes at the NodePool's limits (${cpu} vCPU, ${memoryGib} GiB)`,
        dearest.nodes * HOURS_PER_MONTH,
        dearest.price,
        dearest.hourly,
      ),
      line("EBS gp3 root volumes of those nodes", dearest.nodes * diskGb, ctx.prices.ebsGp3GbMonth),
    ],
  };
}
