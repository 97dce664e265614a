/**
 * Fleet benchmark (a script, not a test): the offline plan of a cloud stack serving 1 site and 50
 * sites. Prints the median wall time of each (3 runs), their ratio, and the resource counts, with
 * the resources one site adds. Usage: npm run bench:fleet [-- --stack dev --runs 3]
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";

const ROOT = path.resolve(__dirname, "../..");
const { values } = parseArgs({
  options: { stack: { type: "string", default: "dev" }, runs: { type: "string", default: "3" } },
});
const stack = values.stack as string;
const runs = Number(values.runs);

function configDir(sites: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fleet-${sites}-`));
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  const file = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  file.config["platform:edgeSites"] = Array.from({ length: sites }, (_, i) => `site-${i + 1}`);
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stringify(file));
  return dir;
}

function plan(sites: number): { seconds: number; resources: number } {
  const dir = configDir(sites);
  const times: number[] = [];
  let resources = 0;
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "tools/plan/cli.ts"), "--stack", stack, "--config-dir", dir, "--json"],
      {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
    if (run.status !== 0) throw new Error(`plan with ${sites} sites exited ${run.status}: ${run.stderr}`);
    resources = (JSON.parse(run.stdout) as { resources: unknown[] }).resources.length;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  if (median === undefined) throw new Error(`no timed plan with ${sites} sites`);
  return { seconds: median, resources };
}

const one = plan(1);
const fifty = plan(50);
const perSite = (fifty.resources - one.resources) / 49;
console.log(`stack ${stack}, median of ${runs} runs each`);
console.log(`  1 site:   ${one.seconds.toFixed(2)} s, ${one.resources} resources`);
console.log(`  50 sites: ${fifty.seconds.toFixed(2)} s, ${fifty.resources} resources`);
console.log(`  time ratio 50/1: ${(fifty.seconds / one.seconds).toFixed(2)}x (target at most 1.3x)`);
console.log(`  resources per added site: ${perSite} (linear: ${Number.isInteger(perSite) ? "yes" : "no"})`);
