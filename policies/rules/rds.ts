import * as aws from "@pulumi/aws";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, environmentSchema, requireEnvironment, schema } from "../lib/policy";
import { expectKnown, known } from "../lib/values";

const isAurora = (engine: unknown) => typeof engine === "string" && engine.startsWith("aurora");

export const rdsNotPublicPolicy: ResourceValidationPolicy = {
  name: "rds-not-public",
  description:
    "RDS instances are not publicly accessible. Fix: publiclyAccessible false, subnets without a route to an internet gateway.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.rds.Instance, (props, _args, report) => {
    expectKnown(
      known(props).publiclyAccessible,
      (v) => v !== true,
      report,
      "publiclyAccessible is true: set it to false.",
    );
  }),
};

export const rdsStorageEncryptedPolicy: ResourceValidationPolicy = {
  name: "rds-storage-encrypted",
  description:
    "RDS storage is encrypted at rest. Fix: storageEncrypted true (a replacement for an existing instance: restore an encrypted snapshot copy).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.rds.Instance, (props, _args, report) => {
    const p = known(props);
    if (isAurora(p.engine)) return; // Aurora encrypts at the cluster.
    expectKnown(p.storageEncrypted, (v) => v === true, report, "storageEncrypted is not true.");
  }),
};

export const rdsManagedPasswordPolicy: ResourceValidationPolicy = {
  name: "rds-managed-master-password",
  description:
    "No plain-text master password in the program or state: RDS manages it in Secrets Manager. Fix: remove password/passwordWo and set manageMasterUserPassword true.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.rds.Instance, (props, _args, report) => {
    const p = known(props);
    // An unknown password is still a password in the inputs: presence alone is the violation.
    if (p.password !== undefined || p.passwordWo !== undefined)
      return report("a master password is set in the inputs: remove it and set manageMasterUserPassword true.");
    if (isAurora(p.engine) || p.replicateSourceDb !== undefined || p.snapshotIdentifier !== undefined) return;
    expectKnown(
      p.manageMasterUserPassword,
      (v) => v === true,
      report,
      "manageMasterUserPassword is not true: let RDS keep the password in Secrets Manager.",
    );
  }),
};

export interface BackupRetentionConfig {
  /** Minimum automated-backup retention, days. */
  minDays: number;
}

export const rdsBackupRetentionPolicy: ResourceValidationPolicy = {
  name: "rds-backup-retention",
  description:
    "RDS automated backups (and point-in-time recovery) are kept at least the configured days (minDays, default 7). Fix: raise backupRetentionPeriod (platform:database.backupRetentionDays).",
  enforcementLevel: "mandatory",
  configSchema: schema({
    minDays: {
      type: "integer",
      minimum: 1,
      maximum: 35,
      default: 7,
      description: "Minimum backupRetentionPeriod, days.",
    },
  }),
  validateResource: validateResourceOfType(aws.rds.Instance, (props, args, report) => {
    const { minDays } = configOf<BackupRetentionConfig>(args, { minDays: 7 });
    const p = known(props);
    if (p.replicateSourceDb !== undefined) return; // Replicas take the source's backups.
    const days = p.backupRetentionPeriod ?? 0;
    expectKnown(
      days,
      (d) => Number(d) >= minDays,
      report,
      `backupRetentionPeriod is ${String(days)} days; at least ${minDays} required.`,
    );
  }),
};

export const rdsPerformanceInsightsPolicy: ResourceValidationPolicy = {
  name: "rds-performance-insights",
  description:
    "RDS instances have Performance Insights on (7 days are free), so slow queries can be diagnosed after the fact. Fix: performanceInsightsEnabled true.",
  enforcementLevel: "advisory",
  validateResource: validateResourceOfType(aws.rds.Instance, (props, _args, report) => {
    expectKnown(
      known(props).performanceInsightsEnabled,
      (v) => v === true,
      report,
      "performanceInsightsEnabled is not true.",
    );
  }),
};

export const rdsMultiAzPolicy: ResourceValidationPolicy = {
  name: "rds-multi-az",
  description:
    "In prod, RDS instances have a Multi-AZ standby. Fix: multiAz true (platform:database.multiAz). Environments are per-stack config.",
  enforcementLevel: "mandatory",
  configSchema: schema(environmentSchema(["prod"])),
  validateResource: validateResourceOfType(aws.rds.Instance, (props, args, report) => {
    requireEnvironment(args, ["prod"]);
    const p = known(props);
    if (p.replicateSourceDb !== undefined || isAurora(p.engine)) return;
    expectKnown(p.multiAz, (v) => v === true, report, "multiAz is not true.");
  }),
};

export const rdsDeletionProtectionPolicy: ResourceValidationPolicy = {
  name: "rds-deletion-protection",
  description:
    "In prod, RDS instances have deletion protection and keep a final snapshot. Fix: deletionProtection true, skipFinalSnapshot false (platform:database.deletionProtection).",
  enforcementLevel: "mandatory",
  configSchema: schema(environmentSchema(["prod"])),
  validateResource: validateResourceOfType(aws.rds.Instance, (props, args, report) => {
    requireEnvironment(args, ["prod"]);
    const p = known(props);
    expectKnown(p.deletionProtection, (v) => v === true, report, "deletionProtection is not true.");
    expectKnown(
      p.skipFinalSnapshot,
      (v) => v !== true,
      report,
      "skipFinalSnapshot is true: a destroy would leave no snapshot.",
    );
  }),
};

export const rdsPolicies = [
  rdsNotPublicPolicy,
  rdsStorageEncryptedPolicy,
  rdsManagedPasswordPolicy,
  rdsBackupRetentionPolicy,
  rdsPerformanceInsightsPolicy,
  rdsMultiAzPolicy,
  rdsDeletionProtectionPolicy,
];
