import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { awsServiceTrustPolicy } from "./service-role";
import { ConfigError, type NetworkConfig } from "../config";
import { chooseZones } from "./availability-zones";
import { NatInstance } from "./nat-instance";
import { tierCidrs } from "./subnet-layout";

export interface NetworkArgs {
  /** `platform:network`: CIDR, AZ count, NAT strategy, flow-log retention. */
  config: NetworkConfig;
  /** Region of the AWS provider, for the S3 gateway endpoint's service name. */
  region: string;
  /** Zone names to build in, azCount of them (resolveZones: chosen by zone ID, EKS-supported only). */
  availabilityZoneNames: string[];
  /**
   * Protect the VPC (and, through it, its subnets, route tables and NAT gateways) from deletion by
   * the stack (`platform:protect`): deleting it takes every workload and the data tier with it.
   */
  protect?: boolean;
}

/** awsx's NAT gateway strategy per `platform:network.natGateways`; `instance` brings its own NAT. */
const NAT_GATEWAY_STRATEGY = { single: "Single", perAz: "OnePerAz", instance: "None" } as const;

/**
 * The route table of each private subnet, in AZ order. awsx gives every subnet its own route table
 * and exports the associations, so the table is found by the subnet it is associated with (not by
 * the Name tag or the order of `routeTables`, which are awsx internals). The association is read
 * from awsx's own outputs rather than looked up with ec2.getRouteTable, which could run before
 * awsx has created it. The count comes from config, so the routes are known at preview.
 */
function privateRouteTableIds(vpc: awsx.ec2.Vpc, azCount: number): pulumi.Output<string>[] {
  const associations = vpc.routeTableAssociations.apply((all) =>
    pulumi.all(all.map((a) => pulumi.all({ subnetId: a.subnetId, routeTableId: a.routeTableId }))),
  );
  return Array.from({ length: azCount }, (_, az) =>
    pulumi.all([vpc.privateSubnetIds, associations]).apply(([subnetIds, pairs]) => {
      const found = pairs.find((p) => p.subnetId === subnetIds[az]);
      if (!found)
        throw new Error(`network: no route table is associated with private subnet ${subnetIds[az]} (AZ ${az})`);
      return found.routeTableId as string;
    }),
  );
}

/**
 * The VPC: public, private and isolated subnets in every AZ on a fixed layout (subnet-layout.ts),
 * NAT gateways single or per AZ or one NAT instance (nat-instance.ts), an S3 gateway endpoint (backups and ECR layers stay off NAT),
 * flow logs to CloudWatch, and the default security group stripped of every rule.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly isolatedSubnetIds: pulumi.Output<string[]>;
  readonly cidrBlock: string;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:network:Network", name, {}, opts);
    const { config } = args;
    const cidrs = (tier: "public" | "private" | "isolated") => tierCidrs(config.cidr, tier, config.azCount);

    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: config.cidr,
        availabilityZoneNames: args.availabilityZoneNames,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        subnetStrategy: "Auto",
        subnetSpecs: [
          // EKS places internet-facing load balancers in subnets tagged role/elb, internal ones in role/internal-elb.
          {
            type: "Public",
            name: "public",
            cidrBlocks: cidrs("public"),
            tags: { "kubernetes.io/role/elb": "1", tier: "public" },
          },
          {
            type: "Private",
            name: "private",
            cidrBlocks: cidrs("private"),
            tags: { "kubernetes.io/role/internal-elb": "1", tier: "private" },
          },
          { type: "Isolated", name: "isolated", cidrBlocks: cidrs("isolated"), tags: { tier: "isolated" } },
        ],
        natGateways: { strategy: NAT_GATEWAY_STRATEGY[config.natGateways] },
      },
      { parent: this, protect: args.protect ?? false },
    );

    if (config.natGateways === "instance") {
      new NatInstance(
        `${name}-nat`,
        {
          vpcId: vpc.vpcId,
          vpcCidr: config.cidr,
          publicSubnetId: vpc.publicSubnetIds.apply((ids) => {
            if (ids[0] === undefined) throw new Error(`VPC ${name} has no public subnet for its NAT instance`);
            return ids[0];
          }),
          privateRouteTableIds: privateRouteTableIds(vpc, config.azCount),
        },
        { parent: this },
      );
    }

    new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: vpc.vpcId,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: vpc.routeTables.apply((tables) => pulumi.all(tables.map((t) => t.id))),
      },
      { parent: this },
    );

    // With no ingress or egress blocks, the provider removes every rule of the default group,
    // so nothing attached to it by accident can talk to anything.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.vpcId }, { parent: this });

    this.createFlowLogs(name, vpc.vpcId, config.flowLogRetentionDays);

    this.vpcId = vpc.vpcId;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.isolatedSubnetIds = vpc.isolatedSubnetIds;
    this.cidrBlock = config.cidr;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      isolatedSubnetIds: this.isolatedSubnetIds,
    });
  }

  private createFlowLogs(name: string, vpcId: pulumi.Input<string>, retentionDays: number): void {
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      { namePrefix: `/vpc/${name}/flow-logs/`, retentionInDays: retentionDays },
      { parent: this },
    );
    const role = new aws.iam.Role(
      `${name}-flow-logs`,
      {
        assumeRolePolicy: awsServiceTrustPolicy(this, "vpc-flow-logs.amazonaws.com"),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-flow-logs`,
      {
        role: role.id,
        policy: logGroup.arn.apply((arn) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [arn, `${arn}:*`],
              },
            ],
          }),
        ),
      },
      { parent: this },
    );
    new aws.ec2.FlowLog(
      `${name}-flow-log`,
      {
        vpcId,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: logGroup.arn,
        iamRoleArn: role.arn,
        maxAggregationInterval: 60,
      },
      { parent: this },
    );
  }
}

/** Looks up the region's zones (standard zones only, no Local or Wavelength Zones) and chooses among them. */
export async function resolveZones(
  region: string,
  wantedIds: readonly string[],
  count: number,
  provider: pulumi.ProviderResource,
): Promise<string[]> {
  const zones = await aws.getAvailabilityZones(
    { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
    { provider },
  );
  try {
    return chooseZones(region, { names: zones.names, zoneIds: zones.zoneIds }, wantedIds, count);
  } catch (e) {
    throw new ConfigError([(e as Error).message]);
  }
}
