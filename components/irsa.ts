import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface IrsaRoleArgs {
  /** The cluster's IAM OIDC provider. */
  oidcProviderArn: pulumi.Input<string>;
  /** Its issuer without the scheme, e.g. `oidc.eks.<region>.amazonaws.com/id/<id>`. */
  oidcProviderUrl: pulumi.Input<string>;
  namespace: string;
  serviceAccount: string;
  /** AWS managed policies to attach. */
  managedPolicyArns?: string[];
  /** Customer policies to attach (their ARNs). */
  policyArns?: pulumi.Input<string>[];
}

/** The trust policy that lets exactly one Kubernetes service account assume a role. */
export function serviceAccountTrustPolicy(
  providerArn: string,
  providerUrl: string,
  namespace: string,
  serviceAccount: string,
): string {
  const issuer = providerUrl.replace(/^https:\/\//, "");
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
            [`${issuer}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  });
}

/** An IAM role for one service account (IRSA), with its policies attached. */
export function irsaRole(parent: pulumi.Resource, name: string, args: IrsaRoleArgs): aws.iam.Role {
  const role = new aws.iam.Role(
    name,
    {
      assumeRolePolicy: pulumi
        .all([args.oidcProviderArn, args.oidcProviderUrl])
        .apply(([arn, url]) => serviceAccountTrustPolicy(arn, url, args.namespace, args.serviceAccount)),
    },
    { parent },
  );
  const attachments = [...(args.managedPolicyArns ?? []), ...(args.policyArns ?? [])];
  attachments.forEach((policyArn, i) => {
    new aws.iam.RolePolicyAttachment(`${name}-${i}`, { role: role.name, policyArn }, { parent });
  });
  return role;
}
