import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asRecord, input, inputJson } from "./helpers/inputs";
import { ofType, planFor, STACKS } from "./helpers/program";

describe("registry", () => {
  for (const stack of STACKS) {
    it(`${stack}: one scanned, immutable repository per image`, () => {
      const repos = ofType(planFor(stack), "aws:ecr/repository:Repository");
      assert.deepEqual(repos.map((r) => r.inputs.name).sort(), ["backend", "edge-app", "frontend"]);
      for (const repo of repos) {
        assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE");
        assert.equal(input(repo, "imageScanningConfiguration.scanOnPush"), true);
      }
    });

    it(`${stack}: lifecycle expires untagged images after a day and keeps the last ${stack === "prod" ? 30 : 10} tagged`, () => {
      const policies = ofType(planFor(stack), "aws:ecr/lifecyclePolicy:LifecyclePolicy");
      assert.equal(policies.length, 3);
      for (const policy of policies) {
        const rules = asRecord(inputJson(policy, "policy")).rules as {
          rulePriority: number;
          selection: Record<string, unknown>;
          action: { type: string };
        }[];
        const untagged = rules.find((r) => r.selection.tagStatus === "untagged");
        const tagged = rules.find((r) => r.selection.tagStatus === "tagged");
        assert.deepEqual(untagged?.selection, {
          tagStatus: "untagged",
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: 1,
        });
        assert.equal(tagged?.selection.countType, "imageCountMoreThan");
        assert.equal(tagged?.selection.countNumber, stack === "prod" ? 30 : 10);
        assert.deepEqual(tagged?.selection.tagPatternList, ["*"]);
        assert.ok(rules.every((r) => r.action.type === "expire"));
        assert.equal(new Set(rules.map((r) => r.rulePriority)).size, rules.length, "priorities are unique");
      }
    });
  }
});
