import { HOURS_PER_MONTH } from "../prices";
import {
  asNumber,
  asString,
  lookup,
  at,
  free,
  line,
  lines,
  unpriced,
  type CostResource,
  type Outcome,
  type PricingContext,
} from "../types";

/** EKS nodes get a 20 GB root volume when neither diskSize nor a launch template says otherwise. */
const EKS_DEFAULT_DISK_GB = 20;

/**
 * The control plane. With upgradePolicy STANDARD, EKS upgrades a version leaving standard support,
 * so the standard price holds; anything else (AWS defaults to EXTENDED) is priced at the extended
 * rate, the price the cluster pays once its version ages out without an upgrade.
 */
function controlPlane(r: CostResource, ctx: PricingContext): Outcome {
  const support = asString(at(r.inputs, "upgradePolicy", "supportType")) ?? "EXTENDED (AWS default)";
  const standard = support === "STANDARD";
  const { standardSupportHour, extendedSupportSurchargeHour } = ctx.prices.eks;
  const hourly = standardSupportHour.usd + (standard ? 0 : extendedSupportSurchargeHour.usd);
  return lines(line(`EKS control plane, ${support} support`, HOURS_PER_MONTH, standardSupportHour, hourly));
}

/** `@pulumi/eks` Cluster: a component whose aws:eks/cluster:Cluster child exists in a real run, not under mocks. */
export function eksComponent(r: CostResource, ctx: PricingContext): Outcome {
  if (ctx.count("aws:eks/cluster:Cluster") > 0) return free("priced through its aws:eks/cluster:Cluster child");
  return controlPlane(r, ctx);
}

export const eksCluster = controlPlane;

export function nodeGroup(r: CostResource, ctx: PricingContext): Outcome {
  const instanceType = asString(at(r.inputs, "instanceTypes", 0)) ?? "t3.medium";
  const nodes =
    asNumber(at(r.inputs, "scalingConfig", "desiredSize")) ?? asNumber(at(r.inputs, "scalingConfig", "minSize"));
  if (nodes === undefined) return unpriced("scalingConfig.desiredSize is not known");
  const onDemand = lookup(ctx.prices.ec2, instanceType);
  if (!onDemand) return unpriced(`no EC2 price for ${instanceType}`);
  const spot = r.inputs.capacityType === "SPOT";
  const discount = ctx.prices.spotDiscount.fraction;
  const hourly = spot ? onDemand.usd * (1 - discount) : onDemand.usd;
  const market = spot ? `Spot (assumed -${Math.round(discount * 100)}%)` : "on-demand";
  const diskGb = asNumber(r.inputs.diskSize) ?? launchTemplateDiskGb(r, ctx) ?? EKS_DEFAULT_DISK_GB;
  return lines(
    line(`EC2 ${instanceType} ${market}`, nodes * HOURS_PER_MONTH, onDemand, hourly),
    line("EBS gp3 node root volumes", nodes * diskGb, ctx.prices.ebsGp3GbMonth),
  );
}

/** The root volume size of the node group's launch template (referenced by name), when the plan has it. */
function launchTemplateDiskGb(r: CostResource, ctx: PricingContext): number | undefined {
  const name = asString(at(r.inputs, "launchTemplate", "name"));
  const template = name
    ? ctx.resources.find(
        (t) => t.type === "aws:ec2/launchTemplate:LaunchTemplate" && (t.inputs.name === name || t.name === name),
      )
    : undefined;
  return template ? asNumber(at(template.inputs, "blockDeviceMappings", 0, "ebs", "volumeSize")) : undefined;
}

export function ec2Instance(r: CostResource, ctx: PricingContext): Outcome {
  const instanceType = asString(r.inputs.instanceType);
  const price = instanceType ? lookup(ctx.prices.ec2, instanceType) : undefined;
  if (!instanceType || !price) return unpriced(`no EC2 price for ${instanceType ?? "an unknown instance type"}`);
  const compute = line(`EC2 ${instanceType} on-demand`, HOURS_PER_MONTH, price);
  // Only a declared gp3 size is priced: the AMI's snapshot size (the default) is not in the plan.
  const rootGb = asNumber(at(r.inputs, "rootBlockDevice", "volumeSize"));
  const rootType = asString(at(r.inputs, "rootBlockDevice", "volumeType"));
  if (rootGb === undefined || rootType !== "gp3")
    return unpriced(
      "root volume not priced (declare rootBlockDevice.volumeSize with volumeType gp3, or an aws:ebs/volume:Volume)",
      [compute],
    );
  return lines(compute, line("EBS gp3 root volume", rootGb, ctx.prices.ebsGp3GbMonth));
}
