import { HOURS_PER_MONTH, type RegionPrices } from "../prices";
import {
  asNumber,
  asString,
  at,
  free,
  line,
  lines,
  unpriced,
  type CostResource,
  type LineDraft,
  type Outcome,
  type PricingContext,
} from "../types";

const NAT_GATEWAY = "aws:ec2/natGateway:NatGateway";

/** Availability zones of an awsx Vpc: its subnet layout when given, else numberOfAvailabilityZones (awsx default 3). */
export function vpcAzCount(vpc: CostResource): number {
  const publicSpec = (at(vpc.inputs, "subnetSpecs") as unknown[] | undefined)?.find((s) => at(s, "type") === "Public");
  const blocks = at(publicSpec, "cidrBlocks");
  if (Array.isArray(blocks) && blocks.length > 0) return blocks.length;
  return asNumber(vpc.inputs.numberOfAvailabilityZones) ?? 3;
}

/**
 * awsx Vpc: under mocks its children are not created, so its NAT gateways (and their public IPv4
 * addresses) are priced from its inputs; in a real run the aws:ec2/vpc:Vpc child and the NAT
 * gateways and EIPs exist and are priced themselves.
 */
export function awsxVpc(r: CostResource, ctx: PricingContext): Outcome {
  if (ctx.count("aws:ec2/vpc:Vpc") > 0) return free("priced through its children (NAT gateways, Elastic IPs)");
  const strategy = asString(at(r.inputs, "natGateways", "strategy")) ?? "OnePerAz";
  const azs = vpcAzCount(r);
  const count = strategy === "None" ? 0 : strategy === "Single" ? 1 : azs;
  if (count === 0) return free("no NAT gateways");
  const p = ctx.prices;
  return lines(
    line(`NAT gateways (${strategy})`, count * HOURS_PER_MONTH, p.natGateway.hour),
    line("NAT data processed (assumed)", ctx.usage.natProcessedGbPerMonth, p.natGateway.processedGb),
    line("NAT public IPv4 addresses", count * HOURS_PER_MONTH, p.publicIpv4Hour),
  );
}

export function natGateway(_r: CostResource, ctx: PricingContext): Outcome {
  const share = ctx.usage.natProcessedGbPerMonth / Math.max(1, ctx.count(NAT_GATEWAY));
  return lines(
    line("NAT gateway", HOURS_PER_MONTH, ctx.prices.natGateway.hour),
    line("NAT data processed (assumed share)", share, ctx.prices.natGateway.processedGb),
  );
}

export const elasticIp = (_r: CostResource, ctx: PricingContext): Outcome =>
  lines(line("public IPv4 address (Elastic IP)", HOURS_PER_MONTH, ctx.prices.publicIpv4Hour));

export function vpcEndpoint(r: CostResource, ctx: PricingContext): Outcome {
  const kind = asString(r.inputs.vpcEndpointType) ?? "Gateway";
  if (kind === "Gateway") return free("gateway endpoints (S3, DynamoDB) have no charge");
  if (kind !== "Interface") return unpriced(`no price for ${kind} endpoints`);
  const subnets = at(r.inputs, "subnetIds");
  const azs = Array.isArray(subnets) && subnets.length > 0 ? subnets.length : 1;
  return lines(
    line(
      `interface endpoint ${asString(r.inputs.serviceName) ?? ""}`.trim(),
      azs * HOURS_PER_MONTH,
      ctx.prices.interfaceEndpointAzHour,
    ),
  );
}

/** A load balancer's hourly charge plus one public IPv4 address per AZ when it faces the internet. */
export function loadBalancerLines(
  p: RegionPrices,
  kind: "application" | "network",
  internetFacing: boolean,
  azs: number,
): LineDraft[] {
  const drafts = [
    line(`${kind === "network" ? "Network" : "Application"} Load Balancer`, HOURS_PER_MONTH, p.loadBalancerHour[kind]),
  ];
  if (internetFacing) drafts.push(line("load balancer public IPv4 addresses", azs * HOURS_PER_MONTH, p.publicIpv4Hour));
  return drafts;
}

export function awsLoadBalancer(r: CostResource, ctx: PricingContext): Outcome {
  const kind = asString(r.inputs.loadBalancerType) ?? "application";
  if (kind !== "application" && kind !== "network") return unpriced(`no price for ${kind} load balancers`);
  const subnets = at(r.inputs, "subnets") ?? at(r.inputs, "subnetMappings");
  const azs = Array.isArray(subnets) && subnets.length > 0 ? subnets.length : 2;
  return lines(...loadBalancerLines(ctx.prices, kind, r.inputs.internal !== true, azs));
}

/** A regional web ACL: its monthly charge and one per rule (each managed rule group is one); requests are not estimated. */
export function wafWebAcl(r: CostResource, ctx: PricingContext): Outcome {
  const rules = at(r.inputs, "rules");
  const count = Array.isArray(rules) ? rules.length : 0;
  return lines(
    line("WAF web ACL", 1, ctx.prices.waf.webAclMonth),
    line("WAF rules and managed rule groups", count, ctx.prices.waf.ruleMonth),
  );
}

/**
 * The shared ALB: the AWS Load Balancer Controller makes it when the first Ingress joins the
 * group, so it is no resource of the stack; it is priced on the controller's release whenever that
 * release creates the IngressClass (a zone is configured), across the VPC's zones (public subnets).
 */
export function sharedAlbLines(ctx: PricingContext): LineDraft[] {
  const vpc = ctx.resources.find((res) => res.type === "awsx:ec2:Vpc");
  const azs = vpc ? vpcAzCount(vpc) : 2;
  return loadBalancerLines(ctx.prices, "application", true, azs).map((d) => ({
    ...d,
    item: `${d.item} (shared ALB, made at the first Ingress)`,
  }));
}
