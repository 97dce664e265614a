import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { stackTracesWanted, withoutStackTraces } from "../tools/plan/stack-traces";
import { PROJECT_DIR } from "./helpers/program";

/*
 * What keeps a plan close to the cost of importing its packages (npm run bench:plan): no stack
 * trace recorded for nothing, and no module loaded that the stack's kind or the flags do not use.
 */

describe("plan: stack traces only when something prints them", () => {
  it("DEBUG=1 or PULUMI_DEBUG_PROMISE_LEAKS wants them; nothing else does", () => {
    assert.equal(stackTracesWanted({}), false);
    assert.equal(stackTracesWanted({ DEBUG: "0" }), false);
    assert.equal(stackTracesWanted({ DEBUG: "1" }), true);
    assert.equal(stackTracesWanted({ PULUMI_DEBUG_PROMISE_LEAKS: "true" }), true);
  });

  it("withoutStackTraces records none while the work runs, and restores the limit after it, even when it fails", async () => {
    const limit = Error.stackTraceLimit;
    const sourceMaps = process.sourceMapsEnabled;
    const during = await withoutStackTraces(
      () => Promise.resolve({ limit: Error.stackTraceLimit, sourceMaps: process.sourceMapsEnabled }),
      {},
    );
    assert.deepEqual(during, { limit: 0, sourceMaps: false });
    assert.equal(Error.stackTraceLimit, limit);
    assert.equal(process.sourceMapsEnabled, sourceMaps);
    await assert.rejects(
      withoutStackTraces(() => Promise.reject(new Error("the program broke")), {}),
      // The message survives: only the frames are left out.
      (error: Error) => error.message === "the program broke" && error.stack === "Error: the program broke",
    );
    assert.equal(Error.stackTraceLimit, limit);
    assert.equal(process.sourceMapsEnabled, sourceMaps);
  });

  it("with DEBUG=1 the work keeps the process's stack traces", async () => {
    const limit = Error.stackTraceLimit;
    assert.equal(await withoutStackTraces(() => Promise.resolve(Error.stackTraceLimit), { DEBUG: "1" }), limit);
  });
});

/** The project's modules (relative paths) a fresh process has loaded after `npm run plan -- ARGS`, and its exit code. */
function modulesLoadedByPlan(args: string[]): { status: number; modules: string[] } {
  const script = `
    const { runPlan } = require(${JSON.stringify(path.join(PROJECT_DIR, "tools/plan/run.ts"))});
    const silent = { out() {}, err() {}, width: 160 };
    runPlan(${JSON.stringify(args)}, silent).then((status) => {
      console.log(JSON.stringify({ status, modules: Object.keys(require.cache) }));
      process.exit(0);
    });`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: PROJECT_DIR, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { status: number; modules: string[] };
  return {
    status: result.status,
    modules: result.modules
      .filter((m) => m.startsWith(PROJECT_DIR) && !m.includes(`${path.sep}node_modules${path.sep}`))
      .map((m) => path.relative(PROJECT_DIR, m)),
  };
}

describe("plan: a stack loads only what its kind and the flags use", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it("a cloud stack's plan loads none of the Pi's wiring, nor the --emit renderers without --emit", () => {
    const { status, modules } = modulesLoadedByPlan(["--stack", "dev"]);
    assert.equal(status, 0);
    assert.ok(modules.includes(path.join("stacks", "cloud.ts")), modules.join("\n"));
    // The edge stack and its Edge component with what only it uses (the cloud stack shares small
    // pure modules of components/edge/: ECR statements, site names, image pins, the nginx CSP default).
    const piOnly = [
      "stacks/edge.ts",
      "components/edge/index.ts",
      "components/edge/host.ts",
      "components/edge/containers.ts",
    ];
    assert.deepEqual(
      piOnly.map((m) => path.join(...m.split("/"))).filter((m) => modules.includes(m)),
      [],
    );
    assert.ok(!modules.includes(path.join("tools", "plan", "emit.ts")));
  });

  it("--emit loads the renderers and writes the artifacts", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-loading-"));
    dirs.push(dir);
    const { status, modules } = modulesLoadedByPlan(["--stack", "dev", "--emit", dir]);
    assert.equal(status, 0);
    assert.ok(modules.includes(path.join("tools", "plan", "emit.ts")));
    assert.ok(fs.existsSync(path.join(dir, "cluster", "scripts", "db-dump.sh")));
  });
});
