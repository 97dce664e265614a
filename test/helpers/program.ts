import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { parse, stringify } from "yaml";
import type { CapturedOptions } from "../../tools/plan/capture";
import { tempDir } from "./temp-dir";

export const PROJECT_DIR = path.resolve(__dirname, "../..");

export interface PlannedResource {
  type: string;
  name: string;
  parent: string | null;
  /** Inputs as the provider receives them: read them through test/helpers/inputs.ts, which narrows each value. */
  inputs: Record<string, unknown>;
  /** The options the plan records (tools/plan/capture.ts). */
  options: CapturedOptions;
}

export interface Plan {
  stack: string;
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
  [section: string]: unknown;
}

export interface PlanRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run plan` as a user would (a fresh process: the SDK keeps global state). */
export function runPlanCli(args: string[]): PlanRun {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(PROJECT_DIR, "tools/plan/cli.ts"), ...args],
    {
      cwd: PROJECT_DIR,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A plan taking longer than this in the worker is reported as a failure, not waited on forever. */
const IN_PROCESS_TIMEOUT_MS = 5 * 60 * 1000;

let planner: { port: MessagePort; signal: Int32Array } | undefined;

function inProcessPlanner(): { port: MessagePort; signal: Int32Array } {
  if (planner) return planner;
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  // TypeScript through tsx's in-thread require hook: the `--import tsx` loader would answer the
  // worker's imports on a thread this one blocks while it waits.
  const entry = path.join(__dirname, "plan-worker.ts");
  const tsx = require.resolve("tsx/cjs/api");
  const worker = new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(entry)});`, {
    eval: true,
    execArgv: [],
    workerData: { port: port2, signal },
    transferList: [port2],
  });
  // The file's process exits when its tests are done, whatever the SDK left open in the worker.
  worker.unref();
  // A worker that died (it answers every plan, even a crashed one) is replaced at the next plan.
  worker.on("error", () => undefined);
  worker.on("exit", () => (planner = undefined));
  port1.unref();
  planner = { port: port1, signal };
  return planner;
}

/**
 * What `npm run plan -- ARGS` prints and its exit code, computed in this process: a worker thread
 * keeps the SDK and the program loaded, so a test file pays for loading them once, not once per
 * plan (a plan is then about 1 s instead of 3). Synchronous, like runPlanCli. Process-level
 * behaviour (exit after flushing a pipe, DEBUG, a crash) is runPlanCli's to test.
 */
export function runPlanInProcess(args: string[]): PlanRun {
  const { port, signal } = inProcessPlanner();
  Atomics.store(signal, 0, 0);
  port.postMessage(args);
  if (Atomics.wait(signal, 0, 0, IN_PROCESS_TIMEOUT_MS) === "timed-out")
    throw new Error(`plan ${args.join(" ")}: no answer from the plan worker in ${IN_PROCESS_TIMEOUT_MS / 1000} s`);
  const received = receiveMessageOnPort(port);
  if (!received) throw new Error(`plan ${args.join(" ")}: the plan worker signalled without an answer`);
  return received.message as PlanRun;
}

type Overrides = Record<string, unknown>;

function deepMerge(base: unknown, patch: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(base) || !isObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = v === undefined ? undefined : deepMerge(base[k], v);
  return out;
}

/**
 * Writes Pulumi.yaml and a copy of the real stack file with `overrides` merged into its config
 * (keys like "platform:cluster") to a temporary directory (removed when the process exits), for `--config-dir`.
 */
export function stackDirWith(stack: string, overrides: Overrides): string {
  const dir = tempDir(`plan-${stack}-`);
  // Every stack file: an edge stack's plan also plans the cloud stack it references.
  for (const file of fs.readdirSync(PROJECT_DIR).filter((f) => /^Pulumi(\..+)?\.yaml$/.test(f)))
    fs.copyFileSync(path.join(PROJECT_DIR, file), path.join(dir, file));
  const original = parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Overrides;
  };
  const config = deepMerge(original.config, overrides);
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stringify({ config }));
  return dir;
}

const cache = new Map<string, Plan>();

const cacheKey = (stack: string, overrides?: Overrides): string => `${stack}:${JSON.stringify(overrides ?? {})}`;

/**
 * `npm test` sets PLATFORM_PLAN_CACHE to a fresh directory for the run and plans the four stacks
 * into it first (test/helpers/warm-plans.ts): each test file is its own process, and without it
 * every file planned dev and prod again. A plan is written there once (atomically, by rename) and
 * read by every other file.
 */
function sharedPlanFile(key: string): string | undefined {
  const dir = process.env.PLATFORM_PLAN_CACHE;
  return dir ? path.join(dir, `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`) : undefined;
}

const privatePlanFiles = new Map<string, string>();

/** A file holding the plan's JSON, for `--cloud-plan`: the run's shared copy, or one of this process's own. */
function planFile(stack: string): string {
  const key = cacheKey(stack);
  const plan = planFor(stack);
  const shared = sharedPlanFile(key);
  if (shared && fs.existsSync(shared)) return shared;
  let file = privatePlanFiles.get(key);
  if (!file) {
    file = path.join(tempDir(`plan-${stack}-`), "plan.json");
    fs.writeFileSync(file, JSON.stringify(plan));
    privatePlanFiles.set(key, file);
  }
  return file;
}

/**
 * An edge stack's plan answers its StackReference with its cloud stack's plan. Overrides change
 * only the edge stack's file, so that plan is the cloud stack's own, already planned: it is given
 * as `--cloud-plan` (the same answer, byte for byte) instead of being planned again.
 */
function cloudPlanArgs(stack: string, overrides?: Overrides): string[] {
  if (!(stack in CLOUD_STACK_OF) || (overrides && "platform:cloudStack" in overrides)) return [];
  return ["--cloud-plan", planFile(CLOUD_STACK_OF[stack as keyof typeof CLOUD_STACK_OF])];
}

/**
 * The whole program under mocks for a stack, with that stack's real config file (optionally with
 * overrides), as the plan's JSON. Planned in this process (runPlanInProcess); memoised per stack
 * and overrides, within a file and, under `npm test`, across the run's files.
 */
export function planFor(stack: string, overrides?: Overrides): Plan {
  const key = cacheKey(stack, overrides);
  const cached = cache.get(key);
  if (cached) return cached;
  const shared = sharedPlanFile(key);
  if (shared && fs.existsSync(shared)) {
    const plan = JSON.parse(fs.readFileSync(shared, "utf8")) as Plan;
    cache.set(key, plan);
    return plan;
  }
  const args = ["--stack", stack, "--json", ...cloudPlanArgs(stack, overrides)];
  if (overrides) args.push("--config-dir", stackDirWith(stack, overrides));
  const run = runPlanInProcess(args);
  if (run.status !== 0) throw new Error(`plan --stack ${stack} exited ${run.status}:\n${run.stderr}`);
  const plan = JSON.parse(run.stdout) as Plan;
  cache.set(key, plan);
  if (shared) {
    const tmp = `${shared}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, run.stdout);
    fs.renameSync(tmp, shared);
  }
  return plan;
}

export function ofType(plan: Plan, type: string): PlannedResource[] {
  return plan.resources.filter((r) => r.type === type);
}

export function one(plan: Plan, type: string, name?: string): PlannedResource {
  const found = ofType(plan, type).filter((r) => name === undefined || r.name === name);
  const [only] = found;
  if (only === undefined || found.length !== 1)
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
  return only;
}

/** The cloud stacks (AWS). */
export const STACKS = ["dev", "prod"] as const;
/** The edge stacks (one Pi site each), and the cloud stack each reads. */
export const EDGE_STACKS = ["edge-dev", "edge-prod"] as const;
export const CLOUD_STACK_OF = { "edge-dev": "dev", "edge-prod": "prod" } as const;
