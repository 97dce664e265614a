import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { CacheConfig } from "../config";
import { ingressOnlyFrom } from "./ingress";

export const REDIS_PORT = 6379;

export interface CacheArgs {
  /** `platform:cache`: engine, version, node type, replicas, snapshot retention. */
  config: CacheConfig;
  vpcId: pulumi.Input<string>;
  /** Isolated subnets (no route to the internet). */
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security groups allowed to connect (the cluster's nodes); nothing else can. */
  allowedSecurityGroupIds: pulumi.Input<string>[];
  /** Protect the replication group from deletion by the stack (`platform:protect`). */
  protect: boolean;
}

/**
 * ElastiCache (Redis OSS or Valkey) in the isolated subnets: encrypted at rest and in transit, an
 * AUTH token generated here and kept secret, reachable only from the given security groups, daily
 * snapshots; with one or more replicas, automatic failover across AZs.
 */
export class Cache extends pulumi.ComponentResource {
  readonly primaryEndpoint: pulumi.Output<string>;
  readonly readerEndpoint: pulumi.Output<string>;
  readonly port: number;
  /** The AUTH token clients present; a secret. */
  readonly authToken: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:cache:Cache", name, {}, opts);
    const { config } = args;
    const highlyAvailable = config.replicas >= 1;

    // ElastiCache accepts 16–128 printable characters without @, " or /: letters and digits are safe.
    const token = new random.RandomPassword(
      `${name}-redis-auth-token`,
      { length: 48, special: false },
      { parent: this },
    );
    const subnetGroup = new aws.elasticache.SubnetGroup(
      `${name}-redis`,
      { subnetIds: args.subnetIds, description: `Isolated subnets for ${name}` },
      { parent: this },
    );
    const securityGroup = ingressOnlyFrom(this, `${name}-redis`, {
      vpcId: args.vpcId,
      description: `${config.engine}, from the cluster's nodes only`,
      port: REDIS_PORT,
      sources: args.allowedSecurityGroupIds,
    });

    const group = new aws.elasticache.ReplicationGroup(
      `${name}-redis`,
      {
        description: `${config.engine} ${config.engineVersion} for ${name}`,
        engine: config.engine,
        engineVersion: config.engineVersion,
        nodeType: config.nodeType,
        numCacheClusters: 1 + config.replicas,
        automaticFailoverEnabled: highlyAvailable,
        multiAzEnabled: highlyAvailable,
        port: REDIS_PORT,
        subnetGroupName: subnetGroup.name,
        securityGroupIds: [securityGroup.id],
        atRestEncryptionEnabled: true,
        transitEncryptionEnabled: true,
        authToken: token.result,
        snapshotRetentionLimit: config.snapshotRetentionDays,
        snapshotWindow: "01:00-02:00",
        maintenanceWindow: "sun:04:30-sun:05:30",
        autoMinorVersionUpgrade: true,
      },
      { parent: this, protect: args.protect },
    );

    this.primaryEndpoint = group.primaryEndpointAddress;
    this.readerEndpoint = group.readerEndpointAddress;
    this.port = REDIS_PORT;
    this.authToken = pulumi.secret(token.result);
    this.securityGroupId = securityGroup.id;
    this.registerOutputs({
      primaryEndpoint: this.primaryEndpoint,
      readerEndpoint: this.readerEndpoint,
      securityGroupId: this.securityGroupId,
    });
  }
}
