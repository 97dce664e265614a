import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { readStackConfig } from "../tools/plan/stack-config";
import { entry } from "./helpers/assert";
import { PROJECT_DIR, planFor, runPlanCli, STACKS, stackDirWith } from "./helpers/program";

describe("offline plan", () => {
  for (const stack of STACKS) {
    it(`--stack ${stack} prints the resource tree and exits 0`, () => {
      const run = runPlanCli(["--stack", stack]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(
        run.stdout,
        new RegExp(
          `^Offline plan of stack ${stack} .*\\n\\nplatform-${stack} \\(pulumi:pulumi:Stack, \\d+ resources\\)`,
        ),
      );
      assert.match(run.stdout, /pulumi:providers:aws {2}aws/);
    });

    it(`--stack ${stack} --json has the documented shape`, () => {
      const plan = planFor(stack);
      assert.equal(plan.stack, stack);
      assert.ok(plan.resources.length > 0);
      for (const r of plan.resources) {
        assert.equal(typeof r.type, "string");
        assert.equal(typeof r.name, "string");
        assert.ok(r.parent === null || typeof r.parent === "string");
        assert.equal(typeof r.inputs, "object");
      }
    });
  }

  it("--json reaches a slow reader whole (output past a pipe's 64 KiB is not cut off at exit)", () => {
    const cli = path.join(PROJECT_DIR, "tools/plan/cli.ts");
    const run = spawnSync(
      "sh",
      ["-c", `"${process.execPath}" --import tsx "${cli}" --stack prod --json | { sleep 1; cat; }`],
      {
        cwd: PROJECT_DIR,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    assert.ok(run.stdout.length > 64 * 1024, `the plan is larger than a pipe holds (${run.stdout.length} bytes)`);
    assert.equal((JSON.parse(run.stdout) as { stack: string }).stack, "prod");
  });

  it("a misspelt key exits 2 naming it, with nothing registered", () => {
    const dir = stackDirWith("dev", { "platform:netwrok": { azCount: 2 } });
    const run = runPlanCli(["--stack", "dev", "--config-dir", dir]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /platform:netwrok: unknown key; did you mean "platform:network"\?/);
    assert.equal(run.stdout, "", "nothing planned");
  });

  it("a bad value exits 2 naming the key, the value and what is expected", () => {
    const dir = stackDirWith("prod", { "platform:database": { backupRetentionDays: 36 } });
    const run = runPlanCli(["--stack", "prod", "--config-dir", dir, "--json"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /platform:database\.backupRetentionDays: got 36; expected an integer from 0 to 35/);
    assert.equal(run.stdout, "");
  });

  it("reads secure: values as secrets and never prints them", () => {
    const dir = stackDirWith("edge-dev", {
      "platform:edge": { sshPrivateKey: { secure: "v1:c2VjcmV0LWNpcGhlcnRleHQ=" } },
    });
    const config = readStackConfig(dir, "edge-dev");
    assert.deepEqual(config.secretKeys, ["platform:edge"]);
    assert.equal(JSON.parse(entry(config.values, "platform:edge", "stack config")).sshPrivateKey, "[secret]");
    const run = runPlanCli(["--stack", "edge-dev", "--config-dir", dir, "--json"]);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(!run.stdout.includes("c2VjcmV0LWNpcGhlcnRleHQ="));
    assert.ok(
      !fs.existsSync(path.join(os.userInfo().homedir, ".ssh/pulumi-edge/edge-dev")),
      "the offline plan writes no key under ~/.ssh",
    );
  });

  it("merges Pulumi.yaml defaults under the stack file, key by key", () => {
    const dir = stackDirWith("dev", {});
    const projectFile = path.join(dir, "Pulumi.yaml");
    fs.appendFileSync(
      projectFile,
      "  extraKnob:\n    type: string\n    default: from-project\n  required:\n    type: string\n",
    );
    const config = readStackConfig(dir, "dev");
    assert.equal(config.values["platform:extraKnob"], "from-project");
    assert.deepEqual(config.missing, ["platform:required"]);
    assert.equal(config.values["platform:environment"], "dev");
  });

  it("a stack file that does not exist is an error, not an empty plan", () => {
    const run = runPlanCli(["--stack", "nope"]);
    assert.equal(run.status, 2);
    assert.match(
      run.stderr,
      /^Stack nope: unknown stack "nope": no Pulumi\.nope\.yaml in .*; the stacks there are dev, edge-dev, edge-prod, prod\n$/,
    );
    assert.ok(fs.existsSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml")));
  });
});
