import { HOURS_PER_MONTH } from "../prices";
import {
  asNumber,
  asString,
  lookup,
  line,
  lines,
  unpriced,
  type CostResource,
  type LineDraft,
  type Outcome,
  type PricingContext,
} from "../types";

/** Free Performance Insights retention, days. */
const PI_FREE_DAYS = 7;
const DAYS_PER_MONTH = 30;

export function rdsInstance(r: CostResource, ctx: PricingContext): Outcome {
  const p = ctx.prices;
  const engine = asString(r.inputs.engine) ?? "unknown";
  const instanceClass = asString(r.inputs.instanceClass) ?? "unknown";
  if (!engine.startsWith("postgres")) return unpriced(`prices are for RDS PostgreSQL, not ${engine}`);
  const multiAz = r.inputs.multiAz === true;
  const hourly = lookup(multiAz ? p.rdsPostgresMultiAz : p.rdsPostgres, instanceClass);
  if (!hourly) return unpriced(`no RDS PostgreSQL ${multiAz ? "Multi-AZ " : ""}price for ${instanceClass}`);
  const storageGb = asNumber(r.inputs.allocatedStorage) ?? 20;
  const storageType = asString(r.inputs.storageType) ?? "gp2";
  const drafts: LineDraft[] = [
    line(`RDS PostgreSQL ${instanceClass} ${multiAz ? "Multi-AZ" : "single-AZ"}`, HOURS_PER_MONTH, hourly),
  ];
  const problems: string[] = [];
  if (storageType === "gp3") {
    const storage = multiAz ? p.rdsGp3GbMonth.multiAz : p.rdsGp3GbMonth.singleAz;
    const ceiling = asNumber(r.inputs.maxAllocatedStorage);
    const grows = ceiling && ceiling > storageGb ? " (autoscaling not included)" : "";
    drafts.push(line(`RDS gp3 storage${multiAz ? " Multi-AZ" : ""}${grows}`, storageGb, storage));
  } else problems.push(`no price for ${storageType} storage`);
  if (r.inputs.manageMasterUserPassword === true)
    drafts.push(line("Secrets Manager secret (managed master password)", 1, p.secretsManagerSecretMonth));
  if (r.inputs.performanceInsightsEnabled === true) {
    const days = asNumber(r.inputs.performanceInsightsRetentionPeriod) ?? PI_FREE_DAYS;
    if (days <= PI_FREE_DAYS)
      drafts.push(line("Performance Insights (7-day free tier)", 1, p.performanceInsightsFreeTier));
    else
      problems.push(
        `Performance Insights retention of ${days} days is beyond the free tier and not in the price table`,
      );
  }
  return problems.length ? unpriced(problems.join("; "), drafts) : lines(...drafts);
}

/** The node-hour table for the cache's engine: Valkey's for valkey, Redis OSS's otherwise (the config's engines are redis and valkey). */
const cacheTable = (r: CostResource, ctx: PricingContext) =>
  asString(r.inputs.engine) === "valkey" ? ctx.prices.elasticacheValkey : ctx.prices.elasticache;

export function replicationGroup(r: CostResource, ctx: PricingContext): Outcome {
  const nodeType = asString(r.inputs.nodeType) ?? "unknown";
  const price = lookup(cacheTable(r, ctx), nodeType);
  if (!price) return unpriced(`no ElastiCache price for ${nodeType}`);
  const nodes =
    asNumber(r.inputs.numCacheClusters) ??
    (asNumber(r.inputs.numNodeGroups) ?? 1) * (1 + (asNumber(r.inputs.replicasPerNodeGroup) ?? 0));
  return lines(line(`ElastiCache ${nodeType}`, nodes * HOURS_PER_MONTH, price));
}

export function cacheCluster(r: CostResource, ctx: PricingContext): Outcome {
  const nodeType = asString(r.inputs.nodeType) ?? "unknown";
  const price = lookup(cacheTable(r, ctx), nodeType);
  if (!price) return unpriced(`no ElastiCache price for ${nodeType}`);
  const nodes = asNumber(r.inputs.numCacheNodes) ?? 1;
  return lines(line(`ElastiCache ${nodeType}`, nodes * HOURS_PER_MONTH, price));
}

const share = (total: number, count: number) => total / Math.max(1, count);

export function s3Bucket(_r: CostResource, ctx: PricingContext): Outcome {
  const buckets = ctx.count("aws:s3/bucket:Bucket") + ctx.count("aws:s3/bucketV2:BucketV2");
  return lines(
    line("S3 Standard storage (assumed share)", share(ctx.usage.backupStoredGb, buckets), ctx.prices.s3StandardGbMonth),
  );
}

export function ecrRepository(r: CostResource, ctx: PricingContext): Outcome {
  const repositories = ctx.count(r.type);
  return lines(
    line("ECR storage (assumed share)", share(ctx.usage.registryStoredGb, repositories), ctx.prices.ecrGbMonth),
  );
}

/**
 * Ingestion is the assumed monthly volume split evenly across the log groups; what is stored is
 * that share kept for the retention period (an upper bound: AWS bills stored logs compressed).
 */
export function logGroup(r: CostResource, ctx: PricingContext): Outcome {
  const ingested = share(ctx.usage.logsIngestedGbPerMonth, ctx.count(r.type));
  const ingest = line("CloudWatch Logs ingestion (assumed share)", ingested, ctx.prices.logs.ingestedGb);
  const retention = asNumber(r.inputs.retentionInDays);
  if (!retention) return unpriced("no retention: stored logs grow without bound", [ingest]);
  const stored = (ingested * retention) / DAYS_PER_MONTH;
  return lines(ingest, line("CloudWatch Logs storage (ingestion × retention)", stored, ctx.prices.logs.storedGbMonth));
}

export const kmsKey = (_r: CostResource, ctx: PricingContext): Outcome =>
  lines(line("KMS customer-managed key", 1, ctx.prices.kmsKeyMonth));

export const secret = (_r: CostResource, ctx: PricingContext): Outcome =>
  lines(line("Secrets Manager secret", 1, ctx.prices.secretsManagerSecretMonth));

export function ebsVolume(r: CostResource, ctx: PricingContext): Outcome {
  const type = asString(r.inputs.type) ?? "gp2";
  const size = asNumber(r.inputs.size);
  if (type !== "gp3") return unpriced(`no price for ${type} volumes`);
  if (size === undefined) return unpriced("volume size is not known");
  return lines(line(`EBS gp3 volume ${size} GB`, size, ctx.prices.ebsGp3GbMonth));
}

export const metricAlarm = (_r: CostResource, ctx: PricingContext): Outcome =>
  lines(line("CloudWatch metric alarm", 1, ctx.prices.cloudwatchAlarmMonth));
