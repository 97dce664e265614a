/** Region, account and repository name of an ECR repository URL (`<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>`). */
export function parseEcrRepositoryUrl(
  url: string,
): { registry: string; account: string; region: string; repository: string; partition: string } | undefined {
  const match =
    /^(?<account>\d{12})\.dkr\.ecr\.(?<region>[a-z0-9-]+)\.amazonaws\.com(?<cn>\.cn)?\/(?<repository>[a-z0-9][a-z0-9._/-]*)$/.exec(
      url,
    );
  if (!match?.groups) return undefined;
  const { account, region, repository, cn } = match.groups;
  const registry = url.split("/")[0];
  if (!registry || !account || !region || !repository) return undefined;
  return { registry, account, region, repository, partition: cn ? "aws-cn" : "aws" };
}

/** The repository's ARN, derived from its URL (the Registry component exports URLs only). */
export function ecrRepositoryArn(url: string): string {
  const parsed = parseEcrRepositoryUrl(url);
  if (!parsed) throw new Error(`not an ECR repository URL: ${url}`);
  return `arn:${parsed.partition}:ecr:${parsed.region}:${parsed.account}:repository/${parsed.repository}`;
}

/** Pull-only access to one repository: a token for the registry, layers of that repository only. */
export function ecrPullStatements(repositoryArn: string): Record<string, unknown>[] {
  return [
    // GetAuthorizationToken has no resource-level permissions: "*" is the only valid resource.
    { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    {
      Sid: "PullEdgeApp",
      Effect: "Allow",
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: repositoryArn,
    },
  ];
}
