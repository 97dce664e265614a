/**
 * `npm run test:unit [-- FILE... | --test-name-pattern=...]`: the unit tests, several files to a process.
 * `npm test` adds `--checks`: `npm run typecheck` and `npm run lint` run at the same time as the tests,
 * their output printed after the tests' report when they fail, their failure failing the run.
 *
 * `node --test FILES` starts one process per file, and most of a small file's cost was that start:
 * Node, tsx and node:test, and for a file that plans, the Pulumi SDK and the program loaded into
 * its plan worker (test/helpers/program.ts), 2–3 s of CPU. Here the files are dealt into groups,
 * longest first, each to the group with the least work so far (by each file's time in the last run,
 * kept in node_modules/.cache; by its size when there is none); each group is one `node --test`
 * process that requires its files in turn, so it pays for those loads once. One group per worker,
 * all at once: more, smaller groups each pay those loads again and, being of equal estimated size,
 * leave the last ones to run alone (measured on two cores, three workers: six groups 61.3 s in a
 * fresh clone and 53.7 s on a second run, three groups 57.5 s and 44.7 s). A test file still runs alone as before: `node --import tsx --test test/x.test.ts`.
 *
 * Before the groups start, the four stacks are planned once, in one process, into a fresh
 * PLATFORM_PLAN_CACHE that every group reads (test/helpers/warm-plans.ts).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Finished, spawnAsync } from "./helpers/tools";

const ROOT = path.resolve(__dirname, "..");
const DURATIONS = path.join(ROOT, "node_modules/.cache/platform-tests/durations.json");
/**
 * Processes at a time: one more than the cores, because part of a group's time is spent waiting
 * (on PostgreSQL, sshd, nginx, a timeout under test), not computing. Measured on two cores, with
 * the type-check and the linters beside: 2 at a time 56.6 s, 3 49.9 s, 4 53.1 s.
 * PLATFORM_TEST_WORKERS overrides it.
 */
const WORKERS = Number(process.env.PLATFORM_TEST_WORKERS) || os.availableParallelism() + 1;
/** Without a last run: a file's milliseconds per byte of source, a rough guess from this suite. */
const MS_PER_BYTE_GUESS = 0.4;

type Durations = Record<string, number>;

function readDurations(): Durations {
  try {
    return JSON.parse(fs.readFileSync(DURATIONS, "utf8")) as Durations;
  } catch {
    return {};
  }
}

/** Each file's milliseconds in this run, from the durations reporter's lines, merged into the last run's. */
function recordDurations(lines: string, previous: Durations): void {
  const now: Durations = {};
  for (const line of lines.split("\n").filter(Boolean)) {
    const { file, ms } = JSON.parse(line) as { file: string; ms: number };
    const key = path.relative(ROOT, file);
    now[key] = (now[key] ?? 0) + ms;
  }
  fs.mkdirSync(path.dirname(DURATIONS), { recursive: true });
  fs.writeFileSync(DURATIONS, `${JSON.stringify({ ...previous, ...now }, null, 1)}\n`);
}

/** Longest first, each to the group with the least work so far. */
export function dealIntoGroups(files: string[], estimateMs: (file: string) => number, count: number): string[][] {
  const groups = Array.from({ length: Math.max(1, Math.min(count, files.length)) }, () => ({
    ms: 0,
    files: [] as string[],
  }));
  const longestFirst = [...files].sort((a, b) => estimateMs(b) - estimateMs(a) || a.localeCompare(b));
  for (const file of longestFirst) {
    const lightest = groups.reduce((min, g) => (g.ms < min.ms ? g : min));
    lightest.files.push(file);
    lightest.ms += estimateMs(file);
  }
  return groups.map((g) => g.files).filter((g) => g.length > 0);
}

/** Node with tsx, its output on this process's own streams; resolves to its exit code. */
function node(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, env, stdio: "inherit" });
    child.on("close", (status) => resolve(status ?? 1));
  });
}

/**
 * `npm run typecheck` and `npm run lint`, started beside the tests when `--checks` is given (`npm test`);
 * their output is collected, to be printed after the tests' report rather than into it.
 */
function startChecks(): { name: string; done: Promise<Finished> }[] {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  return ["typecheck", "lint"].map((name) => ({
    name,
    done: spawnAsync(npm, ["run", "--silent", name], { cwd: ROOT }),
  }));
}

async function main(argv: string[]): Promise<number> {
  const withChecks = argv.includes("--checks");
  const flags = argv.filter((a) => a.startsWith("-") && a !== "--checks");
  const named = argv.filter((a) => !a.startsWith("-")).map((f) => path.resolve(f));
  const files = named.length
    ? named
    : fs
        .readdirSync(path.join(ROOT, "test"))
        .filter((f) => f.endsWith(".test.ts"))
        .sort()
        .map((f) => path.join(ROOT, "test", f));

  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-tests-"));
  try {
    const env = { ...process.env, PLATFORM_PLAN_CACHE: path.join(runDir, "plans") };
    fs.mkdirSync(env.PLATFORM_PLAN_CACHE);
    // The type-check and the linters are single-threaded for most of their run: beside the tests they
    // fill the gaps the test processes leave (waits on servers, the last group running alone).
    const checks = withChecks ? startChecks() : [];

    let status = await node([path.join(__dirname, "helpers/warm-plans.ts")], env);
    if (status === 0) {
      const last = readDurations();
      const estimate = (file: string) => last[path.relative(ROOT, file)] ?? fs.statSync(file).size * MS_PER_BYTE_GUESS;
      const groups = dealIntoGroups(files, estimate, WORKERS).map((group, i) => {
        const entry = path.join(runDir, `group-${i + 1}.cjs`);
        fs.writeFileSync(entry, group.map((file) => `require(${JSON.stringify(file)});\n`).join(""));
        return entry;
      });
      const durations = path.join(runDir, "durations.jsonl");
      status = await node(
        [
          "--test",
          `--test-concurrency=${WORKERS}`,
          "--test-reporter=spec",
          "--test-reporter-destination=stdout",
          `--test-reporter=${path.join(__dirname, "helpers/durations-reporter.mjs")}`,
          `--test-reporter-destination=${durations}`,
          ...flags,
          ...groups,
        ],
        env,
      );
      if (named.length === 0 && flags.length === 0 && fs.existsSync(durations))
        recordDurations(fs.readFileSync(durations, "utf8"), last);
    }
    for (const check of checks) {
      const { status: checkStatus, stdout, stderr } = await check.done;
      console.log(`\nnpm run ${check.name}: ${checkStatus === 0 ? "passed" : `failed (exit ${checkStatus})`}`);
      if (checkStatus !== 0) process.stdout.write(`${stdout}${stderr}`);
      if (status === 0) status = checkStatus;
    }
    return status;
  } finally {
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((status) => process.exit(status));
