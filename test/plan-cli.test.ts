import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { wrapLines } from "../tools/plan/render";
import { item } from "./helpers/assert";
import { PROJECT_DIR, runPlanCli, stackDirWith } from "./helpers/program";

/** The plan's command line as a user meets it: exit codes, one-line errors, files it writes. */
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "plan-cli-"));
const oneLine = (stderr: string) => stderr.trim().split("\n").length === 1 && !/\n\s+at /.test(stderr);

describe("plan CLI: exit codes and messages", () => {
  const cases: { name: string; args: () => string[]; code: number; message: RegExp }[] = [
    { name: "an unknown flag", args: () => ["--stak", "dev"], code: 2, message: /^Unknown option '--stak'/ },
    { name: "--stack without a value", args: () => ["--stack"], code: 2, message: /--stack/ },
    { name: "no --stack", args: () => ["--json"], code: 2, message: /^--stack NAME is required/ },
    {
      name: "an unknown stack, listing the stacks there are",
      args: () => ["--stack", "staging"],
      code: 2,
      message: /unknown stack "staging".*the stacks there are dev, edge-dev, edge-prod, prod$/,
    },
    {
      name: "a missing compare file",
      args: () => ["--stack", "dev", "--compare", "/nonexistent/base.json"],
      code: 2,
      message: /--compare: cannot read \/nonexistent\/base\.json/,
    },
    {
      name: "a compare file that is not JSON",
      args: () => {
        const file = path.join(tmp(), "base.json");
        fs.writeFileSync(file, "> platform@0.1.0 plan\n{");
        return ["--stack", "dev", "--compare", file];
      },
      code: 2,
      message: /--compare: .*base\.json is not JSON/,
    },
    {
      name: "broken YAML, naming file and line",
      args: () => {
        const dir = stackDirWith("dev", {});
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  platform:kind: cloud\n   bad: [\n");
        return ["--stack", "dev", "--config-dir", dir];
      },
      code: 2,
      message: /^Stack dev: Pulumi\.dev\.yaml:2:\d+: /,
    },
  ];
  for (const c of cases)
    it(`${c.name}: exit ${c.code}, one line, no stack trace`, () => {
      const run = runPlanCli(c.args());
      assert.equal(run.status, c.code, run.stderr);
      assert.match(run.stderr.trim(), c.message);
      assert.ok(oneLine(run.stderr), run.stderr);
      assert.equal(run.stdout, "");
    });

  it("an error inside the program exits 3 with its message, and the stack trace only with DEBUG=1", () => {
    // A program whose wiring throws: the plan must not end with a promise-leak notice.
    const dir = tmp();
    const program = path.join(dir, "index.ts");
    fs.writeFileSync(program, 'export = async () => { throw new Error("wiring broke: no such output"); };\n');
    const script = `require("${path.join(PROJECT_DIR, "tools/plan/capture.ts")}").captureProgram(require("${path.join(PROJECT_DIR, "tools/plan/stack-config.ts")}").readStackConfig("${PROJECT_DIR}", "dev"), {}, "${program}").then(() => process.exit(0), (e) => { console.error(e.message); process.exit(3); })`;
    const run = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: PROJECT_DIR, encoding: "utf8" });
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stderr, /wiring broke: no such output/);
    assert.doesNotMatch(run.stderr, /promises were still active/);
  });

  it("--help exits 0 and documents the exit codes", () => {
    const run = runPlanCli(["--help"]);
    assert.equal(run.status, 0);
    assert.match(
      run.stdout,
      /Exit codes: 0 planned, 1 a mandatory policy violation, 2 invalid configuration or usage,\s+3 the plan could not run/,
    );
  });
});

describe("plan CLI: output", () => {
  it("the README recipe works as written: npm run plan -- --out base.json, then --compare base.json", () => {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
    assert.match(readme, /npm run plan -- --stack dev --out base\.json/);
    assert.match(readme, /npm run plan -- --stack dev --compare base\.json/);
    // As written: from the project's root, where npm runs the script.
    const base = path.join(PROJECT_DIR, "base.json");
    try {
      const save = spawnSync("sh", ["-c", "npm run plan -- --stack dev --out base.json"], {
        cwd: PROJECT_DIR,
        encoding: "utf8",
      });
      assert.equal(save.status, 0, save.stderr);
      assert.equal(
        (JSON.parse(fs.readFileSync(base, "utf8")) as { stack: string }).stack,
        "dev",
        "the file holds the JSON and nothing else (no npm banner)",
      );
      const compare = spawnSync("sh", ["-c", "npm run plan -- --stack dev --compare base.json"], {
        cwd: PROJECT_DIR,
        encoding: "utf8",
      });
      assert.equal(compare.status, 0, compare.stderr);
      assert.match(
        compare.stdout,
        /Changes against base\.json: 0 to create, 0 to update, 0 to replace, 0 to delete, \d+ unchanged\./,
      );
    } finally {
      fs.rmSync(base, { force: true });
    }
  });

  it("text output: says it ran offline, lines of at most 160 columns in a pipe, no raw newlines in values, mock ids masked", () => {
    const run = runPlanCli(["--stack", "prod"]);
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.split("\n");
    assert.match(item(lines, 0, "output lines"), /^Offline plan of stack prod under the Pulumi SDK's mocks/);
    assert.ok(
      lines.every((l) => [...l].length <= 160),
      `longest: ${Math.max(...lines.map((l) => [...l].length))}`,
    );
    assert.doesNotMatch(run.stdout, /123456789012|vpc-0123456789abcdef0|sg-nodes0123456789/);
    assert.match(run.stdout, /<computed>/);
    // Scripts shown inline keep their newlines escaped: no line of the tree starts with a script line.
    assert.ok(!lines.some((l) => l.startsWith("#!/") || l.startsWith("set -euo pipefail")));
  });

  it("wraps at spaces under the line's tree prefix, and cuts a word longer than the room", () => {
    const wrapped = wrapLines("│  ├─ type  name  a=1  b=2  c=3", 22).split("\n");
    assert.deepEqual(wrapped, ["│  ├─ type  name  a=1", "          b=2  c=3"]);
    assert.equal(wrapLines("x".repeat(30), 10), `${"x".repeat(9)}…`);
  });
});
