import type { Price, RegionPrices } from "./prices";

/** A resource as the plan captures it, or as the policy pack sees it (`props` as `inputs`). */
export interface CostResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** Usage the program does not declare; `platform:cost` in the stack config (docs/cost.md). */
export interface CostUsage {
  /** GB per month through the NAT gateways, split evenly across them. */
  natProcessedGbPerMonth: number;
  /** GB stored in the backup bucket(s), split evenly across S3 buckets. */
  backupStoredGb: number;
  /** GB of images in ECR, split evenly across repositories. */
  registryStoredGb: number;
  /** GB per month ingested into CloudWatch Logs, split evenly across log groups. */
  logsIngestedGbPerMonth: number;
}

export interface EstimateOptions {
  region: string;
  usage: CostUsage;
}

export interface CostLine {
  /** "type::name" of the resource the line belongs to. */
  resource: string;
  item: string;
  quantity: number;
  unit?: string;
  unitPrice: number;
  monthly: number;
}

export interface UnpricedResource {
  resource: string;
  type: string;
  reason: string;
}

export interface CostEstimate {
  currency: "USD";
  monthly: number;
  lines: CostLine[];
  unpriced: UnpricedResource[];
  /**
   * The cost with every autoscaled pool at its configured maximum (the node group at maxSize,
   * Karpenter's NodePool at its limits): `monthly` plus `lines`, what scaling out adds.
   */
  atMaximum?: { monthly: number; lines: CostLine[] };
}

/** A line before the estimate attaches the resource and multiplies it out. */
export type LineDraft = Omit<CostLine, "resource" | "monthly">;

/**
 * What a pricer makes of one resource: lines to add, or that it bills nothing (and why), or that
 * part of it cannot be priced (lines may still carry the part that can).
 */
export interface Outcome {
  lines: LineDraft[];
  /** What the resource adds when it scales out to its configured maximum (not in the baseline). */
  atMaximum?: LineDraft[];
  free?: string;
  unpriced?: string;
}

/** Everything a pricer may look at besides its own resource. */
export interface PricingContext {
  prices: RegionPrices;
  usage: CostUsage;
  resources: readonly CostResource[];
  /** How many resources of this type the stack has (to split usage across them). */
  count(type: string): number;
}

export type Pricer = (resource: CostResource, ctx: PricingContext) => Outcome;

export const line = (item: string, quantity: number, price: Price, unitPrice = price.usd): LineDraft => ({
  item,
  quantity,
  unit: price.unit,
  unitPrice,
});

export const lines = (...drafts: LineDraft[]): Outcome => ({ lines: drafts });
export const free = (reason: string): Outcome => ({ lines: [], free: reason });
export const unpriced = (reason: string, drafts: LineDraft[] = []): Outcome => ({ lines: drafts, unpriced: reason });

/** Reads a nested input without trusting its shape. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

export const asNumber = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;
export const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** A price-table entry by name, never an inherited property ("constructor" is not an instance type). */
export const lookup = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;
