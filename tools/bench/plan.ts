/**
 * Plan benchmark (a script, not a test): the offline plan of a stack (`npm run plan -- --stack prod
 * --json`, output discarded) against a process that only imports the packages the plan loads (the
 * project's dependencies and @pulumi/policy), both as fresh Node processes with tsx as `npm run
 * plan` runs (and the import once more without tsx, for scale). Prints the
 * median wall time and CPU time (user+sys, the children's, from /proc: honest on a shared machine)
 * of each and their ratio; the target is at most 1.5x.
 * Usage: npm run bench:plan [-- --stack prod --runs 5]
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

const ROOT = path.resolve(__dirname, "../..");
const TARGET = 1.5;

const { values } = parseArgs({
  options: { stack: { type: "string", default: "prod" }, runs: { type: "string", default: "5" } },
});
const stack = values.stack;
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got ${values.runs}`);

/** What the plan imports: the program's dependencies and the policy SDK the plan evaluates the pack with. */
function importedPackages(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  return [...Object.keys(pkg.dependencies), "@pulumi/policy"];
}

/** User+sys seconds of this process's finished children (Linux /proc), or undefined elsewhere. */
function childrenCpuSeconds(): number | undefined {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    // Fields after the command's closing parenthesis; cutime and cstime are fields 16 and 17.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[13]) + Number(fields[14]);
    const hz = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
    return ticks / hz;
  } catch {
    return undefined;
  }
}

interface Sample {
  wall: number;
  cpu?: number;
}

function timed(args: string[], loader: string[] = ["--import", "tsx"]): Sample {
  const cpuBefore = childrenCpuSeconds();
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [...loader, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`node ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  const cpuAfter = childrenCpuSeconds();
  return { wall, cpu: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore };
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

const importScript = importedPackages()
  .map((p) => `require(${JSON.stringify(p)});`)
  .join(" ");
const planArgs = [path.join(ROOT, "tools/plan/cli.ts"), "--stack", stack, "--json", "--out", "/dev/null"];

// One warm-up of each (tsx's transform cache, the page cache), then alternate so load hits both alike.
timed(["-e", importScript]);
timed(planArgs);
const imports: Sample[] = [];
const plainImports: Sample[] = [];
const plans: Sample[] = [];
for (let i = 0; i < runs; i++) {
  imports.push(timed(["-e", importScript]));
  plainImports.push(timed(["-e", importScript], []));
  plans.push(timed(planArgs));
}

const line = (what: string, samples: Sample[], pick: (s: Sample) => number | undefined) => {
  const xs = samples.map(pick).filter((x): x is number => x !== undefined);
  return xs.length ? `${what} ${median(xs).toFixed(2)} s` : `${what} n/a`;
};
console.log(`offline plan of ${stack} vs importing ${importedPackages().join(", ")}; median of ${runs} runs`);
console.log(`  import only: ${line("wall", imports, (s) => s.wall)}, ${line("cpu", imports, (s) => s.cpu)}`);
console.log(
  `  (without tsx: ${line("wall", plainImports, (s) => s.wall)}, ${line("cpu", plainImports, (s) => s.cpu)}; tsx's hooks see every module the SDKs load)`,
);
console.log(`  plan:        ${line("wall", plans, (s) => s.wall)}, ${line("cpu", plans, (s) => s.cpu)}`);
const wallRatio = median(plans.map((s) => s.wall)) / median(imports.map((s) => s.wall));
const cpus = (xs: Sample[]) => xs.map((s) => s.cpu).filter((x): x is number => x !== undefined);
const cpuRatio = cpus(plans).length ? median(cpus(plans)) / median(cpus(imports)) : undefined;
console.log(
  `  ratio plan/import: wall ${wallRatio.toFixed(2)}x, cpu ${cpuRatio === undefined ? "n/a" : `${cpuRatio.toFixed(2)}x`} (target at most ${TARGET}x; on a busy machine trust cpu)`,
);
