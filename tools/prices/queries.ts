/**
 * Which AWS Price List product each figure of cost/prices.json is, as a GetProducts query.
 *
 * Attribute names and values follow the Price List's product attributes (regionCode, instanceType,
 * operatingSystem, ...). Where a usage type carries a region prefix that differs by service and
 * region ("NatGateway-Hours" in us-east-1, "EU-NatGateway-Hours" in eu-west-1), the filter is
 * CONTAINS on the part without the prefix, or an exact match with the region's prefix where
 * CONTAINS would also catch a sibling (WAF, load balancers: USAGE_PREFIX). The tool refuses a
 * query that still matches several prices, so a filter that is too loose fails loudly instead of
 * picking one.
 */
import type { PriceFilter, PriceQuery } from "../../cost/prices";

/** The sections priced per class (instance type, DB instance class, cache node type), as `--add` names them. */
export const CLASS_SECTIONS = ["ec2", "rdsPostgres", "elasticache"] as const;
export type ClassSection = (typeof CLASS_SECTIONS)[number];

/** Every per-class section of a table, and the section whose classes it prices (Multi-AZ each RDS class, Valkey each node type). */
export const CLASS_TABLES = {
  ec2: "ec2",
  rdsPostgres: "rdsPostgres",
  rdsPostgresMultiAz: "rdsPostgres",
  elasticache: "elasticache",
  elasticacheValkey: "elasticache",
} as const satisfies Record<string, ClassSection>;
export type ClassTable = keyof typeof CLASS_TABLES;

/** How one figure is fetched: its query, the unit it is stored in, the API units that mean that unit. */
export interface FetchedFigure {
  kind: "fetched";
  /** The unit written to the file (what the estimate multiplies by). */
  unit: string;
  /** pricePerUnit units of the Price List that mean `unit` (a price in any other unit is refused). */
  apiUnits: readonly string[];
  /**
   * Tiered prices (S3 storage): take the first paid tier (the lowest beginRange among the non-zero
   * prices). Without it, several price dimensions for one product are an ambiguity.
   */
  firstPaidTier?: boolean;
  /** A caveat that stays true whatever the price (what the figure leaves out). */
  note?: string;
  query(region: string, name: string): PriceQuery;
}

/** A figure the Price List has no product for (an assumption, or a documented zero): kept as it is in the file. */
export interface KeptFigure {
  kind: "kept";
  why: string;
}

export type FigureSpec = FetchedFigure | KeptFigure;

const HOURS = ["Hrs", "Hours", "hours", "Hour"];
const GB_MONTH = ["GB-Mo", "GB-month", "GB-Month"];
const GB = ["GB"];

const term = (field: string, value: string): PriceFilter => ({ type: "TERM_MATCH", field, value });
const contains = (field: string, value: string): PriceFilter => ({ type: "CONTAINS", field, value });

/** A query with its filters sorted by field, as the file stores it. */
export function query(serviceCode: string, ...filters: PriceFilter[]): PriceQuery {
  return {
    serviceCode,
    filters: [...filters].sort((a, b) => a.field.localeCompare(b.field) || a.type.localeCompare(b.type)),
  };
}

/**
 * The usage-type region prefix AWS uses (WAF's "USE1-WebACLV2"; EC2-era services leave it out in
 * us-east-1). WAF's and ELB's usage types need it: CONTAINS "WebACLV2" would also match
 * "USE1-ShieldProtected-WebACLV2".
 */
export const USAGE_PREFIX: Readonly<Record<string, string>> = {
  "us-east-1": "USE1",
  "us-east-2": "USE2",
  "us-west-1": "USW1",
  "us-west-2": "USW2",
  "ca-central-1": "CAN1",
  "eu-central-1": "EUC1",
  "eu-central-2": "EUC2",
  "eu-west-1": "EU",
  "eu-west-2": "EUW2",
  "eu-west-3": "EUW3",
  "eu-north-1": "EUN1",
  "eu-south-1": "EUS1",
  "ap-northeast-1": "APN1",
  "ap-northeast-2": "APN2",
  "ap-northeast-3": "APN3",
  "ap-southeast-1": "APS1",
  "ap-southeast-2": "APS2",
  "ap-south-1": "APS3",
  "ap-east-1": "APE1",
  "sa-east-1": "SAE1",
  "me-south-1": "MES1",
  "af-south-1": "AFS1",
};

function usagePrefix(region: string): string {
  const prefix = Object.hasOwn(USAGE_PREFIX, region) ? USAGE_PREFIX[region] : undefined;
  if (prefix === undefined)
    throw new Error(
      `no usage-type prefix known for region "${region}" (WAF and load balancer figures need one); add it to USAGE_PREFIX in tools/prices/queries.ts`,
    );
  return prefix;
}

/** EC2-era services (EC2, ELB) write us-east-1's usage types without a prefix ("LoadBalancerUsage"), others with one. */
const legacyUsagePrefix = (region: string) => (region === "us-east-1" ? "" : `${usagePrefix(region)}-`);

const region = (r: string) => term("regionCode", r);

/** Regional products only: not Outposts or Local Zones, which share a region's code or name. */
const inRegion = term("locationType", "AWS Region");

const ec2Instance: FetchedFigure = {
  kind: "fetched",
  unit: "instance-hour",
  apiUnits: HOURS,
  query: (r, instanceType) =>
    query(
      "AmazonEC2",
      region(r),
      inRegion,
      term("instanceType", instanceType),
      term("operatingSystem", "Linux"),
      term("tenancy", "Shared"),
      term("preInstalledSw", "NA"),
      term("capacitystatus", "Used"),
      term("licenseModel", "No License required"),
    ),
};

const rdsPostgres = (deployment: "Single-AZ" | "Multi-AZ"): FetchedFigure => ({
  kind: "fetched",
  unit: "instance-hour",
  apiUnits: HOURS,
  ...(deployment === "Multi-AZ" ? { note: "Multi-AZ DB instance: the primary and one standby" } : {}),
  query: (r, instanceClass) =>
    query(
      "AmazonRDS",
      region(r),
      inRegion,
      term("productFamily", "Database Instance"),
      term("instanceType", instanceClass),
      term("databaseEngine", "PostgreSQL"),
      term("deploymentOption", deployment),
      term("licenseModel", "No license required"),
      // The instance-hour itself, not other products of the class (Extended Support, for one).
      contains("usagetype", deployment === "Multi-AZ" ? "Multi-AZUsage:" : "InstanceUsage:"),
    ),
});

const elasticache = (engine: "Redis" | "Valkey"): FetchedFigure => ({
  kind: "fetched",
  unit: "node-hour",
  apiUnits: HOURS,
  note: engine === "Redis" ? "Redis OSS" : "Valkey",
  query: (r, nodeType) =>
    query(
      "AmazonElastiCache",
      region(r),
      term("productFamily", "Cache Instance"),
      term("instanceType", nodeType),
      term("cacheEngine", engine),
      inRegion,
      contains("usagetype", "NodeUsage:"),
    ),
});

const rdsGp3 = (deployment: "Single-AZ" | "Multi-AZ", usage: string): FetchedFigure => ({
  kind: "fetched",
  unit: "GB-month",
  apiUnits: GB_MONTH,
  query: (r) =>
    query(
      "AmazonRDS",
      region(r),
      inRegion,
      term("productFamily", "Database Storage"),
      term("volumeType", "General Purpose-GP3"),
      term("deploymentOption", deployment),
      contains("usagetype", usage),
    ),
});

/**
 * A load balancer's hour. Exact usage type: CONTAINS "LoadBalancerUsage" would also match the
 * trust store's "TS-LoadBalancerUsage".
 */
const loadBalancer = (family: string, note: string): FetchedFigure => ({
  kind: "fetched",
  unit: "load-balancer-hour",
  apiUnits: HOURS,
  note,
  query: (r) =>
    query(
      "AWSELB",
      region(r),
      term("productFamily", family),
      inRegion,
      term("usagetype", `${legacyUsagePrefix(r)}LoadBalancerUsage`),
    ),
});

/** Every fixed figure of a region's table by its path; class sections are in CLASS_FIGURES. */
export const FIXED_FIGURES: Readonly<Record<string, FigureSpec>> = {
  "eks.standardSupportHour": {
    kind: "fetched",
    unit: "cluster-hour",
    apiUnits: HOURS,
    query: (r) => query("AmazonEKS", region(r), contains("usagetype", "AmazonEKS-Hours:perCluster")),
  },
  "eks.extendedSupportSurchargeHour": {
    kind: "fetched",
    unit: "cluster-hour",
    apiUnits: HOURS,
    note: "on top of the standard cluster-hour once the version leaves standard support; the AWS API defaults upgradePolicy to EXTENDED",
    query: (r) => query("AmazonEKS", region(r), contains("usagetype", "AmazonEKS-Hours:extendedSupport")),
  },
  spotDiscount: { kind: "kept", why: "an assumption: Spot prices move hourly per AZ and are not in the Price List" },
  ebsGp3GbMonth: {
    kind: "fetched",
    unit: "GB-month",
    apiUnits: GB_MONTH,
    note: "baseline 3000 IOPS / 125 MB/s included",
    query: (r) =>
      query("AmazonEC2", region(r), inRegion, term("productFamily", "Storage"), term("volumeApiName", "gp3")),
  },
  "natGateway.hour": {
    kind: "fetched",
    unit: "gateway-hour",
    apiUnits: HOURS,
    query: (r) =>
      query("AmazonEC2", region(r), term("productFamily", "NAT Gateway"), contains("usagetype", "NatGateway-Hours")),
  },
  "natGateway.processedGb": {
    kind: "fetched",
    unit: "GB processed",
    apiUnits: GB,
    query: (r) =>
      query("AmazonEC2", region(r), term("productFamily", "NAT Gateway"), contains("usagetype", "NatGateway-Bytes")),
  },
  publicIpv4Hour: {
    kind: "fetched",
    unit: "address-hour",
    apiUnits: HOURS,
    note: "in use or idle",
    query: (r) => query("AmazonVPC", region(r), contains("usagetype", "PublicIPv4:InUseAddress")),
  },
  "rdsGp3GbMonth.singleAz": rdsGp3("Single-AZ", "RDS:GP3-Storage"),
  "rdsGp3GbMonth.multiAz": rdsGp3("Multi-AZ", "RDS:Multi-AZ-GP3-Storage"),
  performanceInsightsFreeTier: { kind: "kept", why: "a free tier (7 days of retention), not a Price List product" },
  s3StandardGbMonth: {
    kind: "fetched",
    unit: "GB-month",
    apiUnits: GB_MONTH,
    firstPaidTier: true,
    note: "S3 Standard, first tier (first 50 TB); objects the lifecycle moves to colder classes cost less, so this is an upper bound",
    query: (r) =>
      query(
        "AmazonS3",
        region(r),
        term("productFamily", "Storage"),
        term("storageClass", "General Purpose"),
        term("volumeType", "Standard"),
      ),
  },
  ecrGbMonth: {
    kind: "fetched",
    unit: "GB-month",
    apiUnits: GB_MONTH,
    // Image storage (storageType S3), not ECR's other stored products.
    query: (r) =>
      query("AmazonECR", region(r), term("storageType", "S3"), contains("usagetype", "TimedStorage-ByteHrs")),
  },
  "logs.ingestedGb": {
    kind: "fetched",
    unit: "GB ingested",
    apiUnits: GB,
    query: (r) =>
      query(
        "AmazonCloudWatch",
        region(r),
        term("productFamily", "Data Payload"),
        contains("usagetype", "DataProcessing-Bytes"),
      ),
  },
  "logs.storedGbMonth": {
    kind: "fetched",
    unit: "GB-month",
    apiUnits: GB_MONTH,
    query: (r) =>
      query(
        "AmazonCloudWatch",
        region(r),
        term("productFamily", "Storage Snapshot"),
        contains("usagetype", "TimedStorage-ByteHrs"),
      ),
  },
  kmsKeyMonth: {
    kind: "fetched",
    unit: "key-month",
    apiUnits: ["Keys", "Key-Mo", "Months", "Month"],
    firstPaidTier: true,
    note: "requests not included",
    query: (r) =>
      query("awskms", region(r), term("productFamily", "Encryption Key"), contains("usagetype", "KMS-Keys")),
  },
  secretsManagerSecretMonth: {
    kind: "fetched",
    unit: "secret-month",
    apiUnits: ["Secrets", "Secret-Mo", "Months", "Month"],
    note: "API calls not included",
    query: (r) =>
      query(
        "AWSSecretsManager",
        region(r),
        term("productFamily", "Secret"),
        contains("usagetype", "AWSSecretsManager-Secrets"),
      ),
  },
  interfaceEndpointAzHour: {
    kind: "fetched",
    unit: "endpoint-AZ-hour",
    apiUnits: HOURS,
    note: "data processed (per GB) not included",
    query: (r) =>
      query("AmazonVPC", region(r), term("productFamily", "VpcEndpoint"), contains("usagetype", "VpcEndpoint-Hours")),
  },
  gatewayEndpoint: { kind: "kept", why: "gateway endpoints have no charge (AWS documentation), no Price List product" },
  "loadBalancerHour.application": loadBalancer("Load Balancer-Application", "capacity units (LCU) not included"),
  "loadBalancerHour.network": loadBalancer("Load Balancer-Network", "capacity units (NLCU) not included"),
  "waf.webAclMonth": {
    kind: "fetched",
    unit: "web-ACL-month",
    apiUnits: ["WebACL", "WebACLs", "Months", "Month"],
    note: "requests not included: the estimate assumes no traffic",
    query: (r) => query("awswaf", region(r), term("usagetype", `${usagePrefix(r)}-WebACLV2`)),
  },
  "waf.ruleMonth": {
    kind: "fetched",
    unit: "rule-month",
    apiUnits: ["Rule", "Rules", "Months", "Month"],
    note: "a managed rule group counts as one rule",
    query: (r) => query("awswaf", region(r), term("usagetype", `${usagePrefix(r)}-RuleV2`)),
  },
  cloudwatchAlarmMonth: {
    kind: "fetched",
    unit: "alarm-month",
    apiUnits: ["Alarms", "Alarm", "Alarm-Mo"],
    firstPaidTier: true,
    note: "standard resolution, per alarm metric (the account's 10 free alarms not deducted)",
    query: (r) => query("AmazonCloudWatch", region(r), term("productFamily", "Alarm"), term("alarmType", "Standard")),
  },
};

/** The spec of every class in a per-class section. */
export const CLASS_FIGURES: Readonly<Record<ClassTable, FetchedFigure>> = {
  ec2: ec2Instance,
  rdsPostgres: rdsPostgres("Single-AZ"),
  rdsPostgresMultiAz: rdsPostgres("Multi-AZ"),
  elasticache: elasticache("Redis"),
  elasticacheValkey: elasticache("Valkey"),
};

export const isClassSection = (section: string): section is ClassSection =>
  (CLASS_SECTIONS as readonly string[]).includes(section);

export const isClassTable = (section: string): section is ClassTable => Object.hasOwn(CLASS_TABLES, section);

/** The spec of the figure at `path` ("natGateway.hour", or "ec2" with the class name), or undefined when unknown. */
export function specFor(path: string, name?: string): FigureSpec | undefined {
  if (name !== undefined) return isClassTable(path) ? CLASS_FIGURES[path] : undefined;
  return Object.hasOwn(FIXED_FIGURES, path) ? FIXED_FIGURES[path] : undefined;
}
