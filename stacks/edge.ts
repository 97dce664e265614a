import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, type EdgeStackConfig } from "../config";
import { EDGE_APP_REPOSITORY } from "../config/schema";
import { Edge, type EdgeMetricsTarget } from "../components/edge";
import { OFFLINE_PLAN_ENV, probeSsh } from "../components/edge/reachability";
import type { EdgeSiteCredentials } from "../components/edge-sites";
import type { SiteIdentity } from "../components/edge/identity";
import { platformTags } from "../components/tags";

/** The resource name of the reference to the cloud stack. */
export const CLOUD_STACK_REFERENCE = "cloud-stack";

/** The cloud stack must list this site; otherwise nothing is created (and the message says where to add it). */
async function requireSite(ref: pulumi.StackReference, config: EdgeStackConfig): Promise<void> {
  const details = await ref.getOutputDetails("edgeSites");
  const sites = Object.keys((details.value ?? {}) as Record<string, unknown>);
  if (!sites.includes(config.edge.site))
    throw new ConfigError([
      `platform:edge.site: got ${JSON.stringify(config.edge.site)}; expected a site that stack ${config.cloudStack.name} serves ` +
        `(its platform:edgeSites: ${sites.length ? sites.join(", ") : "none"}); add it there and run \`pulumi up\` on that stack first`,
    ]);
  // A cloud stack from before IAM Roles Anywhere gave its sites access keys, which the Pi no longer uses.
  const site = (details.value as Record<string, { identity?: SiteIdentity }>)[config.edge.site];
  if (site?.identity === undefined)
    throw new ConfigError([
      `platform:edge.site: stack ${config.cloudStack.name} serves ${JSON.stringify(config.edge.site)} but gives it no IAM Roles Anywhere identity ` +
        "(its edgeSites output has no identity); run `pulumi up` on that stack first",
    ]);
  const problems = acmeProblems(config, site.identity);
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * With edge.acme, the cloud stack must have given the site an ACME role (its platform:edgeDns
 * zone), and the Pi's name must be the one that role may validate: every problem at once.
 */
export function acmeProblems(config: EdgeStackConfig, identity: SiteIdentity): string[] {
  const { edge } = config;
  if (!edge.acme) return [];
  const cloud = config.cloudStack.name;
  if (!identity.acme)
    return [
      `platform:edge.acme: got an ACME contact; expected no ACME while stack ${cloud} names no zone for its Pis: ` +
        `set platform:edgeDns.zoneName there (e.g. pulumi config set --path -s ${config.cloudStack.stack} platform:edgeDns.zoneName example.com) ` +
        "and run `pulumi up` on it, or unset platform:edge.acme",
    ];
  if (edge.host !== identity.acme.name)
    return [
      `platform:edge.host: got ${JSON.stringify(edge.host)}; expected ${JSON.stringify(identity.acme.name)} while platform:edge.acme is set: ` +
        `the certificate is for the site's name in stack ${cloud}'s zone, the one name its ACME role may validate`,
    ];
  return [];
}

/**
 * An edge stack: one Pi site. It reads what the cloud stack made for the site (identity, metrics
 * credential, bucket, registry) through a StackReference, checks that the cloud stack serves the
 * site and that the Pi answers on SSH, then prepares the host and runs its containers. It creates
 * no AWS network, cluster, database or cache; a Pi that is off fails this stack alone, quickly.
 */
export async function edgeStack(config: EdgeStackConfig) {
  const { edge } = config;
  const ref = new pulumi.StackReference(CLOUD_STACK_REFERENCE, { name: config.cloudStack.name });
  await requireSite(ref, config);
  if (process.env[OFFLINE_PLAN_ENV] !== "1")
    await probeSsh(edge.host, edge.port, { timeoutMs: edge.sshProbeTimeoutSeconds * 1000 });

  const region = ref.requireOutput("region") as pulumi.Output<string>;
  const repositoryUrls = ref.requireOutput("repositoryUrls") as pulumi.Output<Record<string, string>>;
  const credentials = ref.requireOutput("edgeSiteCredentials") as pulumi.Output<Record<string, EdgeSiteCredentials>>;
  // The provider is needed only to look up the newest image when none is pinned.
  const awsProvider = edge.appImage
    ? undefined
    : new aws.Provider("aws", {
        region: region as pulumi.Output<aws.Region>,
        defaultTags: { tags: platformTags(config) },
      });

  // Named by environment, as the Pi's resources were named in the cloud stack: `pulumi state move` keeps them.
  const component = new Edge(`${config.project}-${config.environment}`, {
    config: edge,
    cloud: {
      region,
      backupBucket: ref.requireOutput("backupBucket") as pulumi.Output<string>,
      appRepositoryUrl: repositoryUrls.apply((urls) => {
        const url = urls[EDGE_APP_REPOSITORY];
        if (url === undefined)
          throw new Error(
            `stack ${config.cloudStack.name} exports no "${EDGE_APP_REPOSITORY}" repository: add it to its platform:registry.repositories`,
          );
        return url;
      }),
      credentials: pulumi.secret(
        credentials.apply((all) => {
          const site = all[edge.site];
          if (site === undefined)
            throw new Error(`stack ${config.cloudStack.name} exports no credentials for edge site ${edge.site}`);
          return site;
        }),
      ),
      // requireSite checked that the cloud stack gives the site an identity.
      identity: (ref.requireOutput("edgeSites") as pulumi.Output<Record<string, { identity?: SiteIdentity }>>).apply(
        (sites) => {
          const identity = sites[edge.site]?.identity;
          if (identity === undefined)
            throw new Error(
              `stack ${config.cloudStack.name} exports no IAM Roles Anywhere identity for edge site ${edge.site}`,
            );
          return identity;
        },
      ),
      metrics: ref.getOutput("edgeMetrics") as pulumi.Output<EdgeMetricsTarget | undefined>,
      // Tiers are the cloud stack's retention decision; a cloud stack from before them has none.
      backupTiers: (ref.requireOutput("edgeSites") as pulumi.Output<Record<string, { backupTiers?: boolean }>>).apply(
        (sites) => sites[edge.site]?.backupTiers === true,
      ),
    },
    awsProvider,
    environment: config.environment,
  });

  return {
    site: edge.site,
    cloudStack: config.cloudStack.name,
    edgeUrl: component.url,
    edgeHealthCheck: component.healthCheck,
    edgeAppImage: component.appImage,
    edgeAppImageSource: component.appImageSource,
    edgeAppImageChoice: component.appImageChoice,
  };
}
