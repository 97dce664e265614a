import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The trust policy of a role an AWS service assumes on this account's behalf (VPC flow logs, RDS
 * Enhanced Monitoring, S3 replication): that service only, and only for this account's resources
 * (`aws:SourceAccount`, the confused-deputy guard AWS recommends).
 */
export function awsServiceTrustPolicy(parent: pulumi.Resource, service: string): pulumi.Output<string> {
  return aws.getCallerIdentityOutput({}, { parent }).accountId.apply((accountId) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: service },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        },
      ],
    }),
  );
}
