import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsServiceTrustPolicy } from "./service-role";
import * as random from "@pulumi/random";
import type { DatabaseConfig } from "../config";
import { DATABASE_MASTER_USERNAME } from "../config/schema";
import type { DrTarget } from "./backups";
import { ingressOnlyFrom } from "./ingress";

export const POSTGRES_PORT = 5432;
/** The application database the instance is created with (`dbName`). */
export const DEFAULT_DATABASE_NAME = "app";
/**
 * The CA that issues the instance's server certificate: RDS's default for new instances, pinned so
 * that clients verifying with the global bundle (components/app-platform/rds-ca.ts) find its root.
 */
export const RDS_CA_IDENTIFIER = "rds-ca-rsa2048-g1";
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
  /** Master user name; its password is generated and rotated by Secrets Manager. Default DATABASE_MASTER_USERNAME (`app_admin`). */
  masterUsername?: string;
  /** Replicate the automated backups (snapshots and transaction logs, so PITR too) to the DR region. */
  dr?: DrTarget;
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
  /** The instance's ARN (its partition, region and account name the `rds-db:connect` resources). */
  readonly arn: pulumi.Output<string>;
  /** DbiResourceId, e.g. `db-ABCDEFGHIJKL…`: what IAM database authentication policies name. */
  readonly resourceId: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:database:Database", name, {}, opts);
    const { config } = args;
    this.databaseName = args.databaseName ?? DEFAULT_DATABASE_NAME;
    const masterUsername = args.masterUsername ?? DATABASE_MASTER_USERNAME;

    const subnetGroup = new aws.rds.SubnetGroup(`${name}-postgres`, { subnetIds: args.subnetIds }, { parent: this });
    const securityGroup = ingressOnlyFrom(this, `${name}-postgres`, {
      vpcId: args.vpcId,
      description: "PostgreSQL, from the cluster's nodes only",
      port: POSTGRES_PORT,
      sources: args.allowedSecurityGroupIds,
    });

    // One group per major version, named after it: raising engineVersion creates the new family's
    // group first, upgrades the instance onto it (applyImmediately), then deletes the old group.
    const parameters = new aws.rds.ParameterGroup(
      `${name}-postgres`,
      {
        namePrefix: `${name}-postgres${config.engineVersion}-`,
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
    const monitoringRole = config.monitoringIntervalSeconds > 0 ? enhancedMonitoringRole(this, name) : undefined;
    const instance = new aws.rds.Instance(
      `${name}-postgres`,
      {
        identifier,
        engine: "postgres",
        engineVersion: config.engineVersion,
        instanceClass: config.instanceClass,
        allocatedStorage: config.allocatedStorageGb,
        // 0 turns storage autoscaling off (RDS rejects a ceiling equal to the allocated storage).
        maxAllocatedStorage: config.maxAllocatedStorageGb,
        storageType: "gp3",
        storageEncrypted: true,
        dbName: this.databaseName,
        username: masterUsername,
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
        finalSnapshotIdentifier: finalSnapshot
          ? finalSnapshotName(this, name, {
              identifier,
              dbName: this.databaseName,
              username: masterUsername,
              storageEncrypted: "true",
            })
          : undefined,
        // Automated backups (and PITR) outlive the instance for their retention where configured.
        deleteAutomatedBackups: !config.retainAutomatedBackups,
        applyImmediately: config.applyImmediately,
        monitoringInterval: config.monitoringIntervalSeconds,
        monitoringRoleArn: monitoringRole?.arn,
        performanceInsightsEnabled: true,
        performanceInsightsRetentionPeriod: 7,
        enabledCloudwatchLogsExports: [...LOG_EXPORTS],
        autoMinorVersionUpgrade: true,
        // engineVersion is a major ("17"): raising it in config is the upgrade, applied by `up`.
        allowMajorVersionUpgrade: true,
        // The app and the dump job log in with IAM tokens (components/app-platform/db-users.ts).
        iamDatabaseAuthenticationEnabled: true,
        caCertIdentifier: RDS_CA_IDENTIFIER,
      },
      { parent: this, protect: args.protect, dependsOn: monitoringRole ? [...logGroups, monitoringRole] : logGroups },
    );

    if (args.dr) {
      const inDr = { parent: this, provider: args.dr.provider };
      // The instance is encrypted: its replicated backups need a key in the DR region.
      const key = new aws.kms.Key(
        `${name}-postgres-dr-key`,
        {
          description: `Encrypts ${identifier}'s automated backups replicated to ${args.dr.region}`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
        },
        { ...inDr, protect: args.protect },
      );
      new aws.kms.Alias(
        `${name}-postgres-dr-key`,
        { namePrefix: `alias/${name}-postgres-dr-`, targetKeyId: key.keyId },
        inDr,
      );
      new aws.rds.InstanceAutomatedBackupsReplication(
        `${name}-postgres-dr`,
        { sourceDbInstanceArn: instance.arn, retentionPeriod: args.dr.retentionDays, kmsKeyId: key.arn },
        { ...inDr, protect: args.protect },
      );
    }

    this.address = instance.address;
    this.endpoint = instance.endpoint;
    this.port = instance.port;
    this.masterSecretArn = instance.masterUserSecrets.apply((secrets) => secrets?.[0]?.secretArn ?? "");
    this.securityGroupId = securityGroup.id;
    this.arn = instance.arn;
    this.resourceId = instance.resourceId;
    this.registerOutputs({
      arn: this.arn,
      resourceId: this.resourceId,
      address: this.address,
      endpoint: this.endpoint,
      masterSecretArn: this.masterSecretArn,
      securityGroupId: this.securityGroupId,
    });
  }
}

/**
 * The final snapshot's name, unique per instance: RDS refuses a deletion whose final snapshot name
 * exists, so a fixed name fails the second time an environment is torn down. The suffix goes with
 * the stack (a destroyed and recreated environment gets a new one) and changes with every input
 * whose change replaces the instance (`replacedBy`), so a replacement's deletion and the next one
 * use different names.
 */
function finalSnapshotName(
  parent: pulumi.Resource,
  name: string,
  replacedBy: Record<string, pulumi.Input<string>>,
): pulumi.Output<string> {
  const suffix = new random.RandomId(`${name}-final-snapshot`, { byteLength: 4, keepers: replacedBy }, { parent });
  return pulumi.interpolate`${replacedBy.identifier}-final-${suffix.hex}`;
}

/** The role RDS Enhanced Monitoring publishes OS metrics with; only this account's RDS may assume it. */
function enhancedMonitoringRole(parent: pulumi.Resource, name: string): aws.iam.Role {
  const role = new aws.iam.Role(
    `${name}-rds-monitoring`,
    {
      description: `RDS Enhanced Monitoring for ${name}-postgres`,
      assumeRolePolicy: awsServiceTrustPolicy(parent, "monitoring.rds.amazonaws.com"),
    },
    { parent },
  );
  new aws.iam.RolePolicyAttachment(
    `${name}-rds-monitoring`,
    { role: role.name, policyArn: ENHANCED_MONITORING_POLICY },
    { parent },
  );
  return role;
}

/** AWS's managed policy for Enhanced Monitoring: writes to the RDSOSMetrics log group only. */
export const ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole";

/**
 * Memory of the RDS instance classes the price table prices, GiB (AWS instance class specs); a
 * test keeps it covering every priced class.
 */
export const DB_CLASS_MEMORY_GIB: Readonly<Record<string, number>> = {
  "db.t3.medium": 4,
  "db.t4g.micro": 1,
  "db.t4g.small": 2,
  "db.t4g.medium": 4,
  "db.r6g.xlarge": 32,
};

/**
 * RDS for PostgreSQL's default max_connections: LEAST({DBInstanceClassMemory/9531392}, 5000).
 * DBInstanceClassMemory is a little under the class's memory, so this is an upper bound.
 */
export function maxConnectionsFor(instanceClass: string): number | undefined {
  const gib = DB_CLASS_MEMORY_GIB[instanceClass];
  return gib === undefined ? undefined : Math.min(Math.floor((gib * 1024 ** 3) / 9531392), 5000);
}
