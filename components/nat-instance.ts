import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The current Amazon Linux 2023 arm64 AMI, as AWS publishes it in SSM (no AMI ID to pin per region). */
export const AL2023_ARM64_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";
/** Graviton, $0.0042/h: up to 5 Gbit/s burst, enough for a dev VPC's image pulls and API calls. */
export const NAT_INSTANCE_TYPE = "t4g.nano";
/** The AL2023 AMI's root snapshot size; the NAT keeps nothing on disk. */
export const NAT_ROOT_VOLUME_GB = 8;

export interface NatInstanceArgs {
  vpcId: pulumi.Input<string>;
  /** The VPC's IPv4 range: the only source the instance forwards (and its security group admits). */
  vpcCidr: string;
  /** A public subnet (its route table sends 0.0.0.0/0 to the internet gateway). */
  publicSubnetId: pulumi.Input<string>;
  /** Route tables of the private subnets; each gets 0.0.0.0/0 via the instance's primary ENI. */
  privateRouteTableIds: pulumi.Input<string>[];
}

/**
 * The nftables ruleset: masquerade what comes from the VPC and leaves it, keyed on addresses
 * rather than an interface name (eth0 or ens5 depending on the AMI's udev naming).
 */
export function natRuleset(vpcCidr: string): string {
  return [
    "flush ruleset",
    "table ip nat {",
    "  chain postrouting {",
    "    type nat hook postrouting priority srcnat; policy accept;",
    `    ip saddr ${vpcCidr} ip daddr != ${vpcCidr} masquerade`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Kernel settings of the NAT (a sysctl.d file): forward packets between interfaces. */
export function natSysctl(): string {
  return "net.ipv4.ip_forward = 1\n";
}

/**
 * User data (cloud-init runs it once, as root, on first boot): IP forwarding and the masquerade
 * ruleset, both written where they survive a reboot or an auto-recovery (sysctl.d and the
 * nftables service's config), then applied now.
 */
export function natInstanceUserData(vpcCidr: string): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(vpcCidr))
    throw new Error(`natInstanceUserData: "${vpcCidr}" is not an IPv4 CIDR`);
  return `#!/bin/bash
# NAT instance for ${vpcCidr} (components/nat-instance.ts).
set -euo pipefail

cat > /etc/sysctl.d/90-nat.conf <<'EOF'
${natSysctl()}EOF

# The AL2023 repositories are in S3 (reachable through the VPC's S3 gateway endpoint); retry while
# the Elastic IP is still being attached.
for _ in $(seq 30); do
  command -v nft >/dev/null && break
  dnf install -y nftables || sleep 10
done
command -v nft >/dev/null

cat > /etc/sysconfig/nftables.conf <<'EOF'
${natRuleset(vpcCidr)}EOF

nft -c -f /etc/sysconfig/nftables.conf
# The Fedora-family nftables.service loads /etc/sysconfig/nftables.conf at every boot.
systemctl enable nftables.service
systemctl restart nftables.service
sysctl --system >/dev/null
`;
}

/**
 * A NAT instance the way fck-nat does it, for environments where a NAT gateway's $33/month plus
 * $0.045/GB outweighs high availability: one Graviton t4g.nano in a public subnet with an Elastic
 * IP, source/destination check off, and a default route from every private route table to its
 * primary ENI.
 *
 * Recovery: EC2's automatic recovery (maintenanceOptions.autoRecovery) rather than fck-nat's Auto
 * Scaling group of one. Recovery moves the same instance to healthy hardware and keeps its instance
 * ID, primary ENI, private IP and Elastic IP, so the routes stay valid with no extra moving parts;
 * an ASG replacement is a new instance with a new primary ENI, which needs a static ENI attached at
 * boot by a script with EC2 permissions (fck-nat's AMI does that). Neither covers an AZ outage:
 * that is what `perAz` NAT gateways are for.
 */
export class NatInstance extends pulumi.ComponentResource {
  readonly instanceId: pulumi.Output<string>;
  readonly publicIp: pulumi.Output<string>;

  constructor(name: string, args: NatInstanceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:network:NatInstance", name, {}, opts);

    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: `NAT instance: forwards traffic from ${args.vpcCidr} only`,
        ingress: [
          {
            protocol: "-1",
            fromPort: 0,
            toPort: 0,
            cidrBlocks: [args.vpcCidr],
            description: "anything from inside the VPC, to be forwarded",
          },
        ],
        egress: [
          {
            protocol: "-1",
            fromPort: 0,
            toPort: 0,
            cidrBlocks: ["0.0.0.0/0"],
            description: "forwarded traffic to the internet",
          },
        ],
      },
      { parent: this },
    );

    const ami = aws.ssm.getParameterOutput({ name: AL2023_ARM64_AMI_PARAMETER }, { parent: this }).value;
    const instance = new aws.ec2.Instance(
      name,
      {
        ami,
        instanceType: NAT_INSTANCE_TYPE,
        subnetId: args.publicSubnetId,
        vpcSecurityGroupIds: [securityGroup.id],
        sourceDestCheck: false,
        associatePublicIpAddress: false,
        userData: natInstanceUserData(args.vpcCidr),
        userDataReplaceOnChange: true,
        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" },
        rootBlockDevice: {
          volumeType: "gp3",
          volumeSize: NAT_ROOT_VOLUME_GB,
          encrypted: true,
          deleteOnTermination: true,
        },
        maintenanceOptions: { autoRecovery: "default" },
        monitoring: false,
        tags: { Name: name },
      },
      // A newer AMI must not replace the NAT (an outage for every private subnet) on an unrelated
      // `up`; roll it deliberately with `pulumi up --replace <urn>` (docs/cost.md).
      { parent: this, ignoreChanges: ["ami"] },
    );

    // Automatic recovery covers the host (system status check); a hung or panicked kernel fails the
    // instance status check instead, which only a reboot clears: three failed minutes reboot it.
    const region = aws.getRegionOutput({}, { parent: this }).region;
    new aws.cloudwatch.MetricAlarm(
      `${name}-reboot`,
      {
        alarmDescription: `NAT instance ${name} failed its instance status check for 3 minutes: EC2 reboots it (private subnets have no egress meanwhile)`,
        namespace: "AWS/EC2",
        metricName: "StatusCheckFailed_Instance",
        dimensions: { InstanceId: instance.id },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 3,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "missing",
        alarmActions: [pulumi.interpolate`arn:aws:automate:${region}:ec2:reboot`],
      },
      { parent: this },
    );

    const eip = new aws.ec2.Eip(
      `${name}-eip`,
      { domain: "vpc", instance: instance.id, tags: { Name: name } },
      { parent: this },
    );

    args.privateRouteTableIds.forEach((routeTableId, i) => {
      new aws.ec2.Route(
        `${name}-private-${i}`,
        { routeTableId, destinationCidrBlock: "0.0.0.0/0", networkInterfaceId: instance.primaryNetworkInterfaceId },
        { parent: this },
      );
    });

    this.instanceId = instance.id;
    this.publicIp = eip.publicIp;
    this.registerOutputs({ instanceId: this.instanceId, publicIp: this.publicIp });
  }
}
