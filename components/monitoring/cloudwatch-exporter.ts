import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { irsaRole } from "../irsa";
import { CHART_REPO } from "./release-values";

/**
 * YACE (yet-another-cloudwatch-exporter) turns the RDS and ElastiCache CloudWatch metrics the
 * data-tier alerts use (CLOUDWATCH_METRICS) into Prometheus series, with a read-only IRSA role.
 */

export const YACE_CHART = "prometheus-yet-another-cloudwatch-exporter";
/** Pinned; its values are checked against test/fixtures/charts/<chart>-<version>.values.yaml. */
export const YACE_CHART_VERSION = "0.47.0";
export const YACE_SERVICE_ACCOUNT = "cloudwatch-exporter";

/** Read-only CloudWatch and resource discovery by tags: the exporter's whole permission set. */
export const YACE_ACTIONS = [
  "cloudwatch:GetMetricData",
  "cloudwatch:GetMetricStatistics",
  "cloudwatch:ListMetrics",
  "tag:GetResources",
] as const;

/** YACE's discovery config: the statistics each data-tier alert reads, every 5 minutes (CloudWatch's own resolution for these). */
export function renderYaceConfig(region: string): string {
  const job = (type: string, metrics: [string, string][]) => ({
    type,
    regions: [region],
    period: 300,
    length: 300,
    metrics: metrics.map(([name, statistic]) => ({ name, statistics: [statistic] })),
  });
  return stringify({
    apiVersion: "v1alpha1",
    discovery: {
      jobs: [
        job("AWS/RDS", [
          ["CPUUtilization", "Average"],
          ["FreeStorageSpace", "Average"],
          ["DatabaseConnections", "Average"],
        ]),
        job("AWS/ElastiCache", [
          ["DatabaseMemoryUsagePercentage", "Average"],
          ["Evictions", "Sum"],
        ]),
      ],
    },
  });
}

/** What an add-on in the monitoring namespace with its own IRSA role needs (the exporter, Loki). */
export interface MonitoringAddonArgs {
  /** The monitoring namespace's name (the add-on's role trusts its service account there). */
  namespace: string;
  /** The Namespace resource's name output, so the add-on waits for the namespace. */
  namespaceResource: pulumi.Input<string>;
  region: string;
  oidcProviderArn: pulumi.Input<string>;
  oidcProviderUrl: pulumi.Input<string>;
  provider: k8s.Provider;
}

export type CloudWatchExporterArgs = MonitoringAddonArgs;

/** The chart's values: key paths checked against its values.yaml at YACE_CHART_VERSION. */
export function yaceValues(region: string, roleArn: pulumi.Input<string>): Record<string, unknown> {
  return {
    fullnameOverride: "cloudwatch-exporter",
    serviceAccount: {
      create: true,
      name: YACE_SERVICE_ACCOUNT,
      annotations: { "eks.amazonaws.com/role-arn": roleArn },
    },
    podSecurityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
    resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    serviceMonitor: { enabled: true, interval: "60s", timeout: "30s" },
    config: renderYaceConfig(region),
  };
}

/** The IRSA role (read-only CloudWatch) and the Helm release; the chart's ServiceMonitor makes Prometheus scrape it. */
export function cloudWatchExporter(
  parent: pulumi.Resource,
  name: string,
  args: CloudWatchExporterArgs,
  dependsOn: pulumi.Resource[],
): k8s.helm.v3.Release {
  const role = irsaRole(parent, `${name}-cloudwatch-exporter`, {
    oidcProviderArn: args.oidcProviderArn,
    oidcProviderUrl: args.oidcProviderUrl,
    namespace: args.namespace,
    serviceAccount: YACE_SERVICE_ACCOUNT,
  });
  new aws.iam.RolePolicy(
    `${name}-cloudwatch-exporter-read`,
    {
      role: role.name,
      // These read and list actions support no resource-level permissions.
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: [...YACE_ACTIONS], Resource: "*" }],
      }),
    },
    { parent },
  );
  return new k8s.helm.v3.Release(
    `${name}-cloudwatch-exporter`,
    {
      name: "cloudwatch-exporter",
      chart: YACE_CHART,
      version: YACE_CHART_VERSION,
      repositoryOpts: { repo: CHART_REPO },
      namespace: args.namespaceResource,
      createNamespace: false,
      cleanupOnFail: true,
      maxHistory: 10,
      values: yaceValues(args.region, role.arn),
    },
    { parent, provider: args.provider, dependsOn },
  );
}
