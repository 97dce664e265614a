import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { asInvokeError, ownMessage } from "../tools/plan/program-errors";
import { RESULT_PREFIX, type FailingProgramItem, type FailingProgramResult } from "./helpers/failing-programs-protocol";
import { PROJECT_DIR, planFor, type PlanRun } from "./helpers/program";
import { spawnAsync } from "./helpers/tools";

/**
 * Errors inside the program, whichever way the SDK delivers them, end the plan with exit 3 and the
 * error's own message on one line: never a silently missing resource, the SDK's promise-leak notice,
 * Node's crash dump or a hang. Each program in test/fixtures/programs fails one way.
 *
 * Two processes, not one per program (test/helpers/failing-programs.ts plans a list in turn, the
 * SDK loaded once):
 * - every program, then the plan CLI's own run of an edge stack, in one process that exits with
 *   the last one's code through exitAfterFlush, as cli.ts does. Per program it proves the code the
 *   CLI exits with and everything written while the program ran (one line, no SDK noise, no stack).
 *   The SDK prints its promise-leak notice at process exit, and only when the exit code is 0
 *   (@pulumi/pulumi runtime/debuggable.js): an exit code of 3 rules it out, and the process's own
 *   stderr (outside every program) must stay empty, which also rules out a crash dump written by
 *   Node. A program that hangs, crashes the process or never fails shows as a missing or wrong
 *   result for that program.
 * - DEBUG=1: the variable is read by a user's process from its start (cli.ts keeps source maps on
 *   for it), so it gets a process of its own.
 */
const PROGRAMS = path.join(PROJECT_DIR, "test/fixtures/programs");
const RUNNER = path.join(PROJECT_DIR, "test/helpers/failing-programs.ts");
/** Far above the runner's few seconds on a busy two-core machine; reaching it means a plan hung. */
const HANG_MS = 120_000;

interface RunnerRun extends PlanRun {
  ms: number;
  results: FailingProgramResult[];
  /** Lines of stdout that are not results: written outside every item. */
  strayStdout: string[];
}

async function runRunner(items: FailingProgramItem[], env: NodeJS.ProcessEnv = {}): Promise<RunnerRun> {
  const started = Date.now();
  const run = await spawnAsync(process.execPath, ["--import", "tsx", RUNNER, JSON.stringify(items)], {
    cwd: PROJECT_DIR,
    env: { ...process.env, ...env },
    timeout: HANG_MS,
  });
  const lines = run.stdout.split("\n").filter(Boolean);
  return {
    ...run,
    ms: Date.now() - started,
    results: lines
      .filter((l) => l.startsWith(RESULT_PREFIX))
      .map((l) => JSON.parse(l.slice(RESULT_PREFIX.length)) as FailingProgramResult),
    strayStdout: lines.filter((l) => !l.startsWith(RESULT_PREFIX)),
  };
}

/** Item `index`'s result, or a failure saying how the runner ended before it. */
function resultOf(run: RunnerRun | undefined, index: number): FailingProgramResult {
  assert.ok(run, "the runner did not run");
  const result = run.results.find((r) => r.index === index);
  assert.ok(
    result,
    `no result for item ${index}: the runner exited ${run.status} after ${run.ms} ms (a hang is killed at ${HANG_MS} ms) ` +
      `with ${run.results.length} results; its own stderr:\n${run.stderr}`,
  );
  return result;
}

function assertFailsLoudly(result: FailingProgramResult, message: RegExp): void {
  const detail = `exit ${result.status} after ${result.ms} ms; stderr:\n${result.stderr}`;
  assert.equal(result.status, 3, detail);
  assert.doesNotMatch(result.stderr, /promises were still active/, detail);
  assert.match(result.stderr, message, detail);
  assert.equal(result.stderr.trim().split("\n").length, 1, `one line: ${detail}`);
  assert.doesNotMatch(result.stderr, /\n\s+at |error serializing property/, `no stack, no SDK noise: ${detail}`);
  assert.match(result.stderr, /\(DEBUG=1 for the stack trace\)$/m, detail);
  assert.equal(result.stdout, "", `nothing planned: ${detail}`);
}

describe("plan: an error inside the program exits 3 with its own message", () => {
  const cases: { program: string; what: string; message: RegExp }[] = [
    {
      program: "main-throws.ts",
      what: "thrown by the program's main function (what the plan awaits rejects)",
      message: /^Stack dev: error: wiring broke: no such output /,
    },
    {
      program: "apply-throws.ts",
      what: "thrown in an apply callback feeding another resource (that resource would be silently missing)",
      message: /^Stack dev: error: apply broke: cannot derive an owner from \d+ characters /,
    },
    {
      program: "all-apply-throws.ts",
      what: "thrown in pulumi.all(...).apply, with the stack's outputs waiting on it",
      message: /^Stack dev: error: all broke: \d+ characters of ARNs and no pair /,
    },
    {
      program: "component-throws.ts",
      what: "thrown in an async component's initialize, after its constructor returned",
      message: /^Stack dev: error: component broke: no retention for the second bucket /,
    },
    {
      program: "rejected-input.ts",
      what: "a rejected promise given as an input",
      message: /^Stack dev: error: lookup broke: no bucket for the policy /,
    },
    {
      program: "invoke-throws.ts",
      what: "a mock invoke that throws on the program's arguments (its message kept, the invoke named)",
      message: /^Stack dev: error: invoke aws:iam\/getPolicyDocument:getPolicyDocument: .*principals.* /,
    },
    {
      program: "unplanned-reference.ts",
      what: "a mock registration that fails (a StackReference the plan has no plan for)",
      message: /the program references stack acme\/platform\/nowhere, and the plan has no plan of it/,
    },
    {
      program: "timer-throws.ts",
      what: "thrown from a timer callback (an uncaught exception, not a rejection)",
      message: /^Stack dev: error: timer broke: the refresh callback failed /,
    },
    {
      program: "stalls.ts",
      what: "a program awaiting what nothing settles (it would otherwise exit 0 with no output)",
      message:
        /^Stack dev: error: the program stopped before returning its outputs: .*; never registered: aws:s3\/bucket:Bucket::waiting /,
    },
  ];
  const cliIndex = cases.length;
  let dir: string | undefined;
  let all: RunnerRun | undefined;
  let debug: RunnerRun | undefined;

  before(async () => {
    // The CLI's item: an edge stack whose cloud plan lacks a required output (read in an apply).
    const cloud = structuredClone(planFor("dev"));
    delete cloud.outputs.backupBucket;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-errors-"));
    const cloudPlan = path.join(dir, "dev.json");
    fs.writeFileSync(cloudPlan, JSON.stringify(cloud));
    const items: FailingProgramItem[] = [
      ...cases.map((c) => ({ program: path.join(PROGRAMS, c.program) })),
      { cli: ["--stack", "edge-dev", "--cloud-plan", cloudPlan] },
    ];
    [all, debug] = await Promise.all([
      runRunner(items),
      runRunner([{ program: path.join(PROGRAMS, "apply-throws.ts") }], { DEBUG: "1" }),
    ]);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const [index, c] of cases.entries())
    it(`${c.what}: ${c.program}`, () => {
      assertFailsLoudly(resultOf(all, index), c.message);
    });

  it("through the plan CLI: an edge stack whose cloud plan lacks a required output (read in an apply)", () => {
    // Before: exit 1 with Node's crash dump of "Required output 'backupBucket' does not exist".
    assertFailsLoudly(
      resultOf(all, cliIndex),
      /^Stack edge-dev: error: Required output 'backupBucket' does not exist on stack '[^']+\/platform\/dev'\. /,
    );
  });

  it("the process ends with the last plan's exit 3 (exitAfterFlush), and writes nothing outside the plans: no promise-leak notice, no crash dump", () => {
    assert.ok(all, "the runner did not run");
    const detail = `exit ${all.status} after ${all.ms} ms; its own stderr:\n${all.stderr}`;
    assert.equal(all.results.length, cases.length + 1, detail);
    assert.equal(all.status, 3, detail);
    assert.doesNotMatch(all.stderr, /promises were still active/, detail);
    assert.equal(all.stderr, "", detail);
    assert.deepEqual(all.strayStdout, [], detail);
  });

  it("DEBUG=1 adds the stack trace, which points into the program", () => {
    const result = resultOf(debug, 0);
    assert.equal(result.status, 3, result.stderr);
    assert.equal(debug?.status, 3, debug?.stderr);
    assert.match(result.stderr, /apply broke/);
    assert.match(result.stderr, /\n\s+at .*apply-throws\.ts:\d+/);
  });
});

describe("plan: the message of an error inside the program", () => {
  it("drops the prefixes the SDK adds once per input that awaited the error, and nothing else", () => {
    const error = new Error('error serializing property "stdin": error serializing property "tags": x: "y": z');
    assert.equal(ownMessage(error), 'x: "y": z');
    assert.equal(ownMessage("a string thrown"), "a string thrown");
  });

  it("keeps a mock invoke's message where the SDK reads it (gRPC details), naming the invoke", () => {
    const error = asInvokeError("aws:index/getRegion:getRegion", new TypeError("region is not a string"));
    assert.equal(error.details, "invoke aws:index/getRegion:getRegion: region is not a string");
    assert.equal(error.message, error.details);
  });
});
