import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { asInvokeError, ownMessage } from "../tools/plan/program-errors";
import { PROJECT_DIR, planFor, type PlanRun } from "./helpers/program";

/**
 * Errors inside the program, whichever way the SDK delivers them, end the plan with exit 3 and the
 * error's own message on one line: never a silently missing resource, the SDK's promise-leak notice,
 * Node's crash dump or a hang. Each program in test/fixtures/programs fails one way.
 */
const PROGRAMS = path.join(PROJECT_DIR, "test/fixtures/programs");
/** Far above a plan's few seconds on a busy two-core machine; reaching it means the plan hung. */
const HANG_MS = 120_000;

interface TimedRun extends PlanRun {
  ms: number;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<TimedRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], {
      cwd: PROJECT_DIR,
      env: { ...process.env, ...env },
      timeout: HANG_MS,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr, ms: Date.now() - started }));
  });
}

/**
 * Plans a fixture program against the dev stack's config, ending exactly as the plan CLI does
 * (tools/plan/cli.ts: captureProgram, then reportError and exitAfterFlush). The CLI itself always
 * runs index.ts; the last test below goes through it.
 */
function planProgram(file: string, env: NodeJS.ProcessEnv = {}): Promise<TimedRun> {
  const module = (p: string) => JSON.stringify(path.join(PROJECT_DIR, p));
  const script = `
    const { captureProgram } = require(${module("tools/plan/capture.ts")});
    const { readStackConfig } = require(${module("tools/plan/stack-config.ts")});
    const { EXIT, reportError } = require(${module("tools/plan/errors.ts")});
    const { exitAfterFlush } = require(${module("tools/exit.ts")});
    captureProgram(readStackConfig(${JSON.stringify(PROJECT_DIR)}, "dev"), {}, ${JSON.stringify(path.join(PROGRAMS, file))}).then(
      () => exitAfterFlush(EXIT.planned),
      (error) => exitAfterFlush(reportError(error, "dev")),
    );`;
  return run(["-e", script], env);
}

function assertFailsLoudly(result: TimedRun, message: RegExp): void {
  const detail = `exit ${result.status} after ${result.ms} ms; stderr:\n${result.stderr}`;
  assert.ok(result.ms < HANG_MS, `the plan hung: ${detail}`);
  assert.equal(result.status, 3, detail);
  assert.doesNotMatch(result.stderr, /promises were still active/, detail);
  assert.match(result.stderr, message, detail);
  assert.equal(result.stderr.trim().split("\n").length, 1, `one line: ${detail}`);
  assert.doesNotMatch(result.stderr, /\n\s+at |error serializing property/, `no stack, no SDK noise: ${detail}`);
  assert.match(result.stderr, /\(DEBUG=1 for the stack trace\)$/m, detail);
}

describe("plan: an error inside the program exits 3 with its own message", { concurrency: 3 }, () => {
  const cases: { program: string; what: string; message: RegExp }[] = [
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
  for (const c of cases)
    it(`${c.what}: ${c.program}`, async () => {
      assertFailsLoudly(await planProgram(c.program), c.message);
    });

  it("DEBUG=1 adds the stack trace, which points into the program", async () => {
    const result = await planProgram("apply-throws.ts", { DEBUG: "1" });
    assert.equal(result.status, 3, result.stderr);
    assert.match(result.stderr, /apply broke/);
    assert.match(result.stderr, /\n\s+at .*apply-throws\.ts:\d+/);
  });

  it("through the plan CLI: an edge stack whose cloud plan lacks a required output (read in an apply)", async () => {
    // Before: exit 1 with Node's crash dump of "Required output 'backupBucket' does not exist".
    const cloud = structuredClone(planFor("dev"));
    delete cloud.outputs.backupBucket;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-errors-")), "dev.json");
    fs.writeFileSync(file, JSON.stringify(cloud));
    const result = await run([
      path.join(PROJECT_DIR, "tools/plan/cli.ts"),
      "--stack",
      "edge-dev",
      "--cloud-plan",
      file,
    ]);
    assertFailsLoudly(
      result,
      /^Stack edge-dev: error: Required output 'backupBucket' does not exist on stack '[^']+\/platform\/dev'\. /,
    );
    assert.equal(result.stdout, "", "nothing planned");
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
