import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { siteAccessPolicy } from "../components/edge-sites";
import { loadCloud, sourceFor } from "./helpers/config";
import { asRecord, input, inputJson } from "./helpers/inputs";
import { ofType, one, planFor, STACKS } from "./helpers/program";

type Statement = { Sid: string; Action: string | string[]; Resource: string };

/** Does an IAM Resource pattern (only `*` wildcards here) match an ARN? */
const matches = (pattern: string, arn: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
      .join(".*")}$`,
  ).test(arn);

describe("Pi sites of a cloud stack", () => {
  for (const stack of STACKS) {
    it(`${stack}: one identity per listed site, writing only under edge/<site>/ and pulling only the edge-app repository`, () => {
      const plan = planFor(stack);
      const sites = loadCloud(sourceFor(stack)).edgeSites;
      assert.deepEqual(
        ofType(plan, "platform:edge:SiteAccess").map((c) => c.name),
        sites.map((s) => `platform-${stack}-site-${s}`),
      );
      const bucket = `arn:aws:s3:::${plan.outputs.backupBucket}`;
      for (const site of sites) {
        const policy = one(plan, "aws:iam/userPolicy:UserPolicy", `platform-${stack}-site-${site}`);
        const statements = asRecord(inputJson(policy, "policy")).Statement as Statement[];
        assert.deepEqual(statements.find((s) => s.Sid === "PutUnderOwnPrefix")?.Resource, `${bucket}/edge/${site}/*`);
        assert.deepEqual(
          statements.find((s) => s.Sid === "PullEdgeApp")?.Resource,
          "arn:aws:ecr:us-east-1:123456789012:repository/edge-app",
        );
        assert.ok(
          !statements.some((s) =>
            [s.Action]
              .flat()
              .some((a) => /Delete|Get(Object)?$|List(Bucket)?$|\*$/.test(a) && a !== "ecr:GetAuthorizationToken"),
          ),
          "no read, list or delete",
        );
        assert.equal(
          ofType(plan, "aws:iam/userPolicyAttachment:UserPolicyAttachment").filter(
            (a) => a.inputs.user === `platform-${stack}-site-${site}`,
          ).length,
          0,
        );
        one(plan, "aws:iam/accessKey:AccessKey", `platform-${stack}-site-${site}`);
      }
      assert.deepEqual(
        plan.outputs.edgeSites,
        Object.fromEntries(sites.map((s) => [s, { backupPrefix: `edge/${s}/`, backupTiers: stack === "prod" }])),
      );
      // Every leaf of the credentials is secret; the shape lets the edge stack's plan read its site.
      assert.deepEqual(
        plan.outputs.edgeSiteCredentials,
        Object.fromEntries(
          sites.map((s) => [s, { accessKeyId: "[secret]", secretAccessKey: "[secret]", metricsToken: "[secret]" }]),
        ),
      );
      assert.ok((plan.secretOutputs as string[]).includes("edgeSiteCredentials"));
    });
  }

  it("one site's identity cannot write under another site's prefix, even one that starts with its name", () => {
    const bucketArn = "arn:aws:s3:::backups";
    const policy = (site: string) =>
      JSON.parse(
        siteAccessPolicy({
          bucketArn,
          kmsKeyArn: "arn:aws:kms:us-east-1:1:key/k",
          repositoryArn: "arn:aws:ecr:us-east-1:1:repository/edge-app",
          site,
        }),
      ).Statement as Statement[];
    const put = (site: string) => policy(site).find((s) => s.Sid === "PutUnderOwnPrefix")?.Resource as string;
    assert.ok(matches(put("lab"), `${bucketArn}/edge/lab/app-1.db.gz`));
    for (const other of [
      "edge/lab2/app-1.db.gz",
      "edge/shop/app-1.db.gz",
      "edge/app-1.db.gz",
      "db/dump.gz",
      "edge/labx",
    ])
      assert.ok(!matches(put("lab"), `${bucketArn}/${other}`), other);
  });

  it("sites scale linearly: each adds the same resources, under its own names", () => {
    const two = planFor("dev", { "platform:edgeSites": ["lab", "lab2"] });
    const one_ = planFor("dev");
    const perSite = (plan: typeof two, site: string) =>
      plan.resources
        .filter((r) => new RegExp(`^platform-dev-site-${site}(-|$)`).test(r.name))
        .map((r) => r.type)
        .sort();
    assert.deepEqual(perSite(two, "lab2"), perSite(two, "lab"));
    assert.equal(two.resources.length - one_.resources.length, perSite(two, "lab").length);
    const rule = one(two, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "platform-dev-alert-rules");
    const silent = JSON.stringify(input(rule, "spec.groups")).match(/EdgeSilent/g) ?? [];
    assert.equal(silent.length, 2, "an EdgeSilent alert per site");
  });
});
