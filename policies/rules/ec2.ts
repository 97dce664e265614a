import * as aws from "@pulumi/aws";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";
import { expectKnown, known } from "../lib/values";

/**
 * Standalone EC2 instances (the NAT instance; EKS nodes go through their launch template, checked
 * by the cluster's tests): IMDSv2 only, so an SSRF in anything on the host cannot read the
 * instance role's credentials, and an encrypted root volume.
 */
export const ec2InstanceHardenedPolicy: ResourceValidationPolicy = {
  name: "ec2-instance-hardened",
  description:
    'EC2 instances require IMDSv2 and encrypt their root volume. Fix: metadataOptions { httpTokens: "required" } and rootBlockDevice { encrypted: true }.',
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.ec2.Instance, (props, _args, report) => {
    const p = known(props);
    expectKnown(
      p.metadataOptions,
      (m) => m?.httpTokens === "required",
      report,
      'metadataOptions.httpTokens is not "required" (IMDSv1 stays open).',
    );
    expectKnown(p.rootBlockDevice, (d) => d?.encrypted === true, report, "rootBlockDevice.encrypted is not true.");
  }),
};
