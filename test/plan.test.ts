import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { readStackConfig } from "../tools/plan/stack-config";
import { entry } from "./helpers/assert";
import { PROJECT_DIR, planFor, runPlanInProcess, STACKS, stackDirWith } from "./helpers/program";
import { textPlanFor } from "./helpers/text-plans";

describe("offline plan", () => {
  for (const stack of STACKS) {
    it(`--stack ${stack} prints the resource tree and exits 0`, () => {
      const run = textPlanFor(stack);
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

  it("a misspelt key exits 2 naming it, with nothing registered", () => {
    const dir = stackDirWith("dev", { "platform:netwrok": { azCount: 2 } });
    const run = runPlanInProcess(["--stack", "dev", "--config-dir", dir]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /platform:netwrok: unknown key; did you mean "platform:network"\?/);
    assert.equal(run.stdout, "", "nothing planned");
  });

  it("a bad value exits 2 naming the key, the value and what is expected", () => {
    const dir = stackDirWith("prod", { "platform:database": { backupRetentionDays: 36 } });
    const run = runPlanInProcess(["--stack", "prod", "--config-dir", dir, "--json"]);
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
    // The cloud stack's shared plan as --cloud-plan: the answer the plan would compute from Pulumi.dev.yaml.
    const cloudPlan = path.join(dir, "dev.plan.json");
    fs.writeFileSync(cloudPlan, JSON.stringify(planFor("dev")));
    const run = runPlanInProcess(["--stack", "edge-dev", "--config-dir", dir, "--json", "--cloud-plan", cloudPlan]);
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
    const run = runPlanInProcess(["--stack", "nope"]);
    assert.equal(run.status, 2);
    assert.match(
      run.stderr,
      /^Stack nope: unknown stack "nope": no Pulumi\.nope\.yaml in .*; the stacks there are dev, edge-dev, edge-prod, prod\n$/,
    );
    assert.ok(fs.existsSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml")));
  });
});
