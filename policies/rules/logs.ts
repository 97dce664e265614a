import * as aws from "@pulumi/aws";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";
import { expectKnown, known } from "../lib/values";

export const logGroupRetentionPolicy: ResourceValidationPolicy = {
  name: "log-group-retention",
  description:
    "CloudWatch log groups have a retention, so logs (and their storage bill) do not grow forever. Fix: set retentionInDays to a CloudWatch value (e.g. 14, 90).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.cloudwatch.LogGroup, (props, _args, report) => {
    const days = known(props).retentionInDays;
    expectKnown(
      days,
      (v) => typeof v === "number" && v > 0,
      report,
      "retentionInDays is not set: the logs never expire.",
    );
  }),
};
