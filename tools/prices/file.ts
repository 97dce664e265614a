/** Reading and writing figures of cost/prices.json by path; the file's one written form. */
import type { Assumption, Price, PricesFile, RegionPrices } from "../../cost/prices";
import { CLASS_TABLES, FIXED_FIGURES, type ClassSection, type ClassTable } from "./queries";

/** Where a figure sits in a region's table: a fixed path ("natGateway.hour") or a class section and class. */
export type FigureRef = { path: string; name?: undefined } | { path: ClassTable; name: string };

export type Figure = Price | Assumption;

export const refLabel = (region: string, ref: FigureRef) =>
  ref.name === undefined ? `${region} ${ref.path}` : `${region} ${ref.path}["${ref.name}"]`;

/**
 * Every figure a table has: the fixed ones, then each class of each per-class section (sorted);
 * `classes` are the classes the config may name, by section (Multi-AZ RDS prices rdsPostgres's,
 * Valkey elasticache's).
 */
export function figureRefs(classes: Readonly<Record<ClassSection, readonly string[]>>): FigureRef[] {
  const fixed: FigureRef[] = Object.keys(FIXED_FIGURES).map((path) => ({ path }));
  const perClass: FigureRef[] = (Object.keys(CLASS_TABLES) as ClassTable[]).flatMap((table) =>
    [...new Set(classes[CLASS_TABLES[table]])].sort().map((name) => ({ path: table, name })),
  );
  return [...fixed, ...perClass];
}

/** The classes a table prices, by the section the config names them in. */
export const classesOf = (table: RegionPrices): Record<ClassSection, string[]> => ({
  ec2: Object.keys(table.ec2),
  rdsPostgres: [...new Set([...Object.keys(table.rdsPostgres), ...Object.keys(table.rdsPostgresMultiAz)])],
  elasticache: [...new Set([...Object.keys(table.elasticache), ...Object.keys(table.elasticacheValkey)])],
});

/** The figure at `ref` in a table, if it has one. */
export function getFigure(table: RegionPrices, ref: FigureRef): Figure | undefined {
  if (ref.name !== undefined) {
    const section = table[ref.path];
    return Object.hasOwn(section, ref.name) ? section[ref.name] : undefined;
  }
  let node: unknown = table;
  for (const key of ref.path.split(".")) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node as Figure;
}

/** Sets the figure at `ref` in a (mutable, plain) table, creating the objects on the way. */
export function setFigure(table: Record<string, unknown>, ref: FigureRef, figure: Figure): void {
  const keys = ref.name !== undefined ? [ref.path, ref.name] : ref.path.split(".");
  let node = table;
  keys.slice(0, -1).forEach((key) => {
    if (!Object.hasOwn(node, key) || typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
  node[keys[keys.length - 1] as string] = figure;
}

/** Objects with their keys sorted, all the way down; arrays keep their order (filters are sorted when built). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** A filter on one line ({ "field", "type", "value" }) so that a figure's query reads as a list. */
const ONE_FILTER =
  /\{\n\s+("field": "(?:[^"\\]|\\.)*"),\n\s+("type": "[A-Z_]+"),\n\s+("value": "(?:[^"\\]|\\.)*")\n\s+\}/g;

/**
 * The file's text: keys sorted, two-space indent, each filter on one line, a final newline; the
 * same data always gives the same bytes.
 */
export const renderPricesFile = (file: PricesFile): string =>
  `${JSON.stringify(sortKeys(file), null, 2).replace(ONE_FILTER, "{ $1, $2, $3 }")}\n`;
