import * as aws from "@pulumi/aws";
import { validateResourceOfType, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { attachmentsOf } from "../lib/join";
import { expectKnown, isUnknown, known } from "../lib/values";

const REPOSITORY = "aws:ecr/repository:Repository";
const LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy";

export const ecrScanOnPushPolicy: ResourceValidationPolicy = {
  name: "ecr-scan-on-push",
  description:
    "ECR repositories scan images for vulnerabilities on push. Fix: imageScanningConfiguration { scanOnPush: true }.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.ecr.Repository, (props, _args, report) => {
    const scanning = known(props).imageScanningConfiguration;
    if (isUnknown(scanning)) return;
    expectKnown(scanning?.scanOnPush, (v) => v === true, report, "imageScanningConfiguration.scanOnPush is not true.");
  }),
};

export const ecrImmutableTagsPolicy: ResourceValidationPolicy = {
  name: "ecr-immutable-tags",
  description:
    'ECR repositories have immutable tags, so a tag always means the same image. Fix: imageTagMutability "IMMUTABLE" (or IMMUTABLE_WITH_EXCLUSION).',
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.ecr.Repository, (props, _args, report) => {
    const mutability = known(props).imageTagMutability ?? "MUTABLE";
    expectKnown(
      mutability,
      (v) => String(v).startsWith("IMMUTABLE"),
      report,
      `imageTagMutability is ${String(mutability)}; set IMMUTABLE.`,
    );
  }),
};

export const ecrLifecyclePolicyPolicy: StackValidationPolicy = {
  name: "ecr-lifecycle-policy",
  description:
    "Every ECR repository has a lifecycle policy, so old and untagged images expire instead of piling up storage cost. Fix: add aws.ecr.LifecyclePolicy for the repository.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const policies = args.resources.filter((r) => r.type === LIFECYCLE);
    for (const repo of args.resources.filter((r) => r.type === REPOSITORY)) {
      const { matched, undetermined } = attachmentsOf(repo, policies, "repository", ["name"]);
      if (matched.length === 0 && undetermined.length === 0)
        report(`repository ${repo.name} has no lifecycle policy.`, repo.urn);
    }
  },
};

export const ecrPolicies = [ecrScanOnPushPolicy, ecrImmutableTagsPolicy, ecrLifecyclePolicyPolicy];
