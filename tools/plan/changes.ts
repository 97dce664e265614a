import type { CapturedResource } from "./capture";
import { SECRET_PLACEHOLDER } from "./stack-config";

/**
 * The resource-level change list `--compare BASE.json` prints, like `pulumi preview`'s summary:
 * what would be created, updated, replaced, deleted or left alone, and per resource the input
 * paths that differ. Whether a change replaces comes from REPLACING_INPUTS, a table of the inputs
 * that force replacement for the stateful types (docs/plan.md lists it): a change to any of them
 * is a replacement, which for these types means the data is gone unless restored from a backup.
 */

/** Per stateful type, the input paths (a prefix matches its children) whose change replaces the resource. */
export const REPLACING_INPUTS: Readonly<Record<string, { what: string; inputs: readonly string[] }>> = {
  "aws:rds/instance:Instance": {
    what: "database",
    inputs: [
      "identifier",
      "identifierPrefix",
      "engine",
      "kmsKeyId",
      "storageEncrypted",
      "availabilityZone",
      "username",
      "dbName",
      "characterSetName",
      "timezone",
      "snapshotIdentifier",
    ],
  },
  "aws:rds/cluster:Cluster": {
    what: "database",
    inputs: [
      "clusterIdentifier",
      "engine",
      "kmsKeyId",
      "storageEncrypted",
      "masterUsername",
      "databaseName",
      "availabilityZones",
    ],
  },
  "aws:elasticache/replicationGroup:ReplicationGroup": {
    what: "cache",
    inputs: [
      "replicationGroupId",
      "atRestEncryptionEnabled",
      "kmsKeyId",
      "subnetGroupName",
      "port",
      "snapshotArns",
      "snapshotName",
      "engine",
    ],
  },
  "aws:s3/bucket:Bucket": { what: "bucket", inputs: ["bucket", "bucketPrefix", "objectLockEnabled"] },
  "aws:s3/bucketV2:BucketV2": { what: "bucket", inputs: ["bucket", "bucketPrefix", "objectLockEnabled"] },
  "aws:kms/key:Key": {
    what: "KMS key",
    inputs: ["customerMasterKeySpec", "keySpec", "keyUsage", "multiRegion", "xksKeyId", "customKeyStoreId"],
  },
  "aws:ecr/repository:Repository": { what: "repository", inputs: ["name", "encryptionConfigurations"] },
  "eks:index:Cluster": {
    what: "cluster",
    inputs: [
      "name",
      "vpcId",
      "subnetIds",
      "privateSubnetIds",
      "publicSubnetIds",
      "encryptionConfigKeyArn",
      "kubernetesServiceIpAddressRange",
      "serviceRole",
      "ipFamily",
    ],
  },
  "aws:eks/cluster:Cluster": {
    what: "cluster",
    inputs: ["name", "roleArn", "encryptionConfig", "kubernetesNetworkConfig", "bootstrapSelfManagedAddons"],
  },
  "aws:ebs/volume:Volume": {
    what: "volume",
    inputs: ["availabilityZone", "encrypted", "kmsKeyId", "snapshotId", "outpostArn"],
  },
  "kubernetes:core/v1:PersistentVolumeClaim": {
    what: "volume",
    inputs: [
      "metadata.name",
      "metadata.namespace",
      "spec.storageClassName",
      "spec.accessModes",
      "spec.selector",
      "spec.volumeName",
    ],
  },
};

export type ChangeAction = "create" | "update" | "replace" | "delete" | "same";

export interface ResourceChange {
  action: Exclude<ChangeAction, "same">;
  type: string;
  name: string;
  /** Input (and option) paths that differ, e.g. `engineVersion`, `tags.owner`, `options.protect`. */
  paths: string[];
  /** The paths that force the replacement (REPLACING_INPUTS). */
  replacedBy?: string[];
  /** What the stateful resource holds (database, bucket, …); set for stateful types. */
  stateful?: string;
}

export interface ChangeSet {
  counts: Record<ChangeAction, number>;
  changes: ResourceChange[];
}

type PlanResource = Pick<CapturedResource, "type" | "name" | "inputs"> & { options?: object };

const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const UNKNOWN = "__pulumiUnknown";

/** Paths where two values differ; a secret on both sides counts as unchanged (its content cannot be seen). */
export function differingPaths(before: unknown, after: unknown, prefix = ""): string[] {
  if (before === after) return [];
  if (before === SECRET_PLACEHOLDER && after === SECRET_PLACEHOLDER) return [];
  // Known only after deployment on either side: not a change the plan can see.
  if ((isObject(before) && UNKNOWN in before) || (isObject(after) && UNKNOWN in after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => differingPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length)
    return before.flatMap((v, i) => differingPaths(v, after[i], `${prefix}[${i}]`));
  return [prefix || "(value)"];
}

function forcesReplacement(type: string, path: string): boolean {
  const inputs = REPLACING_INPUTS[type]?.inputs ?? [];
  return inputs.some((input) => path === input || path.startsWith(`${input}.`) || path.startsWith(`${input}[`));
}

/** The change list from a base plan's resources to the head's. */
export function compareResources(base: readonly PlanResource[], head: readonly PlanResource[]): ChangeSet {
  const before = new Map(base.map((r) => [key(r), r]));
  const after = new Map(head.map((r) => [key(r), r]));
  const counts: Record<ChangeAction, number> = { create: 0, update: 0, replace: 0, delete: 0, same: 0 };
  const changes: ResourceChange[] = [];
  const stateful = (type: string) => (REPLACING_INPUTS[type] ? { stateful: REPLACING_INPUTS[type].what } : {});
  for (const r of head) {
    const was = before.get(key(r));
    if (!was) {
      counts.create++;
      changes.push({ action: "create", type: r.type, name: r.name, paths: [], ...stateful(r.type) });
      continue;
    }
    const inputs = differingPaths(was.inputs, r.inputs);
    const options = differingPaths(was.options ?? {}, r.options ?? {}).map((p) => `options.${p}`);
    const paths = [...inputs, ...options];
    if (paths.length === 0) {
      counts.same++;
      continue;
    }
    const replacedBy = inputs.filter((p) => forcesReplacement(r.type, p));
    const action = replacedBy.length > 0 ? "replace" : "update";
    counts[action]++;
    changes.push({
      action,
      type: r.type,
      name: r.name,
      paths,
      ...(replacedBy.length ? { replacedBy } : {}),
      ...stateful(r.type),
    });
  }
  for (const r of base)
    if (!after.has(key(r))) {
      counts.delete++;
      changes.push({ action: "delete", type: r.type, name: r.name, paths: [], ...stateful(r.type) });
    }
  return { counts, changes };
}

const SYMBOL: Record<ResourceChange["action"], string> = { create: "+", update: "~", replace: "+-", delete: "-" };

/** The change list as text: the counts, then a warning per stateful replacement or deletion, then every change. */
export function renderChanges(set: ChangeSet, baseName: string): string {
  const { counts } = set;
  const lines = [
    `Changes against ${baseName}: ${counts.create} to create, ${counts.update} to update, ${counts.replace} to replace, ${counts.delete} to delete, ${counts.same} unchanged.`,
  ];
  const dangerous = set.changes.filter((c) => c.stateful && (c.action === "replace" || c.action === "delete"));
  for (const c of dangerous) {
    const why = c.action === "replace" ? `replaced because ${c.replacedBy?.join(", ")} changed` : "deleted";
    lines.push(
      `!! ${c.action.toUpperCase()} of a stateful resource (${c.stateful}): ${c.type} ${c.name} is ${why}; its data is lost unless restored from a backup.`,
    );
  }
  for (const c of set.changes)
    lines.push(
      `  ${SYMBOL[c.action].padEnd(2)} ${c.type}  ${c.name}${c.paths.length ? `  (${c.paths.join(", ")})` : ""}`,
    );
  return lines.join("\n");
}

/** A saved plan's resources, checked enough to compare with. */
export function resourcesFromPlanJson(json: unknown, source: string): PlanResource[] {
  const resources = (json as { resources?: unknown } | null)?.resources;
  if (
    !Array.isArray(resources) ||
    !resources.every(
      (r) => isObject(r) && typeof r.type === "string" && typeof r.name === "string" && isObject(r.inputs),
    )
  )
    throw new Error(
      `${source} has no "resources" list of { type, name, inputs }: write it with \`npm run plan -- --stack NAME --out FILE\``,
    );
  return resources as PlanResource[];
}
