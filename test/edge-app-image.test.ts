import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { describeAppImage } from "../components/edge/app-image";
import { loadEdge, sourceFor } from "./helpers/config";
import { CLOUD_STACK_OF, EDGE_STACKS, planFor, runPlanInProcess, type PlanRun } from "./helpers/program";

/**
 * Which app image an edge stack deploys, as the plan says it: dev may follow the newest push to
 * the `edge-app` repository (edge.appImage unset), prod pins a digest. Offline, the ECR lookup is
 * the mocks' answer (tag `mock`); in `pulumi preview` and `up` it is ECR's.
 */
const DIGEST_REF = /@sha256:[a-f0-9]{64}$/;

describe("the edge app image the plan says it took", () => {
  it("describes a pinned image, and the newest push with its tags, digest and push time", () => {
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/edge-app@sha256:${"c".repeat(64)}`;
    assert.equal(describeAppImage({ pinned: image }), `pinned by edge.appImage: ${image}`);
    const repositoryUrl = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/edge-app";
    const newest = describeAppImage({
      newest: {
        repositoryUrl,
        digest: `sha256:${"c".repeat(64)}`,
        tags: ["v1.4.2", "main-8f3c2a1"],
        pushedAt: 1796000000,
      },
    });
    assert.equal(
      newest,
      `newest push to ${repositoryUrl} when this ran: sha256:${"c".repeat(64)} (tags main-8f3c2a1, v1.4.2, pushed ${new Date(1796000000 * 1000).toISOString()}); ` +
        "a later preview or up takes whatever is newest then (pin edge.appImage to hold this one)",
    );
    assert.match(describeAppImage({ newest: { repositoryUrl, digest: "sha256:00", tags: [] } }), /\(untagged\)/);
  });

  for (const stack of EDGE_STACKS) {
    const pinned = loadEdge(sourceFor(stack)).edge.appImage;
    it(`${stack}: the outputs say the image is ${pinned ? "pinned" : "the newest push"}, with its digest`, () => {
      const { outputs } = planFor(stack);
      const image = outputs.edgeAppImage as string;
      assert.match(image, DIGEST_REF);
      assert.equal(outputs.edgeAppImageSource, pinned ? "pinned" : "newest");
      const choice = outputs.edgeAppImageChoice as string;
      if (pinned) assert.equal(choice, `pinned by edge.appImage: ${image}`);
      else {
        const [repository, digest] = image.split("@");
        assert.ok(choice.startsWith(`newest push to ${repository} when this ran: ${digest} (tag mock)`), choice);
      }
    });
  }

  it("the text plan shows the whole digest and the sentence, not cut short", () => {
    const dev = EDGE_STACKS.find((s) => !loadEdge(sourceFor(s)).edge.appImage);
    assert.ok(dev, "an edge stack that follows the newest image");
    // In this process, at a pipe's 160 columns; the cloud stack's plan given as the plan would compute it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-app-image-"));
    let run: PlanRun;
    try {
      const cloudPlan = path.join(dir, "cloud.json");
      fs.writeFileSync(cloudPlan, JSON.stringify(planFor(CLOUD_STACK_OF[dev])));
      run = runPlanInProcess(["--stack", dev, "--cloud-plan", cloudPlan]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(run.status, 0, run.stderr);
    // Long lines wrap at 160 columns, continuations indented: join them back.
    const text = run.stdout.replace(/\n {6}/g, " ");
    // The text plan masks the mocks' account id.
    const image = (planFor(dev).outputs.edgeAppImage as string).replace(/^\d{12}\./, "<account>.");
    assert.ok(text.includes(`  edgeAppImage: ${image}\n`), text);
    assert.match(
      text,
      / {2}edgeAppImageChoice: newest push to \S+ when this ran: sha256:[a-f0-9]{64} \(tag mock\); a later preview or up takes whatever is newest then/,
    );
  });
});
