import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { renderReport, type PlanJson } from "../.github/scripts/plan-report";
import { entry, item } from "./helpers/assert";
import { planFor } from "./helpers/program";
import { requireTool } from "./helpers/tools";
import { tempDir } from "./helpers/temp-dir";

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

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
  env?: Record<string, string>;
  id?: string;
}
interface Job {
  uses?: string;
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string };
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  container?: string | { image: string };
  strategy?: { matrix?: unknown };
  steps?: Step[];
  "timeout-minutes"?: number;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { "cancel-in-progress"?: boolean };
  jobs: Record<string, Job>;
}

const files = fs
  .readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const source = (file: string) => fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
const workflow = (file: string) => parse(source(file)) as Workflow;
const stepsOf = (job: Job) => job.steps ?? [];
const jobIn = (wf: Workflow, name: string) => entry(wf.jobs, name, "the workflow's jobs");
const allJobs = () =>
  files.flatMap((file) => Object.entries(workflow(file).jobs).map(([name, job]) => ({ file, name, job })));
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
  const lines = files.flatMap((file) =>
    source(file)
      .split("\n")
      .map((line, i) => ({ file, line, at: `${file}:${i + 1}` })),
  );
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
      const [, action, sha] = m ?? [];
      if (action && sha && !action.startsWith("./")) shas.set(action, new Set([...(shas.get(action) ?? []), sha]));
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
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const installs = allJobs().flatMap(({ job }) => stepsOf(job).filter((s) => s.uses?.startsWith("pulumi/actions@")));
    assert.ok(installs.length > 0);
    for (const s of installs) assert.equal(String(s.with?.["pulumi-version"]), pkg.dependencies["@pulumi/pulumi"]);
  });

  it("setup-node installs Node 24 (LTS; 20 has reached end of life) and checkouts keep no token on disk", () => {
    for (const { file, name, job } of allJobs()) {
      for (const s of stepsOf(job)) {
        if (s.uses?.startsWith("actions/setup-node@"))
          assert.equal(String(s.with?.["node-version"]), "24", `${file} ${name}`);
        if (s.uses?.startsWith("actions/checkout@"))
          assert.equal(s.with?.["persist-credentials"], false, `${file} ${name}`);
      }
    }
  });
});

describe("credentials and permissions", () => {
  it("no stored AWS keys, Pulumi token or config passphrase anywhere in workflows or their scripts", () => {
    const texts = [
      ...files.map((f) => path.join(WORKFLOWS, f)),
      ...fs.readdirSync(SCRIPTS).map((f) => path.join(SCRIPTS, f)),
    ];
    for (const file of texts)
      assert.doesNotMatch(
        fs.readFileSync(file, "utf8"),
        /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key|PULUMI_ACCESS_TOKEN|PULUMI_CONFIG_PASSPHRASE/,
        file,
      );
  });

  it("every workflow defaults to read-only contents and grants nothing more at the top", () => {
    for (const file of files) assert.deepEqual(workflow(file).permissions, { contents: "read" }, file);
  });

  it("id-token: write exactly on the jobs that assume an AWS role through OIDC", () => {
    const oidcJobs: string[] = [];
    for (const { file, name, job } of allJobs()) {
      const perms = typeof job.permissions === "object" ? job.permissions : {};
      const assumesRole = stepsOf(job).some(
        (s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@") && s.with?.["role-to-assume"],
      );
      assert.equal(perms["id-token"] === "write", assumesRole, `${file} ${name}`);
      if (assumesRole) oidcJobs.push(`${file}:${name}`);
    }
    assert.deepEqual(oidcJobs.sort(), [
      "drift.yml:drift",
      "main.yml:deploy-dev",
      "main.yml:deploy-edge-dev",
      "main.yml:deploy-edge-prod",
      "main.yml:deploy-prod",
      "main.yml:preview-prod",
      "pull-request.yml:preview-dev",
    ]);
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

  it("every role comes from one variable through require-role.sh: no `||` fallback to another role, a missing one fails the job", () => {
    for (const { file, name, job } of allJobs()) {
      const steps = stepsOf(job);
      const aws = steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
      if (!aws) continue;
      assert.equal(aws.with?.["role-to-assume"], "${{ steps.role.outputs.arn }}", `${file} ${name}`);
      const role = steps.find((s) => s.id === "role");
      assert.ok(role && steps.indexOf(role) < steps.indexOf(aws), `${file} ${name}: the role step comes first`);
      assert.match(role.run ?? "", /^bash \.github\/scripts\/require-role\.sh /, `${file} ${name}`);
      assert.match(
        role.env?.ROLE ?? "",
        /^\$\{\{ vars(\.[A-Z_]+|\[matrix\.roleVariable\]) \}\}$/,
        `${file} ${name}: one variable, nothing else`,
      );
      assert.ok(
        !job.if?.includes("AWS_ROLE") && !job.if?.includes("PREVIEW_ROLE"),
        `${file} ${name}: a missing role fails, it does not skip`,
      );
    }
    for (const file of files)
      assert.doesNotMatch(source(file), /ROLE_ARN[A-Z_]*\s*\|\|/, `${file}: a role with a fallback`);
  });

  it("live jobs wait for the repository to opt in (CLOUD_CI, EDGE_CI for the Pis), so a fresh fork stays green on the offline checks", () => {
    for (const { file, name, job } of allJobs()) {
      if (!stepsOf(job).some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))) continue;
      assert.match(
        job.if ?? "",
        name.startsWith("deploy-edge-") ? /vars\.EDGE_CI == 'true'/ : /vars\.CLOUD_CI == 'true'/,
        `${file} ${name}`,
      );
    }
  });

  it("every pulumi job keeps the CLI's files in the job's temporary directory and removes them at the end", () => {
    for (const { file, name, job } of allJobs()) {
      const steps = stepsOf(job);
      if (!steps.some((s) => s.uses?.startsWith("pulumi/actions@"))) continue;
      const home = steps.findIndex((s) => s.run?.includes("PULUMI_HOME=$RUNNER_TEMP/pulumi-home"));
      const pulumi = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
      assert.ok(home >= 0 && home < pulumi, `${file} ${name}`);
      const cleanup = steps.at(-1);
      assert.equal(cleanup?.if, "always()", `${file} ${name}`);
      assert.equal(cleanup?.run, 'rm -rf "$RUNNER_TEMP/pulumi-home"', `${file} ${name}`);
      assert.doesNotMatch(JSON.stringify(job), /~\/|\$HOME/, `${file} ${name}: nothing under the runner's home`);
    }
  });
});

/** Every `secrets.X`, `vars.X` and `vars[...]` a text refers to. */
const references = (text: string) => [...text.matchAll(/\b(secrets|vars)(\.[A-Za-z_]+|\[[^\]]+\])/g)].map((m) => m[0]);

/** The job derives the pack's configuration for `stack` from its stack file, before the Pulumi step that reads it. */
function assertDerivedPackConfig(job: Job, stack: string): void {
  const steps = stepsOf(job);
  const pulumi = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
  const derive = steps.findIndex(
    (s) => s.run?.trim() === `npm run --silent policy:config -- --stack ${stack} --out "$RUNNER_TEMP/policy-pack.json"`,
  );
  assert.ok(derive >= 0 && derive < pulumi, `${stack}: the pack config is derived before the Pulumi step`);
  assert.equal(item(steps, pulumi, `${stack}: steps`).with?.policyPackConfigs, "${{ runner.temp }}/policy-pack.json");
}

describe("pull requests", () => {
  const pr = workflow("pull-request.yml");

  it("runs on pull_request, one run per PR, the shared checks", () => {
    assert.ok("pull_request" in pr.on);
    assert.ok(!("pull_request_target" in pr.on), "a fork's code must never run with this repository's secrets");
    assert.match(JSON.stringify(pr.concurrency), /pull_request\.number/);
    assert.equal(jobIn(pr, "checks").uses, "./.github/workflows/checks.yml");
  });

  it("the shared checks run .ci/run (apt tools, npm ci, npm test) on Debian as root, with no secret or environment", () => {
    const checks = workflow("checks.yml");
    const job = jobIn(checks, "checks");
    assert.ok(stepsOf(job).some((s) => s.run?.trim() === "bash .ci/run"));
    assert.ok(usesAction(job, "actions/setup-node"));
    assert.match(typeof job.container === "object" ? job.container.image : String(job.container), /^debian:/);
    assert.deepEqual(references(source("checks.yml")), []);
    assert.equal(job.environment, undefined);
  });

  it("offline plan of every stack (cloud and edge) against the base branch, summary and one sticky comment, no credentials", () => {
    const plan = jobIn(pr, "offline-plan");
    // The list comes from the stack files: a new stack needs nothing else.
    assert.equal((plan.strategy?.matrix as { stack: string }).stack, "${{ fromJSON(needs.stacks.outputs.list) }}");
    assert.equal(plan.needs, "stacks");
    assert.ok(stepsOf(jobIn(pr, "stacks")).some((s) => s.run?.trim() === "bash .github/scripts/stack-list.sh"));
    const output = path.join(tempDir("stack-list-"), "output");
    const listed = spawnSync("bash", [path.join(SCRIPTS, "stack-list.sh")], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, GITHUB_OUTPUT: output },
      encoding: "utf8",
    });
    assert.equal(listed.status, 0, listed.stderr);
    const stackFiles = fs
      .readdirSync(ROOT)
      .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
      .map((f) => f.slice("Pulumi.".length, -".yaml".length));
    assert.deepEqual(
      JSON.parse(
        fs
          .readFileSync(output, "utf8")
          .trim()
          .replace(/^list=/, ""),
      ),
      stackFiles.sort(),
      "every stack file is planned",
    );
    assert.deepEqual([...STACKS, ...EDGE_STACKS].sort(), stackFiles.sort());
    const checkouts = stepsOf(plan).filter((s) => s.uses?.startsWith("actions/checkout@"));
    assert.ok(
      checkouts.some((s) => s.with?.ref === "${{ github.event.pull_request.base.sha }}"),
      "base branch checked out",
    );
    assert.ok(stepsOf(plan).some((s) => s.run?.includes(".github/scripts/offline-plan.sh")));
    assert.deepEqual(references(JSON.stringify(plan)), [], "the offline plan runs under mocks: no secret, no variable");
    assert.equal(plan.environment, undefined);
    const comment = jobIn(pr, "plan-comment");
    assert.deepEqual(comment.permissions, { "pull-requests": "write" });
    assert.match(comment.if ?? "", /head\.repo\.full_name == github\.repository/);
    const script = String(stepsOf(comment).find((s) => s.uses?.startsWith("actions/github-script@"))?.with?.script);
    assert.match(script, /updateComment/);
    assert.match(script, /createComment/);
  });

  it("no job a pull request triggers can reach prod: no prod secret, variable, environment, role or stack outside the offline plan", () => {
    for (const [name, job] of Object.entries(pr.jobs)) {
      const text = JSON.stringify(job);
      for (const ref of references(text)) assert.doesNotMatch(ref, /PROD/i, `${name}: ${ref}`);
      assert.doesNotMatch(
        String(typeof job.environment === "object" ? job.environment.name : (job.environment ?? "")),
        /prod/i,
        name,
      );
      if (name !== "offline-plan" && name !== "plan-comment")
        assert.doesNotMatch(text, /prod/i, `${name} mentions prod`);
    }
  });

  it("the live preview is of dev only, not for forks, in environment preview-dev with the read-only dev role, policy pack, PR comment", () => {
    const preview = jobIn(pr, "preview-dev");
    assert.match(preview.if ?? "", /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/);
    assert.equal(preview.environment, "preview-dev");
    const role = stepsOf(preview).find((s) => s.id === "role");
    assert.equal(role?.env?.ROLE, "${{ vars.AWS_PREVIEW_ROLE_ARN_DEV }}");
    assert.match(role?.run ?? "", /require-role\.sh AWS_PREVIEW_ROLE_ARN_DEV preview-dev$/);
    const steps = pulumiSteps(preview);
    assert.equal(steps.length, 1);
    const step = item(steps, 0, "pulumi steps");
    assert.equal(step.with?.command, "preview");
    assert.equal(step.with?.["stack-name"], "dev");
    assert.equal(step.with?.policyPacks, "policies");
    assertDerivedPackConfig(preview, "dev");
    assert.equal(step.with?.["comment-on-pr"], true);
    assert.equal(step.with?.diff, true);
    assert.equal(preview.strategy, undefined, "no matrix that could grow a prod entry");
  });

  it("no per-stack policy-pack file: a new stack needs only its Pulumi.<stack>.yaml", () => {
    assert.deepEqual(fs.readdirSync(path.join(ROOT, "policies/config")), ["thresholds.json"]);
  });
});

describe("main", () => {
  const main = workflow("main.yml");
  const envName = (job: Job) => (typeof job.environment === "object" ? job.environment.name : job.environment);
  const roleOf = (job: Job) => stepsOf(job).find((s) => s.id === "role")?.env?.ROLE;

  it("on push to main: checks, then dev; prod's preview after the checks; prod's up after both", () => {
    assert.deepEqual((main.on.push as { branches: string[] }).branches, ["main"]);
    assert.equal(jobIn(main, "deploy-dev").needs, "checks");
    assert.equal(jobIn(main, "preview-prod").needs, "checks");
    assert.deepEqual([jobIn(main, "deploy-prod").needs].flat().sort(), ["deploy-dev", "preview-prod"]);
  });

  it("prod's preview runs in preview-prod with the read-only prod role, writes the diff to the job summary, and names the commit it previewed", () => {
    const job = jobIn(main, "preview-prod");
    assert.equal(envName(job), "preview-prod");
    assert.equal(roleOf(job), "${{ vars.AWS_PREVIEW_ROLE_ARN_PROD }}");
    const step = item(pulumiSteps(job), 0, "pulumi steps");
    assert.equal(step.with?.command, "preview");
    assert.equal(step.with?.["stack-name"], "prod");
    assertDerivedPackConfig(job, "prod");
    assert.equal(step.with?.["comment-on-summary"], true, "what the approver reads");
    const checkout = stepsOf(job).find((s) => s.uses?.startsWith("actions/checkout@"));
    assert.equal(checkout?.with?.ref, "${{ github.sha }}");
    assert.equal(
      (job as Job & { outputs?: Record<string, string> }).outputs?.commit,
      "${{ steps.commit.outputs.sha }}",
    );
    assert.match(stepsOf(job).find((s) => s.id === "commit")?.run ?? "", /git rev-parse HEAD/);
  });

  it("prod's up applies the commit prod's preview showed, behind the prod environment", () => {
    const job = jobIn(main, "deploy-prod");
    assert.equal(envName(job), "prod");
    const checkout = stepsOf(job).find((s) => s.uses?.startsWith("actions/checkout@"));
    assert.equal(checkout?.with?.ref, "${{ needs.preview-prod.outputs.commit }}");
  });

  for (const stack of STACKS) {
    it(`deploy-${stack}: environment ${stack}, its deploy role, pulumi up with the policy pack, never cancelled in flight`, () => {
      const job = jobIn(main, `deploy-${stack}`);
      assert.equal(envName(job), stack);
      const step = item(pulumiSteps(job), 0, "pulumi steps");
      assert.equal(step.with?.command, "up");
      assert.equal(step.with?.["stack-name"], stack);
      assert.equal(step.with?.policyPacks, "policies");
      assertDerivedPackConfig(job, stack);
      assert.equal(job.concurrency?.["cancel-in-progress"], false);
      assert.equal(roleOf(job), `\${{ vars.AWS_ROLE_ARN_${stack.toUpperCase()} }}`);
    });
  }

  it("a dev job refers to nothing of prod, a prod job to nothing of dev", () => {
    for (const [name, job] of Object.entries(main.jobs)) {
      const other = /prod/.test(name) ? /DEV/ : /dev/.test(name) ? /PROD/ : undefined;
      if (!other) continue;
      for (const ref of references(JSON.stringify(job))) assert.doesNotMatch(ref, other, `${name}: ${ref}`);
    }
  });

  for (const stack of EDGE_STACKS) {
    const cloud = stack.replace("edge-", "");
    it(`deploy-${stack}: its own job after cloud stack ${cloud} only, that no other job needs; the SSH key in a job-local agent`, () => {
      const job = jobIn(main, `deploy-${stack}`);
      assert.equal(job.needs, `deploy-${cloud}`);
      assert.equal(envName(job), stack);
      assert.equal(roleOf(job), `\${{ vars.AWS_ROLE_ARN_${stack.toUpperCase().replace("-", "_")} }}`);
      for (const [name, other] of Object.entries(main.jobs))
        assert.ok(![other.needs].flat().includes(`deploy-${stack}`), `${name} must not wait for a Pi`);
      const step = item(pulumiSteps(job), 0, "pulumi steps");
      assert.equal(step.with?.command, "up");
      assert.equal(step.with?.["stack-name"], stack);
      assertDerivedPackConfig(job, stack);
      assert.equal(job.concurrency?.["cancel-in-progress"], false);
      const agent = stepsOf(job).find((s) => s.run?.includes("ssh-agent"));
      assert.match(
        agent?.run ?? "",
        /ssh-agent -a "\$RUNNER_TEMP\/ssh-agent\.sock"/,
        "the agent socket is in the job's temporary directory",
      );
      assert.doesNotMatch(JSON.stringify(job), /~\/\.ssh|\$HOME/, "nothing written under the runner's home");
    });
  }

  it("cloud jobs never wait for an edge stack, and edge jobs run on the edge runners", () => {
    for (const [name, job] of Object.entries(main.jobs)) {
      if (name.startsWith("deploy-edge-")) assert.match(JSON.stringify(job), /PULUMI_EDGE_RUNS_ON/, name);
      else
        for (const need of [job.needs ?? []].flat())
          assert.ok(!need.startsWith("deploy-edge-"), `${name} needs ${need}`);
    }
  });

  it("no workflow that deploys cancels runs in progress", () => {
    assert.notEqual(main.concurrency?.["cancel-in-progress"], true);
  });
});

describe("drift", () => {
  const drift = workflow("drift.yml");
  const job = jobIn(drift, "drift");

  it("daily and on demand; fails on drift and opens or updates an issue labelled drift", () => {
    assert.ok("schedule" in drift.on && "workflow_dispatch" in drift.on);
    assert.match(job.if ?? "", /default_branch/, "only the deployed branch's program is compared");
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

  it("per cloud stack, in that stack's read-only environment with that environment's read-only role", () => {
    const include = (job.strategy?.matrix as { include: { stack: string; roleVariable: string }[] }).include;
    assert.deepEqual(
      include,
      STACKS.map((stack) => ({ stack, roleVariable: `AWS_PREVIEW_ROLE_ARN_${stack.toUpperCase()}` })),
    );
    assert.equal(job.environment, "preview-${{ matrix.stack }}");
    const role = stepsOf(job).find((s) => s.id === "role");
    assert.equal(role?.env?.ROLE, "${{ vars[matrix.roleVariable] }}");
    assert.ok(!/AWS_ROLE_ARN/.test(source("drift.yml")), "never a deploy role");
  });
});

/** Runs require-role.sh with ROLE set; returns its status, what it wrote to GITHUB_OUTPUT and printed. */
function requireRole(role: string | undefined, variable = "AWS_PREVIEW_ROLE_ARN_DEV", environment = "preview-dev") {
  const dir = tempDir("wf-");
  const output = path.join(dir, "output");
  fs.writeFileSync(output, "");
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", GITHUB_OUTPUT: output };
  if (role !== undefined) env.ROLE = role;
  const run = spawnSync("bash", [path.join(SCRIPTS, "require-role.sh"), variable, environment], {
    env,
    encoding: "utf8",
  });
  return { status: run.status, output: fs.readFileSync(output, "utf8"), stdout: run.stdout };
}

describe("require-role.sh", () => {
  const bash = requireTool("bash");

  it("a role ARN: exit 0, arn=<ARN> for the credentials step", { skip: bash.skip }, () => {
    const r = requireRole("arn:aws:iam::111122223333:role/platform-dev-preview");
    assert.equal(r.status, 0);
    assert.equal(r.output, "arn=arn:aws:iam::111122223333:role/platform-dev-preview\n");
  });

  it("no role: the job fails closed, naming the variable and the environment to set it in", { skip: bash.skip }, () => {
    for (const role of [undefined, ""]) {
      const r = requireRole(role, "AWS_PREVIEW_ROLE_ARN_PROD", "preview-prod");
      assert.equal(r.status, 1);
      assert.equal(r.output, "");
      assert.match(
        r.stdout,
        /^::error title=AWS role::set the variable AWS_PREVIEW_ROLE_ARN_PROD of environment preview-prod/,
      );
    }
  });

  it("refuses a value that is not a role ARN (a user, or something spliced into JSON)", { skip: bash.skip }, () => {
    for (const bad of ["arn:aws:iam::111122223333:user/me", 'arn:aws:iam::111111111111:role/x","stack":"prod']) {
      const r = requireRole(bad);
      assert.equal(r.status, 1, bad);
      assert.equal(r.output, "");
      assert.match(r.stdout, /not an IAM role ARN/);
    }
  });
});

describe("the set-up checklist (docs/ci.md)", () => {
  const checklist = fs.readFileSync(path.join(ROOT, "docs/ci.md"), "utf8");

  it("names every variable, secret and environment the workflows use, and the README links to it", () => {
    const names = new Set<string>();
    for (const file of files) {
      for (const ref of references(source(file)))
        if (/^(vars|secrets)\.[A-Z_]+$/.test(ref)) names.add(item(ref.split("."), 1, ref));
      for (const { job } of allJobs().filter((j) => j.file === file)) {
        const env = typeof job.environment === "object" ? job.environment.name : job.environment;
        if (env)
          for (const stack of env.includes("matrix.stack") ? STACKS : [""])
            names.add(env.replace("${{ matrix.stack }}", stack));
      }
    }
    assert.ok(names.size >= 15, [...names].join(" "));
    for (const name of names) assert.ok(checklist.includes(`\`${name}\``), `docs/ci.md does not name \`${name}\``);
    assert.match(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"), /\[docs\/ci\.md\]\(docs\/ci\.md\)/);
  });

  it("its stack names and KMS aliases are the stack files' own", () => {
    for (const stack of [...STACKS, ...EDGE_STACKS]) {
      const provider = String(
        (parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { secretsprovider?: string })
          .secretsprovider,
      );
      const generic = provider.replace(/-(dev|prod)-/, "-<env>-");
      assert.ok(checklist.includes(item(generic.split("?"), 0, generic)), `${stack}: ${generic}`);
    }
  });
});

describe("per-environment secrets", () => {
  const stackFile = (stack: string) =>
    parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
      secretsprovider?: string;
      config: Record<string, unknown>;
    };

  it("every stack file encrypts its secrets with its environment's KMS key, never a passphrase; dev and prod keys differ", () => {
    const keys = new Map<string, string>();
    for (const stack of [...STACKS, ...EDGE_STACKS]) {
      const file = stackFile(stack);
      const environment = String(file.config["platform:environment"]);
      assert.match(file.secretsprovider ?? "", /^awskms:\/\/alias\/[\w/-]+\?region=[a-z0-9-]+$/, stack);
      assert.ok(file.secretsprovider?.includes(`-${environment}-`), `${stack}: the ${environment} key`);
      keys.set(environment, keys.get(environment) ?? String(file.secretsprovider));
      assert.equal(file.secretsprovider, keys.get(environment), `${stack}: one key per environment`);
    }
    assert.notEqual(keys.get("dev"), keys.get("prod"));
  });
});

describe("drift-check.sh tells drift from a failed check", () => {
  const bash = requireTool("bash");
  /** A `pulumi` on PATH that prints what the real CLI prints in each case (its messages vary by version). */
  function runWith(stdout: string, status: number) {
    const dir = tempDir("drift-");
    fs.writeFileSync(
      path.join(dir, "pulumi"),
      `#!/bin/sh\necho "$*" > "${dir}/args"\nprintf '%s\\n' '${stdout}'\nexit ${status}\n`,
      { mode: 0o755 },
    );
    const output = path.join(dir, "output");
    fs.writeFileSync(output, "");
    const run = spawnSync("bash", [path.join(SCRIPTS, "drift-check.sh"), "org/dev", path.join(dir, "out.txt")], {
      env: { PATH: `${dir}:${process.env.PATH}`, GITHUB_OUTPUT: output },
      encoding: "utf8",
    });
    return {
      status: run.status,
      output: fs.readFileSync(output, "utf8"),
      args: fs.readFileSync(path.join(dir, "args"), "utf8"),
    };
  }

  it("no changes: exit 0, drift=false, refresh and expect-no-changes passed to the CLI", { skip: bash.skip }, () => {
    const r = runWith("Resources: 120 unchanged", 0);
    assert.equal(r.status, 0);
    assert.equal(r.output, "drift=false\n");
    assert.match(r.args, /^preview --stack org\/dev --refresh --expect-no-changes/);
  });

  for (const message of [
    "error: no changes were expected but changes were proposed",
    "error: no changes were expected but changes occurred",
  ]) {
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
  const runBlocks = () =>
    allJobs().flatMap(({ file, name, job }) =>
      stepsOf(job)
        .filter((s) => s.run)
        .map((s, i) => ({
          at: `${file} ${name} run #${i + 1}`,
          script: (s.run ?? "").replace(/\$\{\{[^}]*\}\}/g, "GITHUB_EXPRESSION"),
        })),
    );

  it("every run: block passes shellcheck", { skip: shellcheck.skip }, () => {
    const blocks = runBlocks();
    assert.ok(blocks.length >= 5);
    const dir = tempDir("runs-");
    try {
      // One file per block, one shellcheck for them all: each finding names its file, so its block.
      const written = blocks.map(({ at, script }, i) => {
        const file = path.join(dir, `run-${i}.sh`);
        fs.writeFileSync(file, `#!/usr/bin/env bash\nset -e\n${script}`);
        return { at, file };
      });
      const r = spawnSync(shellcheck.path as string, ["-s", "bash", "-f", "gcc", ...written.map((w) => w.file)], {
        encoding: "utf8",
      });
      const findings = written.flatMap(({ at, file }) =>
        r.stdout
          .split("\n")
          .filter((line) => line.startsWith(`${file}:`))
          .map((line) => `${at}: ${line.slice(file.length + 1)}`),
      );
      assert.deepEqual(findings, [], findings.join("\n"));
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every script under .github/scripts passes shellcheck", { skip: shellcheck.skip }, () => {
    const scripts = fs
      .readdirSync(SCRIPTS)
      .filter((f) => f.endsWith(".sh"))
      .map((f) => path.join(SCRIPTS, f));
    assert.ok(scripts.length >= 3);
    const r = spawnSync(shellcheck.path as string, scripts, { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout);
  });
});

describe("plan report (job summary and PR comment)", () => {
  const line = (resource: string, item: string, quantity: number, unitPrice: number) => ({
    resource,
    item,
    quantity,
    unitPrice,
    monthly: quantity * unitPrice,
  });
  const base: PlanJson = {
    stack: "dev",
    resources: [{}, {}],
    cost: {
      currency: "USD",
      monthly: 100,
      lines: [
        line("aws:eks/cluster:Cluster::eks", "EKS control plane", 730, 0.1),
        line("aws:ec2/natGateway:NatGateway::nat", "NAT gateway hours", 730, 0.036986301369863014),
      ],
    },
  };
  const head: PlanJson = {
    stack: "dev",
    resources: [{}, {}, {}],
    policy: {
      violations: [
        {
          policyName: "required-tags",
          enforcementLevel: "mandatory",
          urn: "urn:x::bucket",
          message: "missing tag | owner",
        },
      ],
    },
    cost: {
      currency: "USD",
      monthly: 173,
      lines: [...(base.cost?.lines ?? []), line("aws:rds/instance:Instance::db", "RDS db.t4g.micro", 730, 0.1)],
      unpriced: [{ resource: "aws:foo/bar:Bar::x", reason: "no price" }],
    },
  };

  it("policy violations, the total with its difference, changed lines, unpriced resources", () => {
    const md = renderReport({
      stack: "dev",
      head,
      base,
      tree: "platform-dev (pulumi:pulumi:Stack, 3 resources)",
      exitCode: 1,
    });
    assert.match(md, /^### Stack `dev`: \*\*failed\*\* \(a mandatory policy is violated/);
    assert.match(md, /\| mandatory \| required-tags \| urn:x::bucket \| missing tag \\\| owner \|/);
    assert.match(md, /\*\*Cost:\*\* \$173\.00\/month \(base \$100\.00, \*\*\+\$73\.00\*\*\)/);
    assert.match(md, /\| added \| db \| RDS db\.t4g\.micro \| \$0\.00 \| \$73\.00 \| \+\$73\.00 \|/);
    assert.doesNotMatch(md, /\| changed \| eks/, "unchanged lines are not listed as changes");
    assert.match(md, /- `x`: no price/);
    assert.match(md, /Full plan output: resource tree \(3 resources\)/);
  });

  it("leads with the change list and a caution for each stateful resource replaced", () => {
    type Resource = { type: string; inputs: Record<string, unknown> };
    const headPlan = planFor("dev");
    const basePlan = JSON.parse(JSON.stringify(headPlan)) as { resources: Resource[] };
    const bucket = basePlan.resources.find((r) => r.type === "aws:s3/bucket:Bucket") as Resource;
    bucket.inputs.objectLockEnabled = !bucket.inputs.objectLockEnabled;
    const md = renderReport({ stack: "dev", head: headPlan as PlanJson, base: basePlan as PlanJson, exitCode: 0 });
    const lines = md.split("\n");
    assert.match(
      item(lines, 2, "report lines"),
      /^\*\*Changes:\*\* 0 to create, 0 to update, 1 to replace, 0 to delete, \d+ unchanged\.$/,
    );
    assert.match(
      md,
      /> \[!CAUTION\]\n> \*\*REPLACE\*\* of a stateful resource \(bucket\): `aws:s3\/bucket:Bucket` `platform-dev-bucket` \(because objectLockEnabled changed\)/,
    );
  });

  it("a plan compared with itself shows no difference", () => {
    const md = renderReport({ stack: "dev", head: base, base, exitCode: 0 });
    assert.match(md, /\(base \$100\.00, \*\*\$0\.00\*\*\)/);
    assert.match(md, /No cost line changed\./);
  });

  it("a base branch that could not be planned, or has no cost section, is said, not counted as zero", () => {
    assert.match(
      renderReport({ stack: "prod", head, exitCode: 0 }),
      /No difference against the base branch: the base branch could not be planned/,
    );
    assert.match(
      renderReport({ stack: "prod", head, base: { stack: "prod", resources: [] }, exitCode: 0 }),
      /the base branch has no "cost" section/,
    );
  });

  it("a long tree is truncated so both stacks fit in one comment", () => {
    const md = renderReport({ stack: "dev", head, base, tree: "x".repeat(100_000) });
    assert.ok(md.length < 30_000, String(md.length));
    assert.match(md, /truncated: the full plan is in the job log/);
  });
});

describe("offline-plan.sh against the real plan", () => {
  it("writes the report for dev, comparing with a base checkout (here: this one, so no difference), and nothing outside its directory", () => {
    const out = tempDir("offline-plan-");
    const summary = path.join(out, "summary.md");
    // A fresh, empty home: the plan must leave it so (nothing of a run outside OUT_DIR).
    const home = tempDir("offline-plan-home-");
    const r = spawnSync("bash", [path.join(SCRIPTS, "offline-plan.sh"), "dev", out, ROOT], {
      cwd: ROOT,
      env: { ...process.env, HOME: home, GITHUB_STEP_SUMMARY: summary },
      encoding: "utf8",
    });
    assert.deepEqual(fs.readdirSync(home), [], "the offline plan wrote into the home directory");
    const report = fs.readFileSync(path.join(out, "report.md"), "utf8");
    assert.equal(r.status, 0, `${r.stderr}\n${report}`);
    assert.match(report, /^### Stack `dev`: planned/);
    assert.match(report, /Full plan output: resource tree \(\d+ resources\)/);
    // With the cost estimate in the plan, the same code on both sides differs by nothing.
    const plan = JSON.parse(fs.readFileSync(path.join(out, "head.json"), "utf8")) as PlanJson;
    if (plan.cost) {
      assert.match(report, /No cost line changed\./);
      assert.match(
        fs.readFileSync(path.join(out, "tree.txt"), "utf8"),
        /Cost difference \(USD per month\): (\$[\d.,]+) → \1 \(\+?\$0\.00\)/,
        "--compare ran against the base plan",
      );
    } else assert.match(report, /has no "cost" section/);
    assert.equal(fs.readFileSync(summary, "utf8"), report, "the same markdown goes to the job summary");
  });
});
