import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Region, account and repository name of an ECR repository URL (`<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>`). */
export function parseEcrRepositoryUrl(url: string): { registry: string; account: string; region: string; repository: string; partition: string } | undefined {
  const match = /^(?<account>\d{12})\.dkr\.ecr\.(?<region>[a-z0-9-]+)\.amazonaws\.com(?<cn>\.cn)?\/(?<repository>[a-z0-9][a-z0-9._/-]*)$/.exec(url);
  if (!match?.groups) return undefined;
  const { account, region, repository, cn } = match.groups;
  return { registry: url.split("/")[0], account, region, repository, partition: cn ? "aws-cn" : "aws" };
}

/** The repository's ARN, derived from its URL (the Registry component exports URLs only). */
export function ecrRepositoryArn(url: string): string {
  const parsed = parseEcrRepositoryUrl(url);
  if (!parsed) throw new Error(`not an ECR repository URL: ${url}`);
  return `arn:${parsed.partition}:ecr:${parsed.region}:${parsed.account}:repository/${parsed.repository}`;
}

/** Pull-only access to one repository: a token for the registry, layers of that repository only. */
export function ecrPullPolicy(repositoryArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      // GetAuthorizationToken has no resource-level permissions: "*" is the only valid resource.
      { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      { Sid: "PullEdgeApp", Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: repositoryArn },
    ],
  });
}

/**
 * The Pi's pull identity: an IAM user that may only pull the edge-app repository, and its access
 * key as a credentials file (secret; lands on the Pi root-only 0600). Separate from the backup
 * identity so neither key can do the other's job.
 */
export function ecrPullCredentials(parent: pulumi.Resource, name: string, args: { repositoryUrl: pulumi.Input<string> }) {
  const url = pulumi.output(args.repositoryUrl);
  const user = new aws.iam.User(`${name}-edge-ecr-pull`, { path: "/edge/", forceDestroy: true }, { parent });
  new aws.iam.UserPolicy(`${name}-edge-ecr-pull`, { user: user.name, policy: url.apply((u) => ecrPullPolicy(ecrRepositoryArn(u))) }, { parent });
  const key = new aws.iam.AccessKey(`${name}-edge-ecr-pull`, { user: user.name }, { parent, additionalSecretOutputs: ["secret"] });
  const region = url.apply((u) => ecrRepositoryArn(u).split(":")[3]);
  const credentialsFile = pulumi.secret(
    pulumi.interpolate`[default]\naws_access_key_id = ${key.id}\naws_secret_access_key = ${key.secret}\nregion = ${region}\n`,
  );
  return { user, credentialsFile };
}
