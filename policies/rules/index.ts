import type { Policies } from "@pulumi/policy";
import { budgetPolicy } from "./budget";
import { dockerPolicies } from "./docker";
import { ec2InstanceHardenedPolicy } from "./ec2";
import { ecrPolicies } from "./ecr";
import { eksPolicies } from "./eks";
import { elasticachePolicies } from "./elasticache";
import { helmChartVersionPolicy } from "./helm";
import { kmsKeyRotationPolicy } from "./kms";
import { logGroupRetentionPolicy } from "./logs";
import { vpcFlowLogsPolicy } from "./network";
import { statefulProtectedPolicy } from "./protect";
import { rdsPolicies } from "./rds";
import { s3Policies } from "./s3";
import { securityGroupIngressPolicy } from "./security-groups";
import { requiredTagsPolicy } from "./tags";

/** Every policy of the pack, in report order. Importing this starts nothing (PolicyPack does). */
export const allPolicies: Policies = [
  requiredTagsPolicy,
  ...s3Policies,
  ...rdsPolicies,
  ...elasticachePolicies,
  ...eksPolicies,
  securityGroupIngressPolicy,
  ec2InstanceHardenedPolicy,
  ...ecrPolicies,
  kmsKeyRotationPolicy,
  logGroupRetentionPolicy,
  vpcFlowLogsPolicy,
  helmChartVersionPolicy,
  ...dockerPolicies,
  statefulProtectedPolicy,
  budgetPolicy,
];
