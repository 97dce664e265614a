/**
 * `npm run test:unit [-- FILE... | --test-name-pattern=...]`: the unit tests, several files to a process.
 *
 * `node --test FILES` starts one process per file, and most of a small file's cost was that start:
 * Node, tsx and node:test, and for a file that plans, the Pulumi SDK and the program loaded into
 * its plan worker (test/helpers/program.ts), 2–3 s of CPU. Here the files are dealt into groups,
 * longest first, each to the group with the least work so far (by each file's time in the last run,
 * kept in node_modules/.cache; by its size when there is none); each group is one `node --test`
 * process that requires its files in turn, so it pays for those loads once. One group per core
 * runs at a time. A test file still runs alone as before: `node --import tsx --test test/x.test.ts`.
 *
 * Before the groups start, the four stacks are planned once, in one process, into a fresh
 * PLATFORM_PLAN_CACHE that every group reads (test/helpers/warm-plans.ts).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const DURATIONS = path.join(ROOT, "node_modules/.cache/platform-tests/durations.json");
/** Processes at a time: one per core. */
const WORKERS = Number(process.env.PLATFORM_TEST_WORKERS) || os.availableParallelism();
/**
 * More groups than workers, so that a group that ran longer than its estimate (a busy machine, a
 * file that changed, no last run to go by) is made up for by the groups still waiting.
 */
const GROUPS_PER_WORKER = 2;
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

function main(argv: string[]): number {
  const flags = argv.filter((a) => a.startsWith("-"));
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
    const node = (args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, env, stdio: "inherit" }).status ?? 1;

    const warm = node([path.join(__dirname, "helpers/warm-plans.ts")]);
    if (warm !== 0) return warm;

    const last = readDurations();
    const estimate = (file: string) => last[path.relative(ROOT, file)] ?? fs.statSync(file).size * MS_PER_BYTE_GUESS;
    const groups = dealIntoGroups(files, estimate, WORKERS * GROUPS_PER_WORKER).map((group, i) => {
      const entry = path.join(runDir, `group-${i + 1}.cjs`);
      fs.writeFileSync(entry, group.map((file) => `require(${JSON.stringify(file)});\n`).join(""));
      return entry;
    });
    const durations = path.join(runDir, "durations.jsonl");
    const status = node([
      "--test",
      `--test-concurrency=${WORKERS}`,
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      `--test-reporter=${path.join(__dirname, "helpers/durations-reporter.mjs")}`,
      `--test-reporter-destination=${durations}`,
      ...flags,
      ...groups,
    ]);
    if (named.length === 0 && flags.length === 0 && fs.existsSync(durations))
      recordDurations(fs.readFileSync(durations, "utf8"), last);
    return status;
  } finally {
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
