import assert from "node:assert/strict";

/**
 * Checked lookups for tests under `noUncheckedIndexedAccess`: each returns the element or fails
 * the test with a message naming what was missing, instead of a `!` that turns a missing element
 * into a TypeError somewhere later.
 */

/** The element at `index` of `list`, failing the test (naming `what` and the length) when the list is shorter. */
export function item<T>(list: readonly T[], index: number, what = "list"): T {
  const value = list[index];
  assert.ok(value !== undefined, `${what} has no element ${index} (it has ${list.length})`);
  return value;
}

/** The entry `key` of `record`, failing the test (naming `what` and the keys it has) when it is absent. */
export function entry<T>(record: Readonly<Record<string, T>>, key: string, what = "record"): T {
  const value = Object.hasOwn(record, key) ? record[key] : undefined;
  assert.ok(value !== undefined, `${what} has no "${key}" (it has: ${Object.keys(record).join(", ") || "nothing"})`);
  return value;
}

/** Capture group `group` of a regular-expression match, failing the test when the match or the group is missing. */
export function captured(match: RegExpExecArray | RegExpMatchArray | null, group: number, what = "match"): string {
  assert.ok(match, `${what}: no match`);
  return item(match, group, `${what}'s capture groups`);
}
