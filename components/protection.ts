import * as pulumi from "@pulumi/pulumi";

/**
 * What `platform:protect` (prod) protects inside components whose children are not ours to
 * construct: awsx's remote `Vpc` and eks's remote `Cluster`. Only the resources whose deletion
 * takes data or every workload with it: the VPC and its subnets, and the EKS control plane.
 * Everything else stays replaceable, above all node groups (stateless capacity), and the access
 * entries, security groups and add-ons the eks component manages, which routine changes replace.
 */
export const PROTECTED_TYPES = {
  network: ["aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"],
  cluster: ["aws:eks/cluster:Cluster"],
} as const;

/**
 * A transform that sets `protect` on descendants of the listed types. Unlike the component's own
 * `protect` (which its children inherit wholesale) and unlike `transformations`, a transform runs
 * in the engine, so it also reaches the children of packaged (remote) components.
 */
export function protectTypes(types: readonly string[]): pulumi.ResourceTransform {
  const transform = (args: pulumi.ResourceTransformArgs): pulumi.ResourceTransformResult | undefined => {
    if (!args.custom || !types.includes(args.type)) return undefined;
    return { props: args.props, opts: pulumi.mergeOptions(args.opts, { protect: true }) };
  };
  // The plan lists a resource's transforms by name.
  return Object.defineProperty(transform, "name", { value: `protect ${types.join(", ")}` });
}

/** The transforms for a component's options: none unless the stack protects (`platform:protect`). */
export function protectionTransforms(protect: boolean, types: readonly string[]): pulumi.ResourceTransform[] {
  return protect ? [protectTypes(types)] : [];
}
