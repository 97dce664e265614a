import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseConfig } from "../config";
import { ingressOnlyFrom } from "./ingress";

export const POSTGRES_PORT = 5432;
/** PostgreSQL logs exported to CloudWatch. */
export const LOG_EXPORTS = ["postgresql", "upgrade"] as const;

export interface DatabaseArgs {
  /** `platform:database`: version, class, storage, Multi-AZ, retention, deletion protection. */
  config: DatabaseConfig;
  vpcId: pulumi.Input<string>;
  /** Isolated subnets (no route to the internet). */
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security groups allowed to connect (the cluster's nodes); nothing else can. */
  allowedSecurityGroupIds: pulumi.Input<string>[];
  /** Protect the instance from deletion by the stack (`platform:protect`). */
  protect: boolean;
  /** Name of the application database. Default `app`. */
  databaseName?: string;
  /** Master user name; its password is generated and rotated by Secrets Manager. Default `app_admin`. */
  masterUsername?: string;
}

/**
 * RDS PostgreSQL in the isolated subnets: encrypted, TLS forced by its parameter group, master
 * password managed by Secrets Manager (never in state), Performance Insights, logs to CloudWatch,
 * storage autoscaling, backups/PITR, and Multi-AZ, deletion protection and a final snapshot where
 * the configuration asks for them.
 */
export class Database extends pulumi.ComponentResource {
  readonly address: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  readonly databaseName: string;
  /** ARN of the Secrets Manager secret holding the master credentials. */
  readonly masterSecretArn: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:database:Database", name, {}, opts);
    const { config } = args;
    this.databaseName = args.databaseName ?? "app";

    const subnetGroup = new aws.rds.SubnetGroup(`${name}-postgres`, { subnetIds: args.subnetIds }, { parent: this });
    const securityGroup = ingressOnlyFrom(this, `${name}-postgres`, {
      vpcId: args.vpcId,
      description: "PostgreSQL, from the cluster's nodes only",
      port: POSTGRES_PORT,
      sources: args.allowedSecurityGroupIds,
    });

    // Auto-named, so a change that replaces it creates the new group before the old one is deleted.
    const parameters = new aws.rds.ParameterGroup(
      `${name}-postgres`,
      {
        family: `postgres${config.engineVersion}`,
        description: `PostgreSQL ${config.engineVersion} for ${name}: TLS only, slow-query and connection logs`,
        parameters: [
          { name: "rds.force_ssl", value: "1" },
          { name: "log_min_duration_statement", value: "1000" },
          { name: "log_connections", value: "1" },
          { name: "log_disconnections", value: "1" },
        ],
      },
      { parent: this },
    );

    // RDS would create the export log groups itself with no retention; named after the identifier.
    const identifier = `${name}-postgres`;
    const logGroups = LOG_EXPORTS.map(
      (log) =>
        new aws.cloudwatch.LogGroup(
          `${name}-postgres-${log}`,
          { name: `/aws/rds/instance/${identifier}/${log}`, retentionInDays: config.logRetentionDays },
          { parent: this },
        ),
    );

    const finalSnapshot = config.deletionProtection;
    const instance = new aws.rds.Instance(
      `${name}-postgres`,
      {
        identifier,
        engine: "postgres",
        engineVersion: config.engineVersion,
        instanceClass: config.instanceClass,
        allocatedStorage: config.allocatedStorageGb,
        maxAllocatedStorage: config.maxAllocatedStorageGb,
        storageType: "gp3",
        storageEncrypted: true,
        dbName: this.databaseName,
        username: args.masterUsername ?? "app_admin",
        manageMasterUserPassword: true,
        dbSubnetGroupName: subnetGroup.name,
        vpcSecurityGroupIds: [securityGroup.id],
        publiclyAccessible: false,
        parameterGroupName: parameters.name,
        multiAz: config.multiAz,
        backupRetentionPeriod: config.backupRetentionDays,
        backupWindow: "02:00-03:00",
        maintenanceWindow: "sun:03:30-sun:04:30",
        copyTagsToSnapshot: true,
        deletionProtection: config.deletionProtection,
        skipFinalSnapshot: !finalSnapshot,
        finalSnapshotIdentifier: finalSnapshot ? `${name}-final` : undefined,
        performanceInsightsEnabled: true,
        performanceInsightsRetentionPeriod: 7,
        enabledCloudwatchLogsExports: [...LOG_EXPORTS],
        autoMinorVersionUpgrade: true,
        // engineVersion is a major ("17"): raising it in config is the upgrade, applied by `up`.
        allowMajorVersionUpgrade: true,
        iamDatabaseAuthenticationEnabled: true,
      },
      { parent: this, protect: args.protect, dependsOn: logGroups },
    );

    this.address = instance.address;
    this.endpoint = instance.endpoint;
    this.port = instance.port;
    this.masterSecretArn = instance.masterUserSecrets.apply((secrets) => secrets?.[0]?.secretArn ?? "");
    this.securityGroupId = securityGroup.id;
    this.registerOutputs({
      address: this.address,
      endpoint: this.endpoint,
      masterSecretArn: this.masterSecretArn,
      securityGroupId: this.securityGroupId,
    });
  }
}
