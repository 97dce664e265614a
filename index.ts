import * as aws from "@pulumi/aws";
import { loadConfig } from "./config";
import { AppPlatform } from "./components/app-platform";
import { Backups, BACKUP_PREFIXES } from "./components/backups";
import { Cache } from "./components/cache";
import { Cluster } from "./components/cluster";
import { Database } from "./components/database";
import { Edge } from "./components/edge";
import { edgeSites, Monitoring } from "./components/monitoring";
import { Network } from "./components/network";
import { Registry } from "./components/registry";
import { platformTags } from "./components/tags";

const config = loadConfig();
const name = `${config.project}-${config.stack}`;

const awsProvider = new aws.Provider("aws", {
  region: config.region as aws.Region,
  defaultTags: { tags: platformTags(config) },
});
const opts = { providers: { aws: awsProvider } };

const network = new Network(name, { config: config.network, region: config.region }, opts);
const backups = new Backups(name, { config: config.backups, protect: config.protect }, opts);
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
  opts,
);
const dataPlane = {
  vpcId: network.vpcId,
  subnetIds: network.isolatedSubnetIds,
  allowedSecurityGroupIds: [cluster.nodeSecurityGroupId],
  protect: config.protect,
};
const database = new Database(name, { config: config.database, ...dataPlane }, opts);
const cache = new Cache(name, { config: config.cache, ...dataPlane }, opts);
const app = new AppPlatform(
  name,
  {
    provider: cluster.provider,
    oidcProviderArn: cluster.oidcProviderArn,
    oidcProviderUrl: cluster.oidcProviderUrl,
    database: { address: database.address, port: database.port, name: database.databaseName, masterSecretArn: database.masterSecretArn },
    cache: { endpoint: cache.primaryEndpoint, port: cache.port, authToken: cache.authToken },
    backup: { bucketName: backups.bucketName, prefix: BACKUP_PREFIXES.db, writerPolicyArn: backups.writerPolicyArns.db, region: config.region },
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
        edgeSites: edgeSites(config),
        waitFor: cluster.workloadsReady,
      },
      opts,
    )
  : undefined;
const edge = config.edge.enabled
  ? new Edge(
      name,
      {
        config: config.edge,
        backup: { bucketName: backups.bucketName, prefix: BACKUP_PREFIXES.edge, writerPolicyArn: backups.writerPolicyArns.edge, region: config.region },
        appRepositoryUrl: registry.repositoryUrls["edge-app"],
        remoteWrite: monitoring?.edgeRemoteWrite,
      },
      opts,
    )
  : undefined;

export const vpcId = network.vpcId;
export const publicSubnetIds = network.publicSubnetIds;
export const privateSubnetIds = network.privateSubnetIds;
export const isolatedSubnetIds = network.isolatedSubnetIds;
export const clusterName = cluster.name;
export const kubeconfig = cluster.kubeconfig;
export const databaseEndpoint = database.endpoint;
export const databaseSecretArn = database.masterSecretArn;
export const cacheEndpoint = cache.primaryEndpoint;
export const cacheAuthToken = cache.authToken;
export const repositoryUrls = registry.repositoryUrls;
export const backupBucket = backups.bucketName;
export const appNamespace = app.namespace;
export const appRoleArn = app.roleArn;
export const monitoringNamespace = monitoring?.namespace;
export const grafanaAdminPassword = monitoring?.grafanaAdminPassword;
export const edgeRemoteWriteUrl = monitoring?.edgeRemoteWrite?.url;
export const edgeUrl = edge?.url;
export const edgeHealthCheck = edge?.healthCheck;
