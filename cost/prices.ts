/**
 * On-demand list prices the stacks need, per region, each with where it was found and when.
 *
 * The figures live in cost/prices.json, which `npm run prices:update` refreshes from the AWS Price
 * List API (docs/cost.md): each figure carries the GetProducts query that finds it, the date it
 * was taken and its source. Figures not yet refreshed keep the source they were first taken from
 * (AWS pages, Infracost's test data, third-party tables marked "unverified"); the assumption (the
 * Spot discount) and documented zeros have no Price List product and no query.
 * To price another region or class: `npm run prices:update -- --region R` or
 * `--add ec2:TYPE|rdsPostgres:CLASS|elasticache:NODE`. Nothing is fetched at run time: this module
 * reads and checks the committed file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";

/** One GetProducts filter, as the API takes it. */
export interface PriceFilter {
  type: "TERM_MATCH" | "CONTAINS" | "EQUALS" | "ANY_OF" | "NONE_OF";
  field: string;
  value: string;
}

/** The AWS Price List query (pricing:GetProducts) that finds a figure. */
export interface PriceQuery {
  serviceCode: string;
  filters: PriceFilter[];
}

/** One price: US dollars per `unit`, its source (a URL, plus what it says where useful) and the date it was taken. */
export interface Price {
  usd: number;
  unit: string;
  source: string;
  date: string;
  /** Caveats: unverified figures, what is not included. */
  note?: string;
  /** The Price List query behind the figure (what `npm run prices:update` asks). */
  query?: PriceQuery;
  /** Set when the figure came from the Price List: the product's SKU and the price's own description. */
  sku?: string;
  description?: string;
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
  /**
   * The EKS control plane per cluster-hour; a version in extended support pays the surcharge on
   * top (the Price List bills it as a separate usage type).
   */
  eks: { standardSupportHour: Price; extendedSupportSurchargeHour: Price };
  /** EC2 Linux on-demand, per instance-hour, by instance type. */
  ec2: Record<string, Price>;
  /** Assumed average Spot discount from the on-demand price. */
  spotDiscount: Assumption;
  ebsGp3GbMonth: Price;
  natGateway: { hour: Price; processedGb: Price };
  publicIpv4Hour: Price;
  /** RDS PostgreSQL single-AZ per instance-hour, by class. */
  rdsPostgres: Record<string, Price>;
  /** RDS PostgreSQL Multi-AZ (one standby) per instance-hour, by class: the same classes as `rdsPostgres`. */
  rdsPostgresMultiAz: Record<string, Price>;
  rdsGp3GbMonth: { singleAz: Price; multiAz: Price };
  /** Performance Insights with 7 days of retention. */
  performanceInsightsFreeTier: Price;
  /** ElastiCache (Redis OSS) on-demand per node-hour, by node type. */
  elasticache: Record<string, Price>;
  /** ElastiCache for Valkey on-demand per node-hour, by node type: the same node types as `elasticache`. */
  elasticacheValkey: Record<string, Price>;
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

/** cost/prices.json: what it is, and the table per AWS region. */
export interface PricesFile {
  about: string;
  regions: Record<string, RegionPrices>;
}

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "a date YYYY-MM-DD" });
const filterSchema = z.strictObject({
  type: z.enum(["TERM_MATCH", "CONTAINS", "EQUALS", "ANY_OF", "NONE_OF"]),
  field: z.string().min(1),
  value: z.string(),
});
const querySchema = z.strictObject({ serviceCode: z.string().min(1), filters: z.array(filterSchema).min(1) });
const priceSchema = z.strictObject({
  usd: z.number().nonnegative(),
  unit: z.string().min(1),
  source: z.string().min(1),
  date,
  note: z.string().optional(),
  query: querySchema.optional(),
  sku: z.string().optional(),
  description: z.string().optional(),
});
const assumptionSchema = z.strictObject({
  fraction: z.number().nonnegative(),
  unit: z.string().min(1),
  source: z.string().min(1),
  date,
  note: z.string().min(1),
});
const byClass = z.record(z.string(), priceSchema);
const regionSchema = z.strictObject({
  eks: z.strictObject({ standardSupportHour: priceSchema, extendedSupportSurchargeHour: priceSchema }),
  ec2: byClass,
  spotDiscount: assumptionSchema,
  ebsGp3GbMonth: priceSchema,
  natGateway: z.strictObject({ hour: priceSchema, processedGb: priceSchema }),
  publicIpv4Hour: priceSchema,
  rdsPostgres: byClass,
  rdsPostgresMultiAz: byClass,
  rdsGp3GbMonth: z.strictObject({ singleAz: priceSchema, multiAz: priceSchema }),
  performanceInsightsFreeTier: priceSchema,
  elasticache: byClass,
  elasticacheValkey: byClass,
  s3StandardGbMonth: priceSchema,
  ecrGbMonth: priceSchema,
  logs: z.strictObject({ ingestedGb: priceSchema, storedGbMonth: priceSchema }),
  kmsKeyMonth: priceSchema,
  secretsManagerSecretMonth: priceSchema,
  interfaceEndpointAzHour: priceSchema,
  gatewayEndpoint: priceSchema,
  loadBalancerHour: z.strictObject({ application: priceSchema, network: priceSchema }),
  waf: z.strictObject({ webAclMonth: priceSchema, ruleMonth: priceSchema }),
  cloudwatchAlarmMonth: priceSchema,
});
const fileSchema: z.ZodType<PricesFile> = z.strictObject({
  about: z.string(),
  regions: z.record(z.string(), regionSchema),
});

/** Where the committed prices are. */
export const PRICES_FILE = path.join(__dirname, "prices.json");

/** Parses and checks a prices file's text; every problem at once, each with its JSON path. */
export function parsePrices(text: string, file = PRICES_FILE): PricesFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  const result = fileSchema.safeParse(data);
  if (!result.success)
    throw new Error(
      `${file}: ${result.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")}`,
    );
  return result.data;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Prices by AWS region. Only the regions the stacks use are priced; others are an error. */
export const PRICES: Readonly<Record<string, RegionPrices>> = deepFreeze(
  parsePrices(fs.readFileSync(PRICES_FILE, "utf8")).regions,
);

/** Hours in the month the estimate prices (AWS's own calculator convention). */
export const HOURS_PER_MONTH = 730;

/** The price table for a region, or an error naming the regions that are priced. */
export function pricesFor(region: string): RegionPrices {
  const table = Object.hasOwn(PRICES, region) ? PRICES[region] : undefined;
  if (!table)
    throw new Error(
      `no prices for region "${region}"; priced regions: ${Object.keys(PRICES).join(", ")} (add it with npm run prices:update -- --region ${region}, docs/cost.md)`,
    );
  return table;
}
