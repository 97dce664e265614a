import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { isUnknown, known } from "../lib/values";

/** awsx's Vpc is a component: the engine sees its inputs and its children, never its vpcId. */
export const VPC_TYPES = ["awsx:ec2:Vpc", "aws:ec2/vpc:Vpc"];
const FLOW_LOG = "aws:ec2/flowLog:FlowLog";

function reaches(resource: PolicyResource | undefined, target: PolicyResource, depth = 0): boolean {
  if (!resource || depth > 50) return false;
  return resource.urn === target.urn || reaches(resource.parent, target, depth + 1);
}

/** A flow log is for `vpc` when it depends on it (or on a resource inside it, such as awsx's child VPC). */
const dependsOnVpc = (log: PolicyResource, vpc: PolicyResource) =>
  [...(log.propertyDependencies?.vpcId ?? []), ...(log.dependencies ?? [])].some((d) => reaches(d, vpc));

export const vpcFlowLogsPolicy: StackValidationPolicy = {
  name: "vpc-flow-logs",
  description:
    "Every VPC has a flow log (traffic type ALL) for incident forensics. Fix: add aws.ec2.FlowLog with the VPC's vpcId to a log group with a retention.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const vpcs = args.resources.filter((r) => VPC_TYPES.includes(r.type));
    // awsx's child aws:ec2/vpc:Vpc is the same network as its parent component: count the component only.
    const networks = vpcs.filter((v) => !vpcs.some((other) => other !== v && reaches(v.parent, other)));
    const logs = args.resources.filter((r) => {
      if (r.type !== FLOW_LOG) return false;
      const p = known(r.props) as Record<string, unknown>;
      return (
        p.vpcId !== undefined && (isUnknown(p.trafficType) || p.trafficType === undefined || p.trafficType === "ALL")
      );
    });
    const unclaimed = new Set(logs);
    const uncovered = networks.filter((vpc) => {
      const log = logs.find((l) => unclaimed.has(l) && dependsOnVpc(l, vpc));
      if (log) unclaimed.delete(log);
      return !log;
    });
    // Without a dependency to follow (ids unknown, or the offline plan), count: one VPC-wide log per remaining VPC.
    const spare = new Set(
      [...unclaimed].map((l) => {
        const id = (known(l.props) as Record<string, unknown>).vpcId;
        return typeof id === "string" ? id : l;
      }),
    );
    uncovered
      .slice(spare.size)
      .forEach((vpc) => report(`VPC ${vpc.name} has no flow log capturing ALL traffic.`, vpc.urn));
  },
};
