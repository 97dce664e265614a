/**
 * Typed reads of a planned resource's inputs. Inputs are plain JSON whose shape the provider
 * defines, so tests read them as `unknown` and narrow each value they use: a wrong shape fails
 * with the resource, the path and what was there, instead of `undefined` flowing through `any`.
 *
 *   inputString(release, "chart")                        // "kube-prometheus-stack"
 *   inputRecord(release, "values.grafana.sidecar")       // Record<string, unknown>
 *   inputNumber(deployment, "spec.replicas")
 *   input(token, ["metadata", "annotations", "kubernetes.io/service-account.name"])
 *   asString(valueAt(values, "alertmanager.enabled"))    // the same steps on any JSON value
 */
import type { PlannedResource } from "./program";

/** Dotted keys ("spec.template.spec.containers.0"; digits index lists), or the steps themselves for keys holding a dot. */
export type InputPath = string | readonly (string | number)[];

export type JsonRecord = Record<string, unknown>;

export const isRecord = (value: unknown): value is JsonRecord =>
  value !== null && typeof value === "object" && !Array.isArray(value);

const stepsOf = (path: InputPath): readonly (string | number)[] => (typeof path === "string" ? path.split(".") : path);

const pathText = (path: InputPath): string => (typeof path === "string" ? path : path.join("."));

/** The value at `path` inside `value`, or undefined where a step is missing (as optional chaining would). */
export function valueAt(value: unknown, path: InputPath): unknown {
  let here = value;
  for (const step of stepsOf(path)) {
    if (Array.isArray(here)) here = /^\d+$/.test(String(step)) ? here[Number(step)] : undefined;
    else if (isRecord(here)) here = here[String(step)];
    else return undefined;
  }
  return here;
}

function describe(value: unknown): string {
  if (value === undefined) return "missing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function expected(what: string, kind: string, value: unknown): TypeError {
  return new TypeError(`${what}: expected ${kind}, got ${describe(value)}`);
}

export function asString(value: unknown, what = "value"): string {
  if (typeof value !== "string") throw expected(what, "a string", value);
  return value;
}

export function asNumber(value: unknown, what = "value"): number {
  if (typeof value !== "number") throw expected(what, "a number", value);
  return value;
}

export function asBoolean(value: unknown, what = "value"): boolean {
  if (typeof value !== "boolean") throw expected(what, "a boolean", value);
  return value;
}

export function asRecord(value: unknown, what = "value"): JsonRecord {
  if (!isRecord(value)) throw expected(what, "an object", value);
  return value;
}

export function asList(value: unknown, what = "value"): unknown[] {
  if (!Array.isArray(value)) throw expected(what, "a list", value);
  return value;
}

/** A list of objects (containers, rules, statements...). */
export function asRecords(value: unknown, what = "value"): JsonRecord[] {
  return asList(value, what).map((item, i) => asRecord(item, `${what}[${i}]`));
}

export function asStrings(value: unknown, what = "value"): string[] {
  return asList(value, what).map((item, i) => asString(item, `${what}[${i}]`));
}

/** The value at `path` of a resource's inputs (undefined when absent): for equality asserts and optional keys. */
export function input(resource: PlannedResource, path: InputPath): unknown {
  return valueAt(resource.inputs, path);
}

const where = (resource: PlannedResource, path: InputPath): string =>
  `${resource.type} ${resource.name}: inputs.${pathText(path)}`;

export const inputString = (resource: PlannedResource, path: InputPath): string =>
  asString(input(resource, path), where(resource, path));

export const inputNumber = (resource: PlannedResource, path: InputPath): number =>
  asNumber(input(resource, path), where(resource, path));

export const inputBoolean = (resource: PlannedResource, path: InputPath): boolean =>
  asBoolean(input(resource, path), where(resource, path));

export const inputRecord = (resource: PlannedResource, path: InputPath): JsonRecord =>
  asRecord(input(resource, path), where(resource, path));

export const inputList = (resource: PlannedResource, path: InputPath): unknown[] =>
  asList(input(resource, path), where(resource, path));

export const inputRecords = (resource: PlannedResource, path: InputPath): JsonRecord[] =>
  asRecords(input(resource, path), where(resource, path));

export const inputStrings = (resource: PlannedResource, path: InputPath): string[] =>
  asStrings(input(resource, path), where(resource, path));

/** A string input that holds JSON (an IAM policy document, a dashboard), parsed. */
export function inputJson(resource: PlannedResource, path: InputPath): unknown {
  const text = inputString(resource, path);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TypeError(`${where(resource, path)}: not JSON (${(error as Error).message})`);
  }
}
