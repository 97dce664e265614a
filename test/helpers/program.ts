import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";

export const PROJECT_DIR = path.resolve(__dirname, "../..");

export interface PlannedResource {
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  options: {
    protect?: boolean;
    retainOnDelete?: boolean;
    ignoreChanges?: string[];
    deleteBeforeReplace?: boolean;
    dependsOn?: string[];
    provider?: string;
  };
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

/** As runPlanCli, without blocking the test runner's event loop (for tests that serve sockets themselves). */
export function runPlanCliAsync(args: string[]): Promise<PlanRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_DIR, "tools/plan/cli.ts"), ...args], {
      cwd: PROJECT_DIR,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
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
 * (keys like "platform:cluster") to a temporary directory, for `--config-dir`.
 */
export function stackDirWith(stack: string, overrides: Overrides): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `plan-${stack}-`));
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

/**
 * `npm test` sets PLATFORM_PLAN_CACHE to a fresh directory for the run: each test file is its
 * own process, and without it every file planned dev and prod again (about 40 plans of 2–3 s).
 * A plan is written there once (atomically, by rename) and read by every other file.
 */
function sharedPlanFile(key: string): string | undefined {
  const dir = process.env.PLATFORM_PLAN_CACHE;
  return dir ? path.join(dir, `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`) : undefined;
}

/**
 * The whole program under mocks for a stack, with that stack's real config file (optionally with
 * overrides), as the plan's JSON. Memoised per stack and overrides, within a file and, under
 * `npm test`, across the run's files.
 */
export function planFor(stack: string, overrides?: Overrides): Plan {
  const key = `${stack}:${JSON.stringify(overrides ?? {})}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const shared = sharedPlanFile(key);
  if (shared && fs.existsSync(shared)) {
    const plan = JSON.parse(fs.readFileSync(shared, "utf8")) as Plan;
    cache.set(key, plan);
    return plan;
  }
  const args = ["--stack", stack, "--json"];
  if (overrides) args.push("--config-dir", stackDirWith(stack, overrides));
  const run = runPlanCli(args);
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
