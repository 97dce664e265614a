import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { PROJECT_DIR } from "./helpers/program";

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
    );
}

describe("structure", () => {
  it("components import nothing from tools/ (tools render with the components' pure functions, not the reverse)", () => {
    const offenders = files(path.join(PROJECT_DIR, "components")).filter((file) =>
      /from "(\.\.\/)+tools\//.test(fs.readFileSync(file, "utf8")),
    );
    assert.deepEqual(
      offenders.map((f) => path.relative(PROJECT_DIR, f)),
      [],
    );
  });
});
