import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IngressConfig } from "../../config/schema";
import { irsaRole } from "../irsa";
import { externalDnsPolicy, loadBalancerControllerPolicy } from "./ingress-iam";

export const CONTROLLER_CHART = "aws-load-balancer-controller";
export const EXTERNAL_DNS_CHART = "external-dns";
const CONTROLLER_REPO = "https://aws.github.io/eks-charts";
const EXTERNAL_DNS_REPO = "https://kubernetes-sigs.github.io/external-dns/";
/** Both run beside the cluster's own add-ons (no default-deny there: the API server calls the controller's webhook). */
export const INGRESS_SYSTEM_NAMESPACE = "kube-system";
export const CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller";
export const EXTERNAL_DNS_SERVICE_ACCOUNT = "external-dns";
/** The IngressClass a product team names in its Ingress (docs/ship-a-service.md). */
export const INGRESS_CLASS = "alb";
/** TLS 1.3 and 1.2 with forward secrecy only. */
export const ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/** The AWS managed rule groups on the web ACL, in evaluation order (one WCU budget of 1500 holds all three: 700 + 200 + 25). */
export const WAF_MANAGED_RULE_GROUPS = [
  "AWSManagedRulesAmazonIpReputationList",
  "AWSManagedRulesKnownBadInputsRuleSet",
  "AWSManagedRulesCommonRuleSet",
] as const;

export interface IngressArgs {
  config: IngressConfig;
  /** The cluster's Kubernetes provider; both releases go through it. */
  provider: k8s.Provider;
  clusterName: pulumi.Input<string>;
  region: string;
  vpcId: pulumi.Input<string>;
  oidcProviderArn: pulumi.Input<string>;
  oidcProviderUrl: pulumi.Input<string>;
  /** The only namespace whose Ingresses may join the shared ALB (the app's). */
  appNamespace: pulumi.Input<string>;
  /** The stack's name (`<project>-<stack>`): the IngressGroup's name and ExternalDNS's TXT owner id. */
  groupName: string;
  /** Nodes to schedule on; the releases wait for them. */
  dependsOn: pulumi.Resource[];
}

/**
 * Traffic in: the AWS Load Balancer Controller on its own IRSA role, and with a Route 53 zone one
 * shared internet-facing ALB per environment (an IngressGroup on the `alb` IngressClass) with an
 * ACM certificate validated in that zone, HTTPS only (HTTP redirects), ExternalDNS writing records
 * in that zone only, and optionally a WAF web ACL. The ALB itself is made by the controller when
 * the first Ingress joins the group, so it is not a resource of this stack.
 */
export class Ingress extends pulumi.ComponentResource {
  readonly ingressClassName: string | undefined;
  readonly certificateArn: pulumi.Output<string> | undefined;
  readonly webAclArn: pulumi.Output<string> | undefined;

  constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:ingress:Ingress", name, {}, opts);
    const zone = args.config.zoneName ? this.zone(name, args.config.zoneName) : undefined;
    const webAcl = zone && args.config.waf ? this.webAcl(name) : undefined;
    const controllerRole = irsaRole(this, `${name}-lb-controller`, {
      oidcProviderArn: args.oidcProviderArn,
      oidcProviderUrl: args.oidcProviderUrl,
      namespace: INGRESS_SYSTEM_NAMESPACE,
      serviceAccount: CONTROLLER_SERVICE_ACCOUNT,
    });
    new aws.iam.RolePolicy(
      `${name}-lb-controller`,
      { role: controllerRole.name, policy: JSON.stringify(loadBalancerControllerPolicy()) },
      { parent: this },
    );
    const controller = new k8s.helm.v3.Release(
      `${name}-lb-controller`,
      {
        name: CONTROLLER_CHART,
        chart: CONTROLLER_CHART,
        version: args.config.controllerChartVersion,
        repositoryOpts: { repo: CONTROLLER_REPO },
        namespace: INGRESS_SYSTEM_NAMESPACE,
        // The chart's CRDs (IngressClassParams, TargetGroupBinding) come with the release.
        skipCrds: false,
        cleanupOnFail: true,
        maxHistory: 10,
        values: controllerValues({
          clusterName: args.clusterName,
          region: args.region,
          vpcId: args.vpcId,
          roleArn: controllerRole.arn,
          shared: zone
            ? {
                groupName: args.groupName,
                appNamespace: args.appNamespace,
                certificateArn: zone.certificateArn,
                webAclArn: webAcl?.arn,
              }
            : undefined,
        }),
      },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    if (zone) this.externalDns(name, args, zone, [controller, ...args.dependsOn]);
    this.ingressClassName = zone ? INGRESS_CLASS : undefined;
    this.certificateArn = zone?.certificateArn;
    this.webAclArn = webAcl?.arn;
    this.registerOutputs({
      ingressClassName: this.ingressClassName,
      certificateArn: this.certificateArn,
      webAclArn: this.webAclArn,
    });
  }

  /** The existing public zone, and a certificate for its apex and wildcard validated by DNS in it. */
  private zone(name: string, zoneName: string) {
    const zone = aws.route53.getZoneOutput({ name: zoneName, privateZone: false }, { parent: this });
    const certificate = new aws.acm.Certificate(
      `${name}-ingress`,
      {
        domainName: zoneName,
        subjectAlternativeNames: [`*.${zoneName}`],
        validationMethod: "DNS",
        keyAlgorithm: "EC_prime256v1",
      },
      { parent: this },
    );
    // ACM asks the apex and the wildcard for the same CNAME: one record validates both.
    const option = certificate.domainValidationOptions.apply((options) => {
      const found = options.find((o) => o.domainName === zoneName) ?? options[0];
      if (!found) throw new Error(`ACM gave no DNS validation record for the certificate of ${zoneName}`);
      return found;
    });
    const record = new aws.route53.Record(
      `${name}-ingress-validation`,
      {
        zoneId: zone.zoneId,
        name: option.apply((o) => o.resourceRecordName as string),
        type: option.apply((o) => o.resourceRecordType as string),
        records: [option.apply((o) => o.resourceRecordValue as string)],
        ttl: 300,
        allowOverwrite: true,
      },
      { parent: this },
    );
    const validation = new aws.acm.CertificateValidation(
      `${name}-ingress`,
      { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] },
      { parent: this },
    );
    return { zoneName, zoneId: zone.zoneId, zoneArn: zone.arn, certificateArn: validation.certificateArn };
  }

  /** A regional web ACL: allow by default, AWS managed rule groups block what they match. */
  private webAcl(name: string): aws.wafv2.WebAcl {
    const visibility = (metricName: string) => ({
      cloudwatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    return new aws.wafv2.WebAcl(
      `${name}-ingress`,
      {
        scope: "REGIONAL",
        description: `Shared ALB of ${name}: AWS managed rule groups`,
        defaultAction: { allow: {} },
        visibilityConfig: visibility(`${name}-ingress`),
        rules: WAF_MANAGED_RULE_GROUPS.map((group, i) => ({
          name: group,
          priority: (i + 1) * 10,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
          visibilityConfig: visibility(group),
        })),
      },
      { parent: this },
    );
  }

  private externalDns(
    name: string,
    args: IngressArgs,
    zone: { zoneName: string; zoneId: pulumi.Output<string> },
    dependsOn: pulumi.Resource[],
  ): void {
    const role = irsaRole(this, `${name}-external-dns`, {
      oidcProviderArn: args.oidcProviderArn,
      oidcProviderUrl: args.oidcProviderUrl,
      namespace: INGRESS_SYSTEM_NAMESPACE,
      serviceAccount: EXTERNAL_DNS_SERVICE_ACCOUNT,
    });
    new aws.iam.RolePolicy(
      `${name}-external-dns`,
      { role: role.name, policy: zone.zoneId.apply((id) => JSON.stringify(externalDnsPolicy(id))) },
      { parent: this },
    );
    new k8s.helm.v3.Release(
      `${name}-external-dns`,
      {
        name: EXTERNAL_DNS_CHART,
        chart: EXTERNAL_DNS_CHART,
        version: args.config.externalDnsChartVersion,
        repositoryOpts: { repo: EXTERNAL_DNS_REPO },
        namespace: INGRESS_SYSTEM_NAMESPACE,
        cleanupOnFail: true,
        maxHistory: 10,
        values: externalDnsValues({
          zoneName: zone.zoneName,
          zoneId: zone.zoneId,
          ownerId: args.groupName,
          roleArn: role.arn,
        }),
      },
      { parent: this, provider: args.provider, dependsOn },
    );
  }
}

/** The shared ALB's settings, when there is a zone. */
export interface SharedAlb {
  groupName: string;
  appNamespace: pulumi.Input<string>;
  certificateArn: pulumi.Input<string>;
  webAclArn?: pulumi.Input<string>;
}

/** The controller chart's values (every key checked against the chart's values.yaml by a test). */
export function controllerValues(args: {
  clusterName: pulumi.Input<string>;
  region: string;
  vpcId: pulumi.Input<string>;
  roleArn: pulumi.Input<string>;
  shared: SharedAlb | undefined;
}) {
  const { shared } = args;
  return {
    clusterName: args.clusterName,
    region: args.region,
    // Given, so the pods need no instance metadata (IMDSv2 hop limit 1 keeps pods away from it).
    vpcId: args.vpcId,
    replicaCount: 2,
    podDisruptionBudget: { maxUnavailable: 1 },
    serviceAccount: {
      create: true,
      name: CONTROLLER_SERVICE_ACCOUNT,
      annotations: { "eks.amazonaws.com/role-arn": args.roleArn },
    },
    resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    // The VPC CNI gives pods VPC addresses: the ALB targets pods directly (the app namespace's NetworkPolicy admits the public subnets).
    defaultTargetType: "ip",
    ingressClass: INGRESS_CLASS,
    // No zone, no certificate: no IngressClass, so nothing can make a public HTTP-only ALB.
    createIngressClassResource: shared !== undefined,
    ingressClassParams: shared
      ? {
          create: true,
          name: shared.groupName,
          spec: {
            // Only the app namespace's Ingresses may join the public ALB.
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": shared.appNamespace } },
            group: { name: shared.groupName },
            scheme: "internet-facing",
            targetType: "ip",
            certificateArn: [shared.certificateArn],
            sslPolicy: ALB_TLS_POLICY,
            sslRedirectPort: "443",
            ...(shared.webAclArn ? { wafv2AclArn: shared.webAclArn } : {}),
          },
        }
      : { create: false },
  };
}

/**
 * ExternalDNS's values. Policy `sync`: records of a deleted Ingress are deleted too, so no name
 * keeps pointing at a load balancer that is gone; the TXT registry (owner id: the stack) limits
 * deletes to records this instance created, and the zone-id filter and the IAM policy keep it in
 * the one zone.
 */
export function externalDnsValues(args: {
  zoneName: string;
  zoneId: pulumi.Input<string>;
  ownerId: string;
  roleArn: pulumi.Input<string>;
}) {
  return {
    provider: { name: "aws" },
    serviceAccount: {
      create: true,
      name: EXTERNAL_DNS_SERVICE_ACCOUNT,
      annotations: { "eks.amazonaws.com/role-arn": args.roleArn },
    },
    resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    sources: ["ingress"],
    policy: "sync",
    registry: "txt",
    txtOwnerId: args.ownerId,
    domainFilters: [args.zoneName],
    extraArgs: [pulumi.interpolate`--zone-id-filter=${args.zoneId}`, "--aws-zone-type=public"],
  };
}
