import type { ResourceValidationPolicy } from "@pulumi/policy";
import { environmentSchema, requireEnvironment, schema, validateTypes } from "../lib/policy";

/** Resources whose deletion loses data or breaks what was encrypted with them. */
export const STATEFUL_TYPES = [
  "aws:rds/instance:Instance",
  "aws:rds/cluster:Cluster",
  "aws:elasticache/replicationGroup:ReplicationGroup",
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketV2:BucketV2",
  "aws:kms/key:Key",
  "aws:ecr/repository:Repository",
];

export const statefulProtectedPolicy: ResourceValidationPolicy = {
  name: "stateful-resources-protected",
  description:
    "In prod, stateful resources (RDS, ElastiCache, S3 buckets, KMS keys, ECR repositories) have Pulumi's protect option, so a destroy or a refactor that drops them fails. Fix: platform:protect true (sets protect on them).",
  enforcementLevel: "mandatory",
  configSchema: schema(environmentSchema(["prod"])),
  validateResource: validateTypes(STATEFUL_TYPES, (args, report) => {
    requireEnvironment(args, ["prod"]);
    if (args.opts?.protect !== true) report(`${args.name} is not protected: set the protect resource option.`);
  }),
};
