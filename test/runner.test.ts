import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dealIntoGroups } from "./run";

describe("the test runner's groups (test/run.ts)", () => {
  const ms: Record<string, number> = { a: 10, b: 9, c: 6, d: 5, e: 4, f: 1 };
  const estimate = (file: string) => ms[file] ?? 0;

  it("deals longest first, each file to the group with the least work so far, every file once", () => {
    const groups = dealIntoGroups(Object.keys(ms), estimate, 3);
    assert.deepEqual(groups, [
      ["a", "f"],
      ["b", "e"],
      ["c", "d"],
    ]);
    const total = (group: string[]) => group.reduce((sum, file) => sum + estimate(file), 0);
    assert.deepEqual(groups.map(total), [11, 13, 11]);
  });

  it("never more groups than files, and at least one", () => {
    assert.deepEqual(dealIntoGroups(["a", "b"], estimate, 3), [["a"], ["b"]]);
    assert.deepEqual(dealIntoGroups(["a"], estimate, 0), [["a"]]);
    assert.deepEqual(dealIntoGroups([], estimate, 3), []);
  });
});
