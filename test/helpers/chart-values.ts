import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT_DIR } from "./program";

type Tree = Record<string, unknown>;

const isMap = (v: unknown): v is Tree => v !== null && typeof v === "object" && !Array.isArray(v);

/** A values fixture under test/fixtures/charts (its header names the source repository, path and tag). */
export function chartFixture(file: string): Tree {
  const fixture = path.join(PROJECT_DIR, "test/fixtures/charts", file);
  if (!fs.existsSync(fixture)) throw new Error(`${fixture} is missing: the values of the pinned chart version`);
  return parse(fs.readFileSync(fixture, "utf8")) as Tree;
}

/**
 * Every key path of `values` that `chart` does not define. A path ends where the chart has a leaf,
 * a list or an open map (`{}`, the chart passes it through); `passThrough` maps a path the chart
 * renders as another program's configuration (e.g. `loki.limits_config`) to that program's keys.
 */
export function missingKeys(values: Tree, chart: Tree, passThrough: Record<string, Tree> = {}, prefix = ""): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const here = `${prefix}${key}`;
    if (!(key in chart)) return [here];
    const reference = passThrough[here];
    if (reference && isMap(value)) return missingKeys(value, reference, passThrough, `${here}.`);
    const chartValue = chart[key];
    if (!isMap(value) || !isMap(chartValue) || Object.keys(chartValue).length === 0) return [];
    return missingKeys(value, chartValue, passThrough, `${here}.`);
  });
}

/** Every key path of `values` (leaves, lists and maps' keys), for asserting that the check saw them. */
export function keyPaths(values: Tree, prefix = ""): string[] {
  return Object.entries(values).flatMap(([key, value]) => [
    `${prefix}${key}`,
    ...(isMap(value) ? keyPaths(value, `${prefix}${key}.`) : []),
  ]);
}
