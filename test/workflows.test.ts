import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { renderReport, type PlanJson } from "../.github/scripts/plan-report";
import { requireTool } from "./helpers/tools";

/**
 * The GitHub workflows: each one through the action-validator schema (with a negative case
 * proving it catches mistakes), then the properties the CI design depends on (pinned actions,
 * OIDC only where used, the policy pack on every preview and update, prod behind its
 * environment, drift opening an issue), shellcheck on every `run:` block and script, and the
 * scripts the workflows call run for real.
 */

const ROOT = path.resolve(__dirname, "..");
const WORKFLOWS = path.join(ROOT, ".github/workflows");
const SCRIPTS = path.join(ROOT, ".github/scripts");
const STACKS = ["dev", "prod"] as const;
const EDGE_STACKS = ["edge-dev", "edge-prod"] as const;

interface Step { uses?: string; run?: string; with?: Record<string, unknown>; if?: string; env?: Record<string, string>; id?: string }
interface Job {
  uses?: string; needs?: string | string[]; if?: string; environment?: string | { name: string };
  permissions?: Record<string, string> | string; concurrency?: { group: string; "cancel-in-progress"?: boolean };
  container?: string | { image: string }; strategy?: { matrix?: unknown }; steps?: Step[]; "timeout-minutes"?: number;
}
interface Workflow { on: Record<string, unknown>; permissions?: Record<string, string>; concurrency?: { "cancel-in-progress"?: boolean }; jobs: Record<string, Job> }

const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();
const source = (file: string) => fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
const workflow = (file: string) => parse(source(file)) as Workflow;
const stepsOf = (job: Job) => job.steps ?? [];
const allJobs = () => files.flatMap((file) => Object.entries(workflow(file).jobs).map(([name, job]) => ({ file, name, job })));
const usesAction = (job: Job, action: string) => stepsOf(job).some((s) => s.uses?.startsWith(`${action}@`));
const pulumiSteps = (job: Job) => stepsOf(job).filter((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command);

describe("workflows pass the action-validator schema", () => {
  it("there are the pull-request, main, drift and shared checks workflows", () => {
    for (const f of ["pull-request.yml", "main.yml", "drift.yml", "checks.yml"]) assert.ok(files.includes(f), f);
  });

  for (const file of files) {
    it(`${file}: no errors`, () => {
      const { errors } = validateWorkflow(source(file));
      assert.deepEqual(errors, [], JSON.stringify(errors, null, 2));
    });
  }

  const minimal = "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ok\n";
  it("accepts a minimal workflow and rejects broken ones (so a pass above means something)", () => {
    assert.deepEqual(validateWorkflow(minimal).errors, []);
    const broken = {
      "unknown event": minimal.replace("on: push", "on: pushed"),
      "unknown job key": minimal.replace("steps:", "stepz:"),
      "bad permission value": minimal.replace("    steps:", "    permissions:\n      id-token: sure\n    steps:"),
      "needs an unknown job": minimal.replace("    steps:", "    needs: build\n    steps:"),
      "unparseable YAML": "on: [push\n",
    };
    for (const [what, text] of Object.entries(broken)) assert.ok(validateWorkflow(text).errors.length > 0, what);
  });
});

describe("actions and images are pinned", () => {
  const lines = files.flatMap((file) => source(file).split("\n").map((line, i) => ({ file, line, at: `${file}:${i + 1}` })));
  const uses = lines.filter((l) => /^\s*(-\s+)?uses:/.test(l.line));

  it("every third-party action is pinned by full commit SHA with its version in a comment", () => {
    assert.ok(uses.length > 0);
    for (const { line, at } of uses) {
      const ref = line.replace(/^\s*(-\s+)?uses:\s*/, "");
      if (ref.startsWith("./")) continue; // this repository's reusable workflow
      assert.match(ref, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, `${at}: ${ref}`);
    }
  });

  it("one SHA per action across all workflows", () => {
    const shas = new Map<string, Set<string>>();
    for (const { line } of uses) {
      const m = /uses:\s*([^@\s]+)@(\S+)/.exec(line);
      if (m && !m[1].startsWith("./")) shas.set(m[1], new Set([...(shas.get(m[1]) ?? []), m[2]]));
    }
    for (const [action, set] of shas) assert.equal(set.size, 1, `${action}: ${[...set].join(", ")}`);
  });

  it("container images carry an exact version tag or a digest", () => {
    for (const { file, name, job } of allJobs()) {
      if (!job.container) continue;
      const image = typeof job.container === "string" ? job.container : job.container.image;
      assert.match(image, /@sha256:[0-9a-f]{64}$|:\d+\.\d+[\w.-]*$/, `${file} ${name}: ${image}`);
    }
  });

  it("the Pulumi CLI is the release of the @pulumi/pulumi SDK in package.json", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const installs = allJobs().flatMap(({ job }) => stepsOf(job).filter((s) => s.uses?.startsWith("pulumi/actions@")));
    assert.ok(installs.length > 0);
    for (const s of installs) assert.equal(String(s.with?.["pulumi-version"]), pkg.dependencies["@pulumi/pulumi"]);
  });

  it("setup-node installs Node 20 and checkouts keep no token on disk", () => {
    for (const { file, name, job } of allJobs()) {
      for (const s of stepsOf(job)) {
        if (s.uses?.startsWith("actions/setup-node@")) assert.equal(String(s.with?.["node-version"]), "20", `${file} ${name}`);
        if (s.uses?.startsWith("actions/checkout@")) assert.equal(s.with?.["persist-credentials"], false, `${file} ${name}`);
      }
    }
  });
});

describe("credentials and permissions", () => {
  it("no stored AWS keys anywhere in workflows or their scripts", () => {
    const texts = [...files.map((f) => path.join(WORKFLOWS, f)), ...fs.readdirSync(SCRIPTS).map((f) => path.join(SCRIPTS, f))];
    for (const file of texts) assert.doesNotMatch(fs.readFileSync(file, "utf8"), /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key/, file);
  });

  it("every workflow defaults to read-only contents and grants nothing more at the top", () => {
    for (const file of files) assert.deepEqual(workflow(file).permissions, { contents: "read" }, file);
  });

  it("id-token: write exactly on the jobs that assume an AWS role through OIDC", () => {
    let oidcJobs = 0;
    for (const { file, name, job } of allJobs()) {
      const perms = typeof job.permissions === "object" ? job.permissions : {};
      const assumesRole = stepsOf(job).some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@") && s.with?.["role-to-assume"]);
      assert.equal(perms["id-token"] === "write", assumesRole, `${file} ${name}`);
      if (assumesRole) oidcJobs++;
    }
    assert.equal(oidcJobs, 6, "preview, deploy-dev, deploy-prod, deploy-edge-dev, deploy-edge-prod, drift");
  });

  it("a job that runs pulumi against a stack has AWS credentials first", () => {
    for (const { file, name, job } of allJobs()) {
      const steps = stepsOf(job);
      const pulumi = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
      if (pulumi < 0) continue;
      const aws = steps.findIndex((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
      assert.ok(aws >= 0 && aws < pulumi, `${file} ${name}`);
    }
  });
});

describe("pull requests", () => {
  const pr = workflow("pull-request.yml");

  it("runs on pull_request, one run per PR, the shared checks", () => {
    assert.ok("pull_request" in pr.on);
    assert.ok(!("pull_request_target" in pr.on), "a fork's code must never run with this repository's secrets");
    assert.match(JSON.stringify(pr.concurrency), /pull_request\.number/);
    assert.equal(pr.jobs.checks.uses, "./.github/workflows/checks.yml");
  });

  it("the shared checks run .ci/run (apt tools, npm ci, npm test) on Debian as root", () => {
    const job = workflow("checks.yml").jobs.checks;
    assert.ok(stepsOf(job).some((s) => s.run?.trim() === "bash .ci/run"));
    assert.ok(usesAction(job, "actions/setup-node"));
    assert.match(typeof job.container === "object" ? job.container.image : String(job.container), /^debian:/);
  });

  it("offline plan of every stack (cloud and edge) against the base branch, summary and one sticky comment", () => {
    const plan = pr.jobs["offline-plan"];
    assert.deepEqual((plan.strategy?.matrix as { stack: string[] }).stack, [...STACKS, ...EDGE_STACKS]);
    const stackFiles = fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => f.slice("Pulumi.".length, -".yaml".length));
    assert.deepEqual([...STACKS, ...EDGE_STACKS].sort(), stackFiles.sort(), "every stack file is planned");
    const checkouts = stepsOf(plan).filter((s) => s.uses?.startsWith("actions/checkout@"));
    assert.ok(checkouts.some((s) => s.with?.ref === "${{ github.event.pull_request.base.sha }}"), "base branch checked out");
    assert.ok(stepsOf(plan).some((s) => s.run?.includes(".github/scripts/offline-plan.sh")));
    const comment = pr.jobs["plan-comment"];
    assert.deepEqual(comment.permissions, { "pull-requests": "write" });
    assert.match(comment.if ?? "", /head\.repo\.full_name == github\.repository/);
    const script = String(stepsOf(comment).find((s) => s.uses?.startsWith("actions/github-script@"))?.with?.script);
    assert.match(script, /updateComment/);
    assert.match(script, /createComment/);
  });

  it("preview: not for forks, only stacks with a role, policy pack and its per-stack config, PR comment", () => {
    const gate = pr.jobs["preview-stacks"];
    assert.match(gate.if ?? "", /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/);
    const preview = pr.jobs.preview;
    assert.equal(preview.needs, "preview-stacks");
    assert.equal(preview.environment, "preview", "the PR's code meets the stack secrets only behind the preview environment");
    const [step] = pulumiSteps(preview);
    assert.equal(step.with?.command, "preview");
    assert.equal(step.with?.policyPacks, "policies");
    assert.equal(step.with?.policyPackConfigs, "policies/config/${{ matrix.stack }}.json");
    assert.equal(step.with?.["comment-on-pr"], true);
    assert.equal(step.with?.diff, true);
    assert.match(String(step.with?.["stack-name"]), /matrix\.stack/);
  });

  it("with both roles set, the preview matrix holds dev and prod, each with its role", () => {
    const roles = { ROLE_DEV: "arn:aws:iam::111111111111:role/preview-dev", ROLE_PROD: "arn:aws:iam::222222222222:role/preview-prod" };
    const out = stackMatrix(roles);
    assert.equal(out.any, "true");
    assert.deepEqual(JSON.parse(out.matrix), { include: [{ stack: "dev", role: roles.ROLE_DEV }, { stack: "prod", role: roles.ROLE_PROD }] });
  });

  it("each stack's policy-pack config file exists", () => {
    for (const stack of STACKS) assert.ok(fs.existsSync(path.join(ROOT, "policies/config", `${stack}.json`)), stack);
  });
});

describe("main", () => {
  const main = workflow("main.yml");
  const envName = (job: Job) => (typeof job.environment === "object" ? job.environment.name : job.environment);

  it("on push to main: checks, then dev, then prod", () => {
    assert.deepEqual((main.on.push as { branches: string[] }).branches, ["main"]);
    assert.equal(main.jobs["deploy-dev"].needs, "checks");
    assert.equal(main.jobs["deploy-prod"].needs, "deploy-dev");
  });

  for (const stack of STACKS) {
    it(`deploy-${stack}: environment ${stack}, pulumi up with the policy pack, never cancelled in flight`, () => {
      const job = main.jobs[`deploy-${stack}`];
      assert.equal(envName(job), stack);
      const [step] = pulumiSteps(job);
      assert.equal(step.with?.command, "up");
      assert.match(String(step.with?.["stack-name"]), new RegExp(`\\b${stack}\\b`));
      assert.equal(step.with?.policyPacks, "policies");
      assert.equal(step.with?.policyPackConfigs, `policies/config/${stack}.json`);
      assert.equal(job.concurrency?.["cancel-in-progress"], false);
      const aws = stepsOf(job).find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
      assert.equal(aws?.with?.["role-to-assume"], `\${{ vars.AWS_ROLE_ARN_${stack.toUpperCase()} }}`);
    });
  }

  for (const stack of EDGE_STACKS) {
    const cloud = stack.replace("edge-", "");
    it(`deploy-${stack}: its own job after cloud stack ${cloud} only, that no other job needs; the SSH key in a job-local agent`, () => {
      const job = main.jobs[`deploy-${stack}`];
      assert.equal(job.needs, `deploy-${cloud}`);
      assert.equal(envName(job), stack);
      for (const [name, other] of Object.entries(main.jobs))
        assert.ok(![other.needs].flat().includes(`deploy-${stack}`), `${name} must not wait for a Pi`);
      const [step] = pulumiSteps(job);
      assert.equal(step.with?.command, "up");
      assert.match(String(step.with?.["stack-name"]), new RegExp(`\\b${stack}\\b`));
      assert.equal(step.with?.policyPackConfigs, `policies/config/${stack}.json`);
      assert.ok(fs.existsSync(path.join(ROOT, "policies/config", `${stack}.json`)));
      assert.equal(job.concurrency?.["cancel-in-progress"], false);
      const agent = stepsOf(job).find((s) => s.run?.includes("ssh-agent"));
      assert.match(agent?.run ?? "", /ssh-agent -a "\$RUNNER_TEMP\/ssh-agent\.sock"/, "the agent socket is in the job's temporary directory");
      assert.doesNotMatch(JSON.stringify(job), /~\/\.ssh|\$HOME/, "nothing written under the runner's home");
    });
  }

  it("the prod cloud deploy never waits for an edge stack", () => {
    assert.deepEqual([main.jobs["deploy-prod"].needs].flat(), ["deploy-dev"]);
  });

  it("no workflow that deploys cancels runs in progress", () => {
    assert.notEqual(main.concurrency?.["cancel-in-progress"], true);
  });
});

describe("drift", () => {
  const drift = workflow("drift.yml");
  const job = drift.jobs.drift;

  it("daily and on demand; fails on drift and opens or updates an issue labelled drift", () => {
    assert.ok("schedule" in drift.on && "workflow_dispatch" in drift.on);
    assert.match(drift.jobs.stacks.if ?? "", /default_branch/, "only the deployed branch's program is compared");
    const check = stepsOf(job).find((s) => s.id === "check");
    assert.match(check?.run ?? "", /drift-check\.sh/);
    const script = fs.readFileSync(path.join(SCRIPTS, "drift-check.sh"), "utf8");
    assert.match(script, /pulumi preview .*--refresh --expect-no-changes/);
    const issue = stepsOf(job).find((s) => s.uses?.startsWith("actions/github-script@"));
    assert.match(issue?.if ?? "", /steps\.check\.outputs\.drift == 'true'/);
    assert.match(String(issue?.with?.script), /issues\.create\(.*labels: \["drift"\]/);
    assert.match(String(issue?.with?.script), /issues\.createComment/);
    assert.equal((job.permissions as Record<string, string>).issues, "write");
  });
});

/** Runs stack-matrix.sh with the given role variables; returns what it wrote to GITHUB_OUTPUT. */
function stackMatrix(env: Record<string, string>): Record<string, string> & { status: string; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wf-"));
  const output = path.join(dir, "output");
  fs.writeFileSync(output, "");
  const run = spawnSync("bash", [path.join(SCRIPTS, "stack-matrix.sh")], { env: { PATH: process.env.PATH, GITHUB_OUTPUT: output, ...env }, encoding: "utf8" });
  const pairs = fs.readFileSync(output, "utf8").split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]);
  return { ...Object.fromEntries(pairs), status: String(run.status), stderr: run.stderr };
}

describe("stack-matrix.sh", () => {
  it("skips stacks without a role, and everything when none is set", () => {
    assert.deepEqual(JSON.parse(stackMatrix({ ROLE_DEV: "", ROLE_PROD: "arn:aws:iam::222222222222:role/p" }).matrix).include.map((i: { stack: string }) => i.stack), ["prod"]);
    const none = stackMatrix({});
    assert.equal(none.any, "false");
    assert.deepEqual(JSON.parse(none.matrix), { include: [] });
  });

  it("refuses a value that is not a role ARN instead of splicing it into JSON", () => {
    const bad = stackMatrix({ ROLE_DEV: 'arn:aws:iam::111111111111:role/x","stack":"prod' });
    assert.equal(bad.status, "1");
    assert.match(bad.stderr, /not an IAM role ARN/);
  });
});

describe("drift-check.sh tells drift from a failed check", () => {
  const bash = requireTool("bash");
  /** A `pulumi` on PATH that prints what the real CLI prints in each case (its messages vary by version). */
  function runWith(stdout: string, status: number) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "drift-"));
    fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\necho "$*" > "${dir}/args"\nprintf '%s\\n' '${stdout}'\nexit ${status}\n`, { mode: 0o755 });
    const output = path.join(dir, "output");
    fs.writeFileSync(output, "");
    const run = spawnSync("bash", [path.join(SCRIPTS, "drift-check.sh"), "org/dev", path.join(dir, "out.txt")], {
      env: { PATH: `${dir}:${process.env.PATH}`, GITHUB_OUTPUT: output }, encoding: "utf8" });
    return { status: run.status, output: fs.readFileSync(output, "utf8"), args: fs.readFileSync(path.join(dir, "args"), "utf8") };
  }

  it("no changes: exit 0, drift=false, refresh and expect-no-changes passed to the CLI", { skip: bash.skip }, () => {
    const r = runWith("Resources: 120 unchanged", 0);
    assert.equal(r.status, 0);
    assert.equal(r.output, "drift=false\n");
    assert.match(r.args, /^preview --stack org\/dev --refresh --expect-no-changes/);
  });

  for (const message of ["error: no changes were expected but changes were proposed", "error: no changes were expected but changes occurred"]) {
    it(`"${message}": exit 3, drift=true`, { skip: bash.skip }, () => {
      const r = runWith(message, 255);
      assert.equal(r.status, 3);
      assert.equal(r.output, "drift=true\n");
    });
  }

  it("any other failure: its own exit code, drift=false (no issue for a broken check)", { skip: bash.skip }, () => {
    const r = runWith("error: failed to decrypt secrets", 255);
    assert.equal(r.status, 255);
    assert.equal(r.output, "drift=false\n");
  });
});

describe("shell", () => {
  const shellcheck = requireTool("shellcheck");

  /** `${{ … }}` is substituted by GitHub before the shell sees it: a placeholder keeps the quoting honest. */
  const runBlocks = () => allJobs().flatMap(({ file, name, job }) =>
    stepsOf(job).filter((s) => s.run).map((s, i) => ({ at: `${file} ${name} run #${i + 1}`, script: (s.run ?? "").replace(/\$\{\{[^}]*\}\}/g, "GITHUB_EXPRESSION") })));

  it("every run: block passes shellcheck", { skip: shellcheck.skip }, () => {
    const blocks = runBlocks();
    assert.ok(blocks.length >= 5);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runs-"));
    for (const { at, script } of blocks) {
      const file = path.join(dir, "run.sh");
      fs.writeFileSync(file, `#!/usr/bin/env bash\nset -e\n${script}`);
      const r = spawnSync(shellcheck.path as string, ["-s", "bash", file], { encoding: "utf8" });
      assert.equal(r.status, 0, `${at}\n${r.stdout}`);
    }
  });

  it("every script under .github/scripts passes shellcheck", { skip: shellcheck.skip }, () => {
    const scripts = fs.readdirSync(SCRIPTS).filter((f) => f.endsWith(".sh")).map((f) => path.join(SCRIPTS, f));
    assert.ok(scripts.length >= 3);
    const r = spawnSync(shellcheck.path as string, scripts, { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout);
  });
});

describe("plan report (job summary and PR comment)", () => {
  const line = (resource: string, item: string, quantity: number, unitPrice: number) => ({ resource, item, quantity, unitPrice, monthly: quantity * unitPrice });
  const base: PlanJson = { stack: "dev", resources: [{}, {}], cost: { currency: "USD", monthly: 100, lines: [line("aws:eks/cluster:Cluster::eks", "EKS control plane", 730, 0.1), line("aws:ec2/natGateway:NatGateway::nat", "NAT gateway hours", 730, 0.036986301369863014)] } };
  const head: PlanJson = {
    stack: "dev", resources: [{}, {}, {}],
    policy: { violations: [{ policyName: "required-tags", enforcementLevel: "mandatory", urn: "urn:x::bucket", message: "missing tag | owner" }] },
    cost: { currency: "USD", monthly: 173, lines: [...(base.cost?.lines ?? []), line("aws:rds/instance:Instance::db", "RDS db.t4g.micro", 730, 0.1)], unpriced: [{ resource: "aws:foo/bar:Bar::x", reason: "no price" }] },
  };

  it("policy violations, the total with its difference, changed lines, unpriced resources", () => {
    const md = renderReport({ stack: "dev", head, base, tree: "platform-dev (pulumi:pulumi:Stack, 3 resources)", exitCode: 1 });
    assert.match(md, /^### Stack `dev`: \*\*failed\*\* \(a mandatory policy is violated/);
    assert.match(md, /\| mandatory \| required-tags \| urn:x::bucket \| missing tag \\\| owner \|/);
    assert.match(md, /\*\*Cost:\*\* \$173\.00\/month \(base \$100\.00, \*\*\+\$73\.00\*\*\)/);
    assert.match(md, /\| added \| db \| RDS db\.t4g\.micro \| \$0\.00 \| \$73\.00 \| \+\$73\.00 \|/);
    assert.doesNotMatch(md, /\| changed \| eks/, "unchanged lines are not listed as changes");
    assert.match(md, /- `x`: no price/);
    assert.match(md, /Full plan output: resource tree \(3 resources\)/);
  });

  it("a plan compared with itself shows no difference", () => {
    const md = renderReport({ stack: "dev", head: base, base, exitCode: 0 });
    assert.match(md, /\(base \$100\.00, \*\*\$0\.00\*\*\)/);
    assert.match(md, /No cost line changed\./);
  });

  it("a base branch that could not be planned, or has no cost section, is said, not counted as zero", () => {
    assert.match(renderReport({ stack: "prod", head, exitCode: 0 }), /No difference against the base branch: the base branch could not be planned/);
    assert.match(renderReport({ stack: "prod", head, base: { stack: "prod", resources: [] }, exitCode: 0 }), /the base branch has no "cost" section/);
  });

  it("a long tree is truncated so both stacks fit in one comment", () => {
    const md = renderReport({ stack: "dev", head, base, tree: "x".repeat(100_000) });
    assert.ok(md.length < 30_000, String(md.length));
    assert.match(md, /truncated: the full plan is in the job log/);
  });
});

describe("offline-plan.sh against the real plan", () => {
  it("writes the report for dev, comparing with a base checkout (here: this one, so no difference)", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "offline-plan-"));
    const summary = path.join(out, "summary.md");
    const r = spawnSync("bash", [path.join(SCRIPTS, "offline-plan.sh"), "dev", out, ROOT], { cwd: ROOT, env: { ...process.env, GITHUB_STEP_SUMMARY: summary }, encoding: "utf8" });
    const report = fs.readFileSync(path.join(out, "report.md"), "utf8");
    assert.equal(r.status, 0, `${r.stderr}\n${report}`);
    assert.match(report, /^### Stack `dev`: planned/);
    assert.match(report, /Full plan output: resource tree \(\d+ resources\)/);
    // With the cost estimate in the plan, the same code on both sides differs by nothing.
    const plan = JSON.parse(fs.readFileSync(path.join(out, "head.json"), "utf8")) as PlanJson;
    if (plan.cost) {
      assert.match(report, /No cost line changed\./);
      assert.match(fs.readFileSync(path.join(out, "tree.txt"), "utf8"), /Cost difference \(USD per month\): (\$[\d.,]+) → \1 \(\+?\$0\.00\)/, "--compare ran against the base plan");
    }
    else assert.match(report, /has no "cost" section/);
    assert.equal(fs.readFileSync(summary, "utf8"), report, "the same markdown goes to the job summary");
  });
});
