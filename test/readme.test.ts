import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { platformSchemas } from "../config";
import { KNOB_DOCS } from "../config/knob-docs";
import { allPolicies } from "../policies/rules";
import { configKeys, GENERATED_DOCS } from "../tools/docs";
import { captured } from "./helpers/assert";
import { PROJECT_DIR } from "./helpers/program";

/** The README is the front door; the reference tables are generated from the code and must not go stale. */
const read = (file: string) => fs.readFileSync(path.join(PROJECT_DIR, file), "utf8");

describe("documentation", () => {
  it("the README fits on a screen or two (at most 200 lines) and every page it links exists", () => {
    const readme = read("README.md");
    assert.ok(readme.split("\n").length <= 200, `${readme.split("\n").length} lines`);
    const links = [...readme.matchAll(/\]\(([^)#]+\.md)\)/g)].map((m) => captured(m, 1, "README link"));
    assert.ok(links.length >= 10, "a map of docs/");
    for (const link of links) assert.ok(fs.existsSync(path.join(PROJECT_DIR, link)), link);
  });

  it("every docs page's relative links resolve", () => {
    for (const file of fs.readdirSync(path.join(PROJECT_DIR, "docs"))) {
      const text = read(`docs/${file}`);
      for (const link of [...text.matchAll(/\]\(([^)#:]+\.md)\)/g)].map((m) => captured(m, 1, `docs/${file} link`)))
        assert.ok(fs.existsSync(path.join(PROJECT_DIR, "docs", link)), `docs/${file} → ${link}`);
    }
  });

  for (const [file, render] of Object.entries(GENERATED_DOCS))
    it(`${file} is what \`npm run docs\` renders now (not stale)`, () => {
      assert.equal(read(file), render(), `${file} is stale: run npm run docs`);
    });

  it("documents every configuration knob, each with a meaning", () => {
    const reference = read("docs/configuration.md");
    const knobs = Object.entries(platformSchemas).flatMap(([key, schema]) =>
      "shape" in schema ? Object.keys(schema.shape).map((knob) => `platform:${key}.${knob}`) : [`platform:${key}`],
    );
    assert.deepEqual(
      knobs.filter((knob) => !reference.includes(`| \`${knob}\` |`)),
      [],
    );
    assert.deepEqual(
      configKeys().filter((key) => !KNOB_DOCS[key]),
      [],
      "every key has a meaning in config/knob-docs.ts",
    );
  });

  it("documents every policy of the pack with its level", () => {
    const rules = read("docs/policy-rules.md");
    for (const policy of allPolicies) {
      const row = rules.split("\n").find((line) => line.startsWith(`| \`${policy.name}\` |`));
      assert.ok(row, `no row for ${policy.name}`);
      assert.ok(row.includes(`| ${policy.enforcementLevel} |`), `${policy.name} is ${policy.enforcementLevel}`);
    }
  });
});
