/**
 * Reading resource properties without crying wolf. At preview, inputs that come from resources not
 * yet created are unknown: the real engine wraps props in a proxy that throws on them, and the
 * offline plan carries the SDK's sentinel strings. Every rule reads props through `known`, which
 * turns both into the `UNKNOWN` symbol, and treats UNKNOWN as "cannot tell" (no violation).
 */

/** A value that cannot be known before the resources it depends on exist. */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

/** The SDK's unknown sentinels (string, boolean, number, array, asset, archive, object). */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** The offline plan's stand-in for a secret: the value exists, its content is not shown. */
export const SECRET_PLACEHOLDER = "[secret]";

/** Props with every unknown (at any depth) replaced by UNKNOWN. */
export type Known<T> = T extends string | number | boolean
  ? T | Unknown
  : T extends readonly (infer U)[]
    ? Known<U>[] | Unknown
    : T extends object
      ? { [K in keyof T]?: Known<NonNullable<T[K]>> } | Unknown
      : T | Unknown;

function isUnknownError(error: unknown): boolean {
  return error instanceof Error && error.constructor.name === "UnknownValueError";
}

function readKey(obj: Record<string, unknown>, key: string): unknown {
  try {
    return obj[key];
  } catch (error) {
    if (isUnknownError(error)) return UNKNOWN;
    throw error;
  }
}

/** A plain deep copy of `value`: the engine's proxy is left behind and unknowns become UNKNOWN. */
export function plain(value: unknown): unknown {
  if (value === UNKNOWN) return UNKNOWN;
  if (typeof value === "string") return UNKNOWN_SENTINELS.has(value) ? UNKNOWN : value;
  if (Array.isArray(value))
    return Array.from({ length: value.length }, (_, i) =>
      plain(readKey(value as unknown as Record<string, unknown>, String(i))),
    );
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(record).map((k) => [k, plain(readKey(record, k))]));
  }
  return value;
}

/** The props of a resource as a plain object with UNKNOWN where the engine cannot tell yet. */
export function known<T extends object>(props: T): Exclude<Known<T>, Unknown> {
  const copy = plain(props);
  return (copy === UNKNOWN || copy === null || typeof copy !== "object" ? {} : copy) as Exclude<Known<T>, Unknown>;
}

export const isUnknown = (value: unknown): value is Unknown => value === UNKNOWN;

/** True when `value`, or anything inside it, is unknown. */
export function hasUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(hasUnknown);
  if (value && typeof value === "object") return Object.values(value).some(hasUnknown);
  return false;
}

/** A set value: present, not empty; a secret counts as set. */
export const isSet = (value: unknown): boolean => value !== undefined && value !== null && value !== "";

/** Parses a JSON document given as a string (IAM policies, provider config); objects pass through. */
export function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return plain(JSON.parse(value));
  } catch {
    return undefined;
  }
}

/** An array value (a single value becomes a one-element array); UNKNOWN and absent pass through. */
export function asArray<T>(value: T | T[] | Unknown | undefined): T[] | Unknown | undefined {
  if (value === undefined || value === UNKNOWN) return value as Unknown | undefined;
  return Array.isArray(value) ? value : [value];
}

/** Reports `message` when `value` is known and fails `ok`; an unknown value is never a violation. */
export function expectKnown<T>(
  value: T | Unknown,
  ok: (v: T) => boolean,
  report: (message: string) => void,
  message: string,
): void {
  if (!isUnknown(value) && !hasUnknown(value) && !ok(value)) report(message);
}
