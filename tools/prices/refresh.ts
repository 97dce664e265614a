/**
 * A new cost/prices.json from the AWS Price List: every fetchable figure of every region asked
 * again, assumptions and documented zeros kept, new regions and classes added on request.
 */
import type { Price, PriceQuery, PricesFile, RegionPrices } from "../../cost/prices";
import { ABOUT } from "./about";
import { classesOf, figureRefs, getFigure, refLabel, setFigure, type Figure, type FigureRef } from "./file";
import { fetchPrice, PriceListError, type PricingApi } from "./pricelist";
import { specFor, type ClassSection } from "./queries";

/** Where the tool asks: the Price List Query API has endpoints in these regions only. */
export const API_REGIONS = ["us-east-1", "eu-central-1", "ap-south-1"] as const;
export type ApiRegion = (typeof API_REGIONS)[number];

export interface RefreshOptions {
  current: PricesFile;
  api: PricingApi;
  /** The endpoint region, written into each fetched figure's source. */
  apiRegion: ApiRegion;
  /** The date written on fetched figures, YYYY-MM-DD. */
  today: string;
  /** Regions to add to the file. */
  addRegions?: readonly string[];
  /** Classes to add to every region. */
  addClasses?: readonly { section: ClassSection; name: string }[];
  /** Requests in flight at once (the API throttles; the SDK retries throttled calls). */
  concurrency?: number;
}

/** A figure whose price or unit is not what the file has (or that the file lacks). */
export interface PriceChange {
  figure: string;
  before?: { usd: number; unit: string };
  after: { usd: number; unit: string };
}

export interface RefreshResult {
  file: PricesFile;
  changes: PriceChange[];
  fetched: number;
  kept: number;
}

/** Some figures could not be refreshed; each problem names the figure and its query. */
export class RefreshError extends Error {
  constructor(readonly problems: string[]) {
    super(`${problems.length} figure(s) could not be refreshed:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "RefreshError";
  }
}

export const sourceFor = (apiRegion: ApiRegion) =>
  `AWS Price List Query API, pricing:GetProducts at https://api.pricing.${apiRegion}.amazonaws.com (on-demand, the query below)`;

/** Runs `work` over `items` with at most `limit` at once, keeping the order of the results. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Every class of each class section over all regions, plus the ones to add. */
function allClasses(current: PricesFile, adds: RefreshOptions["addClasses"]): Record<ClassSection, string[]> {
  const classes: Record<ClassSection, string[]> = { ec2: [], rdsPostgres: [], elasticache: [] };
  for (const table of Object.values(current.regions))
    for (const [section, names] of Object.entries(classesOf(table))) classes[section as ClassSection].push(...names);
  for (const add of adds ?? []) classes[add.section].push(add.name);
  return classes;
}

type Outcome = { ok: true; figure: Figure; fetched: boolean } | { ok: false; problem: string };

/** A figure the Price List has no product for: the region's own, or the first region's that has one. */
function keptFigure(current: PricesFile, region: string, ref: FigureRef, why: string): Outcome {
  const own = current.regions[region] ? getFigure(current.regions[region], ref) : undefined;
  const template = Object.values(current.regions)
    .map((t) => getFigure(t, ref))
    .find((f) => f !== undefined);
  const figure = own ?? template;
  if (!figure)
    return { ok: false, problem: `${refLabel(region, ref)}: not in the file and not in the Price List (${why})` };
  return { ok: true, figure, fetched: false };
}

const priceOf = (figure: Figure | undefined) =>
  figure && "usd" in figure ? { usd: figure.usd, unit: figure.unit } : undefined;

/**
 * The refreshed file: each fetched figure with today's date, the API as its source, the query, the
 * product's SKU and the price's description; every problem collected before failing.
 */
export async function refreshPrices(options: RefreshOptions): Promise<RefreshResult> {
  const { current, api, today } = options;
  const regions = [...new Set([...Object.keys(current.regions), ...(options.addRegions ?? [])])].sort();
  const refs = figureRefs(allClasses(current, options.addClasses));
  const jobs = regions.flatMap((region) => refs.map((ref) => ({ region, ref })));

  const outcomes = await pool(jobs, options.concurrency ?? 4, async ({ region, ref }): Promise<Outcome> => {
    const spec = specFor(ref.path, ref.name);
    if (!spec) return { ok: false, problem: `${refLabel(region, ref)}: no query spec in tools/prices/queries.ts` };
    if (spec.kind === "kept") return keptFigure(current, region, ref, spec.why);
    let query: PriceQuery;
    try {
      query = spec.query(region, ref.name ?? "");
    } catch (error) {
      return { ok: false, problem: `${refLabel(region, ref)}: ${(error as Error).message}` };
    }
    try {
      const found = await fetchPrice(api, spec, query);
      const figure: Price = {
        usd: found.usd,
        unit: spec.unit,
        source: sourceFor(options.apiRegion),
        date: today,
        query,
        sku: found.sku,
        description: found.description,
        ...(spec.note === undefined ? {} : { note: spec.note }),
      };
      return { ok: true, figure, fetched: true };
    } catch (error) {
      // A query the Price List cannot answer with one price is this figure's problem; anything
      // else (credentials, permissions, the network) fails every figure alike and stops the run.
      if (!(error instanceof PriceListError)) throw error;
      return { ok: false, problem: `${refLabel(region, ref)}: ${error.message}` };
    }
  });

  const problems = outcomes.flatMap((o) => (o.ok ? [] : [o.problem]));
  if (problems.length > 0) throw new RefreshError(problems);

  const tables: Record<string, Record<string, unknown>> = Object.fromEntries(regions.map((r) => [r, {}]));
  const changes: PriceChange[] = [];
  let fetched = 0;
  jobs.forEach(({ region, ref }, i) => {
    const outcome = outcomes[i];
    if (!outcome?.ok) return;
    setFigure(tables[region] as Record<string, unknown>, ref, outcome.figure);
    if (outcome.fetched) fetched++;
    const before = priceOf(current.regions[region] ? getFigure(current.regions[region], ref) : undefined);
    const after = priceOf(outcome.figure);
    if (after && (!before || before.usd !== after.usd || before.unit !== after.unit))
      changes.push({ figure: refLabel(region, ref), ...(before ? { before } : {}), after });
  });
  const file: PricesFile = { about: ABOUT, regions: tables as unknown as Record<string, RegionPrices> };
  return { file, changes, fetched, kept: jobs.length - fetched };
}

/** Figures that have a query but were not taken from the Price List yet (their source is another). */
export function notYetFromPriceList(file: PricesFile): string[] {
  return Object.entries(file.regions).flatMap(([region, table]) =>
    figureRefs(classesOf(table)).flatMap((ref) => {
      const figure = getFigure(table, ref);
      const fromApi = figure && "query" in figure && figure.source.startsWith("AWS Price List Query API");
      return figure && "query" in figure && figure.query && !fromApi ? [refLabel(region, ref)] : [];
    }),
  );
}

/** One line per change: `us-east-1 ec2["t4g.nano"]: $0.0042 → $0.0046 per instance-hour`. */
export function renderChanges(changes: readonly PriceChange[]): string {
  if (changes.length === 0) return "no price changed";
  return changes
    .map((c) =>
      c.before
        ? `${c.figure}: $${c.before.usd} → $${c.after.usd} per ${c.after.unit}${c.before.unit === c.after.unit ? "" : ` (was per ${c.before.unit})`}`
        : `${c.figure}: new, $${c.after.usd} per ${c.after.unit}`,
    )
    .join("\n");
}
