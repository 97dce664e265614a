import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface IngressOnlyFromArgs {
  vpcId: pulumi.Input<string>;
  description: string;
  /** The one TCP port that is opened. */
  port: number;
  /** Security groups allowed in; no CIDR is ever allowed. */
  sources: pulumi.Input<string>[];
}

/**
 * A security group for a data store: one TCP port, reachable only from the given security groups,
 * no egress (a database or cache never opens connections). One rule resource per source, so adding
 * a source never rewrites the others.
 */
export function ingressOnlyFrom(
  parent: pulumi.Resource,
  name: string,
  args: IngressOnlyFromArgs,
): aws.ec2.SecurityGroup {
  const group = new aws.ec2.SecurityGroup(name, { vpcId: args.vpcId, description: args.description }, { parent });
  args.sources.forEach((source, i) => {
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-from-${i}`,
      {
        securityGroupId: group.id,
        referencedSecurityGroupId: source,
        ipProtocol: "tcp",
        fromPort: args.port,
        toPort: args.port,
        description: `${args.description} (source ${i})`,
      },
      { parent },
    );
  });
  return group;
}
