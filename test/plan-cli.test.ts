import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { wrapLines } from "../tools/plan/render";
import { item } from "./helpers/assert";
import { PROJECT_DIR, runPlanCli, runPlanInProcess, stackDirWith } from "./helpers/program";
import { textPlanFor } from "./helpers/text-plans";
import { tempDir } from "./helpers/temp-dir";

/**
 * The plan's command line as a user meets it: exit codes, one-line errors, files it writes.
 *
 * In this process (runPlanInProcess: the CLI's own runPlan, its lines and exit code) except three
 * real processes, for what only a process shows: tools/plan/cli.ts handing the exit code to the
 * shell (an unknown flag, exit 2), `npm run plan` as the README has it, in a pipe (exit 0, the 160
 * columns a pipe gets), and --json's whole output reaching a slow reader after the process exits.
 * Exit 3 through a real process is test/plan-errors.test.ts's.
 */
const oneLine = (stderr: string) => stderr.trim().split("\n").length === 1 && !/\n\s+at /.test(stderr);

describe("plan CLI: exit codes and messages", () => {
  // In this process (the CLI's code, its exit code and lines), except the case marked `process`:
  // it runs as a user would, so an exit code that never reaches the shell still fails here (the
  // CLI hands every code to the shell the same way: one process shows it).
  const cases: { name: string; args: () => string[]; code: number; message: RegExp; process?: boolean }[] = [
    {
      name: "an unknown flag",
      args: () => ["--stak", "dev"],
      code: 2,
      message: /^Unknown option '--stak'/,
      process: true,
    },
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
        const file = path.join(tempDir("plan-cli-"), "base.json");
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
      const run = (c.process ? runPlanCli : runPlanInProcess)(c.args());
      assert.equal(run.status, c.code, run.stderr);
      assert.match(run.stderr.trim(), c.message);
      assert.ok(oneLine(run.stderr), run.stderr);
      assert.equal(run.stdout, "");
    });

  it("--help exits 0 and documents the exit codes", () => {
    const run = runPlanInProcess(["--help"]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      /Exit codes: 0 planned, 1 a mandatory policy violation, 2 invalid configuration or usage,\s+3 the plan could not run/,
    );
  });
});

describe("plan CLI: output", () => {
  const BASE = path.join(PROJECT_DIR, "base.json");
  let recipe: { readme: string; compare: SpawnSyncReturns<string> } | undefined;
  /** The README's two commands: --out in this process (the file it writes), --compare as written, through npm in a pipe. */
  const readmeRecipe = () => {
    if (recipe) return recipe;
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
    try {
      // `npm run plan -- --stack dev --out base.json`: npm runs it from the project's root.
      const save = runPlanInProcess(["--stack", "dev", "--out", BASE]);
      assert.equal(save.status, 0, save.stderr);
      assert.equal(
        (JSON.parse(fs.readFileSync(BASE, "utf8")) as { stack: string }).stack,
        "dev",
        "the file holds the JSON and nothing else (no npm banner)",
      );
      const compare = spawnSync("sh", ["-c", "npm run plan -- --stack dev --compare base.json"], {
        cwd: PROJECT_DIR,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      });
      recipe = { readme, compare };
      return recipe;
    } finally {
      fs.rmSync(BASE, { force: true });
    }
  };

  it("the README recipe works as written: npm run plan -- --out base.json, then --compare base.json", () => {
    const { readme, compare } = readmeRecipe();
    assert.match(readme, /npm run plan -- --stack dev --out base\.json/);
    assert.match(readme, /npm run plan -- --stack dev --compare base\.json/);
    assert.equal(compare.status, 0, compare.stderr);
    assert.match(
      compare.stdout,
      /Changes against base\.json: 0 to create, 0 to update, 0 to replace, 0 to delete, \d+ unchanged\./,
    );
  });

  /** A text plan's promises: offline, at most 160 columns, no raw newlines in values, mock ids masked. */
  const assertTextPlan = (stdout: string, stack: string) => {
    const lines = stdout.split("\n");
    assert.ok(
      lines.some((l) => l.startsWith(`Offline plan of stack ${stack} under the Pulumi SDK's mocks`)),
      "the offline header",
    );
    assert.ok(
      lines.every((l) => [...l].length <= 160),
      `longest: ${Math.max(...lines.map((l) => [...l].length))}`,
    );
    assert.doesNotMatch(stdout, /123456789012|vpc-0123456789abcdef0|sg-nodes0123456789/);
    assert.match(stdout, /<computed>/);
    // Scripts shown inline keep their newlines escaped: no line of the tree starts with a script line.
    assert.ok(!lines.some((l) => l.startsWith("#!/") || l.startsWith("set -euo pipefail")));
  };

  it("text output in a pipe, from a real process: lines of at most 160 columns, says it ran offline, mock ids masked", () => {
    const { compare } = readmeRecipe();
    assert.equal(compare.status, 0, compare.stderr);
    assertTextPlan(compare.stdout, "dev");
  });

  it("text output of prod: says it ran offline, lines of at most 160 columns, no raw newlines in values, mock ids masked", () => {
    // At the 160 columns the process above shows a pipe gets.
    const run = textPlanFor("prod");
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      item(run.stdout.split("\n"), 0, "output lines"),
      /^Offline plan of stack prod under the Pulumi SDK's mocks/,
    );
    assertTextPlan(run.stdout, "prod");
  });

  it("--json reaches a slow reader whole (output past a pipe's 64 KiB is not cut off at exit)", () => {
    // A real process: what is at stake is what the process leaves in the pipe when it exits.
    const cli = path.join(PROJECT_DIR, "tools/plan/cli.ts");
    const run = spawnSync(
      "sh",
      ["-c", `"${process.execPath}" --import tsx "${cli}" --stack prod --json | { sleep 1; cat; }`],
      {
        cwd: PROJECT_DIR,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    assert.ok(run.stdout.length > 64 * 1024, `the plan is larger than a pipe holds (${run.stdout.length} bytes)`);
    assert.equal((JSON.parse(run.stdout) as { stack: string }).stack, "prod");
  });

  it("wraps at spaces under the line's tree prefix, and cuts a word longer than the room", () => {
    const wrapped = wrapLines("│  ├─ type  name  a=1  b=2  c=3", 22).split("\n");
    assert.deepEqual(wrapped, ["│  ├─ type  name  a=1", "          b=2  c=3"]);
    assert.equal(wrapLines("x".repeat(30), 10), `${"x".repeat(9)}…`);
  });
});
