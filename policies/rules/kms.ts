import * as aws from "@pulumi/aws";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";
import { expectKnown, known } from "../lib/values";

export const kmsKeyRotationPolicy: ResourceValidationPolicy = {
  name: "kms-key-rotation",
  description:
    "Symmetric KMS keys rotate their key material yearly (or as configured). Fix: enableKeyRotation true. Asymmetric and HMAC keys cannot rotate and are not checked.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.kms.Key, (props, _args, report) => {
    const p = known(props);
    const spec = p.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
    if (spec !== "SYMMETRIC_DEFAULT") return;
    expectKnown(p.enableKeyRotation, (v) => v === true, report, "enableKeyRotation is not true.");
  }),
};
