/**
 * Asking the AWS Price List Query API (pricing:GetProducts) for one figure and reading the answer:
 * every page, each PriceList entry parsed from its JSON string, the on-demand price dimensions,
 * and exactly one price, or an error naming the query.
 */
import { GetProductsCommand, type GetProductsCommandOutput } from "@aws-sdk/client-pricing";
import type { PriceQuery } from "../../cost/prices";
import type { FetchedFigure } from "./queries";

/** The part of the SDK's PricingClient the tool uses; tests inject a fake with recorded pages. */
export interface PricingApi {
  send(command: GetProductsCommand): Promise<GetProductsCommandOutput>;
}

/** The API's page size limit. */
export const PAGE_SIZE = 100;
/** More pages than this means a query far too loose to name one price. */
export const MAX_PAGES = 10;

/** A query a reader can paste back: `AmazonEC2 regionCode=us-east-1, usagetype~NatGateway-Hours` (~ for CONTAINS). */
export function describeQuery(q: PriceQuery): string {
  const op = { TERM_MATCH: "=", EQUALS: "==", CONTAINS: "~", ANY_OF: " in ", NONE_OF: " not in " } as const;
  return `${q.serviceCode} ${q.filters.map((f) => `${f.field}${op[f.type]}${f.value}`).join(", ")}`;
}

/** The Price List could not give one price for a query: no product, several prices, an unexpected unit. */
export class PriceListError extends Error {
  constructor(
    readonly query: PriceQuery,
    problem: string,
  ) {
    super(`${problem} [query: ${describeQuery(query)}]`);
    this.name = "PriceListError";
  }
}

/** The fields of a Price List product the tool reads (format aws_v1). */
interface Product {
  product?: { sku?: string; productFamily?: string };
  terms?: { OnDemand?: Record<string, { priceDimensions?: Record<string, Dimension> }> };
}

interface Dimension {
  unit?: string;
  description?: string;
  beginRange?: string;
  pricePerUnit?: { USD?: string };
}

/** One on-demand price a product offers. */
export interface Candidate {
  usd: number;
  apiUnit: string;
  sku: string;
  description: string;
  beginRange: number;
}

/** A PriceList entry: a JSON string (the SDK may wrap it in a string-like object), or already an object. */
function parseEntry(entry: unknown, query: PriceQuery): Product {
  if (entry !== null && typeof entry === "object" && "product" in entry) return entry as Product;
  try {
    return JSON.parse(String(entry)) as Product;
  } catch {
    throw new PriceListError(query, `a PriceList entry is not JSON: ${String(entry).slice(0, 80)}`);
  }
}

/** Every product the query matches, across all pages. */
export async function getProducts(api: PricingApi, query: PriceQuery): Promise<Product[]> {
  const products: Product[] = [];
  let nextToken: string | undefined;
  for (let page = 1; ; page++) {
    if (page > MAX_PAGES)
      throw new PriceListError(query, `more than ${MAX_PAGES} pages of products: the query is too loose`);
    const output = await api.send(
      new GetProductsCommand({
        ServiceCode: query.serviceCode,
        Filters: query.filters.map((f) => ({ Type: f.type, Field: f.field, Value: f.value })),
        FormatVersion: "aws_v1",
        MaxResults: PAGE_SIZE,
        NextToken: nextToken,
      }),
    );
    const list: unknown = output.PriceList ?? [];
    if (!Array.isArray(list)) throw new PriceListError(query, "PriceList is not a list");
    products.push(...list.map((entry: unknown) => parseEntry(entry, query)));
    nextToken = output.NextToken || undefined;
    if (!nextToken) return products;
  }
}

/** The on-demand price dimensions of one product, each as a candidate. */
function dimensionsOf(product: Product, query: PriceQuery): Candidate[] {
  const sku = product.product?.sku ?? "(no sku)";
  return Object.values(product.terms?.OnDemand ?? {}).flatMap((term) =>
    Object.values(term.priceDimensions ?? {}).map((d) => {
      const usd = Number(d.pricePerUnit?.USD);
      if (d.pricePerUnit?.USD === undefined || !Number.isFinite(usd) || usd < 0)
        throw new PriceListError(
          query,
          `product ${sku} has no USD price (pricePerUnit ${JSON.stringify(d.pricePerUnit)})`,
        );
      return {
        usd,
        apiUnit: d.unit ?? "",
        sku,
        description: d.description ?? "",
        beginRange: Number(d.beginRange ?? 0),
      };
    }),
  );
}

/** A product's one price: its only dimension, or for tiered figures the first paid tier. */
function priceOfProduct(product: Product, spec: FetchedFigure, query: PriceQuery): Candidate | undefined {
  const dimensions = dimensionsOf(product, query);
  if (dimensions.length === 0) return undefined; // no on-demand term (a Reserved-only product)
  if (spec.firstPaidTier) {
    const paid = dimensions.filter((d) => d.usd > 0).sort((a, b) => a.beginRange - b.beginRange);
    return paid[0] ?? dimensions[0];
  }
  if (new Set(dimensions.map((d) => d.usd)).size > 1)
    throw new PriceListError(
      query,
      `product ${dimensions[0]?.sku} has ${dimensions.length} on-demand prices (${list(dimensions)}) and the figure is not tiered`,
    );
  return dimensions[0];
}

const list = (candidates: Candidate[]) =>
  candidates
    .slice(0, 5)
    .map((c) => `${c.sku}: $${c.usd}/${c.apiUnit} "${c.description}"`)
    .join("; ") + (candidates.length > 5 ? `; and ${candidates.length - 5} more` : "");

/**
 * The one price the products give for a figure. Zero products, products without an on-demand
 * price, several distinct prices, or a unit that is not the figure's are errors naming the query.
 */
export function selectPrice(products: readonly Product[], spec: FetchedFigure, query: PriceQuery): Candidate {
  if (products.length === 0) throw new PriceListError(query, "no product matches");
  const candidates = products
    .map((p) => priceOfProduct(p, spec, query))
    .filter((c): c is Candidate => c !== undefined)
    .sort((a, b) => a.sku.localeCompare(b.sku));
  const first = candidates[0];
  if (!first) throw new PriceListError(query, `${products.length} products match, none with an on-demand price`);
  const wrongUnit = candidates.filter((c) => !spec.apiUnits.includes(c.apiUnit));
  if (wrongUnit.length > 0)
    throw new PriceListError(
      query,
      `price in unit "${wrongUnit[0]?.apiUnit}", expected ${spec.apiUnits.map((u) => `"${u}"`).join(" or ")} (${list(wrongUnit)})`,
    );
  if (new Set(candidates.map((c) => c.usd)).size > 1)
    throw new PriceListError(
      query,
      `ambiguous: ${candidates.length} products with different prices (${list(candidates)}); narrow the query in tools/prices/queries.ts`,
    );
  return first;
}

/** Asks the API for a figure and returns its one price. */
export async function fetchPrice(api: PricingApi, spec: FetchedFigure, query: PriceQuery): Promise<Candidate> {
  return selectPrice(await getProducts(api, query), spec, query);
}
