import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { CloudConfig } from "../config";
import { EDGE_APP_REPOSITORY } from "../config/schema";
import { AppPlatform } from "../components/app-platform";
import { Backups, BACKUP_PREFIXES } from "../components/backups";
import { Cache } from "../components/cache";
import { Cluster } from "../components/cluster";
import { Database, maxConnectionsFor } from "../components/database";
import { EdgeSiteAccess, EdgeTrustAnchor, type EdgeSiteCredentials } from "../components/edge-sites";
import { Monitoring } from "../components/monitoring";
import { Network, resolveZones } from "../components/network";
import { NetworkPolicies } from "../components/network-policies";
import { Ingress } from "../components/platform/ingress";
import {
  DISCOVERY_TAG,
  Karpenter,
  KARPENTER_HEALTH_PORT,
  KARPENTER_METRICS_PORT,
} from "../components/platform/karpenter";
import { tierCidrs } from "../components/subnet-layout";
import { Registry } from "../components/registry";
import { platformTags } from "../components/tags";
import { PROTECTED_TYPES, protectionTransforms } from "../components/protection";

/** What an edge stack reads from its cloud stack, by output name (the StackReference's contract). */
export const CLOUD_OUTPUTS_FOR_EDGE = [
  "region",
  "backupBucket",
  "repositoryUrls",
  "edgeSites",
  "edgeSiteCredentials",
  "edgeMetrics",
] as const;

/**
 * A cloud stack: VPC, EKS, RDS, ElastiCache, ECR, the backup bucket, monitoring, the app's
 * platform on the cluster, and for each Pi site it serves (`platform:edgeSites`) that site's
 * identity and metrics credential. It never contacts a Pi: no Docker or Command provider.
 */
export async function cloudStack(config: CloudConfig) {
  const name = `${config.project}-${config.stack}`;
  const awsProvider = new aws.Provider("aws", {
    region: config.region as aws.Region,
    defaultTags: { tags: platformTags(config) },
  });
  const opts = { providers: { aws: awsProvider } };
  // The copy outside the primary region (platform:dr): RDS automated backups and the backup bucket.
  const dr = config.dr.enabled
    ? {
        region: config.dr.region,
        retentionDays: config.dr.retentionDays,
        provider: new aws.Provider("aws-dr", {
          region: config.dr.region as aws.Region,
          defaultTags: { tags: platformTags(config) },
        }),
      }
    : undefined;

  const availabilityZoneNames = await resolveZones(
    config.region,
    config.network.availabilityZoneIds,
    config.network.azCount,
    awsProvider,
  );
  const network = new Network(
    name,
    {
      config: config.network,
      region: config.region,
      protect: config.protect,
      availabilityZoneNames,
      // The cluster is named like the stack (components/cluster.ts): Karpenter finds the node subnets by it.
      privateSubnetTags: config.karpenter.enabled ? { [DISCOVERY_TAG]: name } : undefined,
    },
    { ...opts, transforms: protectionTransforms(config.protect, PROTECTED_TYPES.network) },
  );
  const backups = new Backups(
    name,
    { config: config.backups, protect: config.protect, dr, region: config.region, edgeSites: config.edgeSites },
    opts,
  );
  const registry = new Registry(name, { config: config.registry, protect: config.protect }, opts);
  const cluster = new Cluster(
    name,
    {
      config: config.cluster,
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      publicSubnetIds: network.publicSubnetIds,
      protect: config.protect,
    },
    // The control plane only: the node groups and what the eks component manages stay replaceable.
    { ...opts, transforms: protectionTransforms(config.protect, PROTECTED_TYPES.cluster) },
  );
  const dataPlane = {
    vpcId: network.vpcId,
    subnetIds: network.isolatedSubnetIds,
    allowedSecurityGroupIds: [cluster.nodeSecurityGroupId],
    protect: config.protect,
  };
  const database = new Database(name, { config: config.database, ...dataPlane, dr }, opts);
  const cache = new Cache(name, { config: config.cache, ...dataPlane }, opts);
  const app = new AppPlatform(
    name,
    {
      provider: cluster.provider,
      oidcProviderArn: cluster.oidcProviderArn,
      oidcProviderUrl: cluster.oidcProviderUrl,
      database: {
        address: database.address,
        port: database.port,
        name: database.databaseName,
        arn: database.arn,
        resourceId: database.resourceId,
        masterSecretArn: database.masterSecretArn,
        appUser: config.database.appUser,
        dumpUser: config.database.dumpUser,
      },
      cache: { endpoint: cache.primaryEndpoint, port: cache.port, authToken: cache.authToken },
      backup: {
        bucketName: backups.bucketName,
        prefix: BACKUP_PREFIXES.db,
        writerPolicyArn: backups.dbWriterPolicyArn,
        region: config.region,
      },
      // The db-users Job runs on a node.
      dependsOn: cluster.workloadsReady,
    },
    opts,
  );
  const ingress = new Ingress(
    name,
    {
      config: config.ingress,
      provider: cluster.provider,
      clusterName: cluster.name,
      region: config.region,
      vpcId: network.vpcId,
      oidcProviderArn: cluster.oidcProviderArn,
      oidcProviderUrl: cluster.oidcProviderUrl,
      appNamespace: app.namespace,
      groupName: name,
      dependsOn: cluster.workloadsReady,
    },
    opts,
  );
  const monitoring = config.monitoring.enabled
    ? new Monitoring(
        name,
        {
          config: config.monitoring,
          provider: cluster.provider,
          storageClassName: cluster.storageClassName,
          clusterEndpoint: cluster.endpoint,
          clusterCaPem: cluster.certificateAuthorityPem,
          edgeSites: config.edgeSites,
          databaseMaxConnections: maxConnectionsFor(config.database.instanceClass),
          waitFor: cluster.workloadsReady,
          cloudWatch: {
            region: config.region,
            oidcProviderArn: cluster.oidcProviderArn,
            oidcProviderUrl: cluster.oidcProviderUrl,
          },
          protect: config.protect,
        },
        opts,
      )
    : undefined;
  const karpenter = config.karpenter.enabled
    ? new Karpenter(
        name,
        {
          config: config.karpenter,
          provider: cluster.provider,
          region: config.region,
          clusterName: cluster.name,
          clusterEndpoint: cluster.endpoint,
          oidcProviderArn: cluster.oidcProviderArn,
          oidcProviderUrl: cluster.oidcProviderUrl,
          nodeSecurityGroupId: cluster.nodeSecurityGroupId,
          systemNodeGroupName: cluster.systemNodeGroupName,
          nodeDiskGb: config.cluster.nodeDiskGb,
          tags: platformTags(config),
          // The whole Monitoring component: its release brings the ServiceMonitor and PrometheusRule CRDs.
          monitoring: monitoring ? { release: monitoring } : undefined,
          dependsOn: cluster.workloadsReady,
        },
        opts,
      )
    : undefined;
  new NetworkPolicies(
    name,
    {
      provider: cluster.provider,
      appNamespace: app.namespace,
      monitoringNamespace: monitoring?.namespace,
      publicSubnetCidrs: tierCidrs(config.network.cidr, "public", config.network.azCount),
      privateSubnetCidrs: tierCidrs(config.network.cidr, "private", config.network.azCount),
      karpenter: karpenter
        ? { namespace: karpenter.namespace, metricsPort: KARPENTER_METRICS_PORT, healthPort: KARPENTER_HEALTH_PORT }
        : undefined,
      dependsOn: cluster.workloadsReady,
    },
    opts,
  );
  const receiver = monitoring?.edgeRemoteWrite;
  // One CA and IAM Roles Anywhere trust anchor for all the stack's sites, made with the first (none without sites).
  let trustAnchor: EdgeTrustAnchor | undefined;
  const siteTrustAnchor = () => (trustAnchor ??= new EdgeTrustAnchor(name, {}, opts));
  // The Pis' public names' zone (platform:edgeDns), existing: each site's ACME role may change only its challenge record.
  const edgeZoneName = config.edgeDns.zoneName;
  const dnsZone = edgeZoneName
    ? {
        name: edgeZoneName,
        zoneId: aws.route53.getZoneOutput({ name: edgeZoneName, privateZone: false }, { provider: awsProvider }).zoneId,
      }
    : undefined;
  const sites = config.edgeSites.map(
    (site) =>
      new EdgeSiteAccess(
        `${name}-site-${site}`,
        {
          site,
          backup: { bucketArn: backups.bucketArn, kmsKeyArn: backups.kmsKeyArn },
          // Config validation guarantees the repository while sites are listed.
          appRepositoryUrl: registry.repositoryUrl(EDGE_APP_REPOSITORY),
          trustAnchor: siteTrustAnchor(),
          dnsZone,
          remoteWrite: receiver ? { receiver, provider: cluster.provider } : undefined,
        },
        opts,
      ),
  );

  return {
    region: config.region,
    vpcId: network.vpcId,
    publicSubnetIds: network.publicSubnetIds,
    privateSubnetIds: network.privateSubnetIds,
    isolatedSubnetIds: network.isolatedSubnetIds,
    clusterName: cluster.name,
    kubeconfig: cluster.kubeconfig,
    databaseEndpoint: database.endpoint,
    databaseSecretArn: database.masterSecretArn,
    cacheEndpoint: cache.primaryEndpoint,
    cacheAuthToken: cache.authToken,
    repositoryUrls: registry.repositoryUrls,
    backupBucket: backups.bucketName,
    appNamespace: app.namespace,
    appRoleArn: app.roleArn,
    appDumpRoleArn: app.dumpRoleArn,
    /** The IngressClass a Service's Ingress names to join the shared ALB; absent without platform:ingress.zoneName. */
    ...(ingress.ingressClassName ? { ingressClassName: ingress.ingressClassName } : {}),
    monitoringNamespace: monitoring?.namespace,
    grafanaAdminPassword: monitoring?.grafanaAdminPassword,
    /** The sites this stack serves: an edge stack whose site is not here refuses to run. */
    // backupTiers: the Pi writes under <prefix><daily|weekly|monthly>/, which the lifecycle keeps apart.
    // identity: the site's IAM Roles Anywhere trust anchor, profile, role and client certificate (the key is in edgeSiteCredentials).
    edgeSites: Object.fromEntries(
      sites.map((s) => [s.site, { backupPrefix: s.backupPrefix, backupTiers: backups.tiered, identity: s.identity }]),
    ),
    /** Per site: its IAM Roles Anywhere private key and metrics token (secret). */
    edgeSiteCredentials: pulumi.secret(
      pulumi.all(Object.fromEntries(sites.map((s) => [s.site, s.credentials]))) as pulumi.Output<
        Record<string, EdgeSiteCredentials>
      >,
    ),
    /** Where the Pis remote-write, and the CA they pin; absent without monitoring or sites. */
    edgeMetrics: receiver ? pulumi.all({ url: receiver.url, caPem: receiver.caPem }) : undefined,
  };
}
