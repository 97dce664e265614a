import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { platformSchemas } from "../config";
import { allPolicies } from "../policies/rules";
import { PROJECT_DIR } from "./helpers/program";

/** The README's reference tables are the documentation users read: they must not drift from the code. */
const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");

describe("README", () => {
  it("documents every policy of the pack with its level", () => {
    for (const policy of allPolicies) {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${policy.name}\` |`));
      assert.ok(row, `README has no row for ${policy.name}`);
      assert.ok(row.includes(`| ${policy.enforcementLevel} |`), `${policy.name} is ${policy.enforcementLevel}`);
    }
  });

  it("documents every configuration knob", () => {
    const knobs = Object.entries(platformSchemas).flatMap(([key, schema]) =>
      "shape" in schema ? Object.keys(schema.shape).map((knob) => `platform:${key}.${knob}`) : [`platform:${key}`],
    );
    const missing = knobs.filter((knob) => !readme.includes(`| \`${knob}\` |`));
    assert.deepEqual(missing, []);
  });
});
