import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SITE_SESSION_SECONDS, siteAccessPolicy } from "../components/edge-sites";
import { siteCommonName } from "../components/edge/identity";
import { loadCloud, sourceFor } from "./helpers/config";
import { asRecord, input, inputJson, inputNumber, inputStrings } from "./helpers/inputs";
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

type Identity = { trustAnchorArn: string; profileArn: string; roleArn: string; certificatePem: string };
type TrustStatement = {
  Effect: string;
  Principal: { Service: string };
  Action: string[];
  Condition: { StringEquals: Record<string, string>; ArnEquals: Record<string, string> };
};

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
        const policy = one(plan, "aws:iam/rolePolicy:RolePolicy", `platform-${stack}-site-${site}`);
        assert.equal(policy.inputs.role, `platform-${stack}-site-${site}`);
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
          ofType(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter(
            (a) => a.inputs.role === `platform-${stack}-site-${site}`,
          ).length,
          0,
          "no managed policy widens it",
        );
      }
      assert.deepEqual(
        Object.fromEntries(
          Object.entries(plan.outputs.edgeSites as Record<string, { backupPrefix: string; backupTiers: boolean }>).map(
            ([s, { backupPrefix, backupTiers }]) => [s, { backupPrefix, backupTiers }],
          ),
        ),
        Object.fromEntries(sites.map((s) => [s, { backupPrefix: `edge/${s}/`, backupTiers: stack === "prod" }])),
      );
      // Every leaf of the credentials is secret; the shape lets the edge stack's plan read its site.
      assert.deepEqual(
        plan.outputs.edgeSiteCredentials,
        Object.fromEntries(sites.map((s) => [s, { identityKeyPem: "[secret]", metricsToken: "[secret]" }])),
      );
      assert.ok((plan.secretOutputs as string[]).includes("edgeSiteCredentials"));
    });

    it(`${stack}: no long-lived AWS key: no IAM user or access key; each site's role is assumable only through Roles Anywhere with its own certificate`, () => {
      const plan = planFor(stack);
      const sites = loadCloud(sourceFor(stack)).edgeSites;
      for (const type of ["aws:iam/user:User", "aws:iam/accessKey:AccessKey", "aws:iam/userPolicy:UserPolicy"])
        assert.deepEqual(ofType(plan, type), [], `no ${type}`);
      const anchor = one(plan, "aws:rolesanywhere/trustAnchor:TrustAnchor");
      assert.equal(input(anchor, "source.sourceType"), "CERTIFICATE_BUNDLE");
      assert.equal(anchor.inputs.enabled, true);
      const ca = one(plan, "tls:index/selfSignedCert:SelfSignedCert", `platform-${stack}-edge-ca`);
      assert.equal(ca.inputs.isCaCertificate, true);
      assert.deepEqual([...inputStrings(ca, "allowedUses")].sort(), [
        "cert_signing",
        "crl_signing",
        "digital_signature",
      ]);
      const identities = plan.outputs.edgeSites as Record<string, { identity: Identity }>;
      for (const site of sites) {
        const name = `platform-${stack}-site-${site}`;
        const { identity } = identities[site] as { identity: Identity };
        assert.deepEqual(Object.keys(identity).sort(), ["certificatePem", "profileArn", "roleArn", "trustAnchorArn"]);
        assert.match(identity.trustAnchorArn, /^arn:aws:rolesanywhere:us-east-1:\d{12}:trust-anchor\//);
        const role = one(plan, "aws:iam/role:Role", name);
        const trust = asRecord(inputJson(role, "assumeRolePolicy")).Statement as TrustStatement[];
        assert.equal(trust.length, 1, "one way in");
        const [only] = trust as [TrustStatement];
        assert.equal(only.Effect, "Allow");
        assert.deepEqual(only.Principal, { Service: "rolesanywhere.amazonaws.com" });
        assert.deepEqual(only.Action.sort(), ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]);
        assert.deepEqual(only.Condition.StringEquals, {
          "aws:PrincipalTag/x509Subject/CN": siteCommonName(site),
          "aws:PrincipalTag/x509Issuer/CN": input(ca, "subject.commonName"),
        });
        assert.deepEqual(only.Condition.ArnEquals, { "aws:SourceArn": identity.trustAnchorArn });
        assert.equal(role.inputs.maxSessionDuration, SITE_SESSION_SECONDS);
        const profile = one(plan, "aws:rolesanywhere/profile:Profile", name);
        assert.deepEqual(profile.inputs.roleArns, [identity.roleArn]);
        assert.equal(profile.inputs.enabled, true);
        assert.equal(profile.inputs.durationSeconds, SITE_SESSION_SECONDS);
        assert.equal(identity.profileArn.includes(":profile/"), true);
        // The site's certificate: its CN is what the trust policy pins; a client certificate only, short-lived, renewed early.
        const request = one(plan, "tls:index/certRequest:CertRequest", name);
        assert.equal(input(request, "subject.commonName"), siteCommonName(site));
        const cert = one(plan, "tls:index/locallySignedCert:LocallySignedCert", name);
        assert.deepEqual([...inputStrings(cert, "allowedUses")].sort(), ["client_auth", "digital_signature"]);
        const validity = inputNumber(cert, "validityPeriodHours");
        const earlyRenewal = inputNumber(cert, "earlyRenewalHours");
        assert.ok(validity <= 90 * 24, "at most 90 days");
        assert.ok(earlyRenewal >= 7 * 24 && earlyRenewal < validity, "re-signed by an up well before it expires");
        assert.equal(cert.inputs.caPrivateKeyPem, "[secret]", "the CA key stays secret");
        const key = one(plan, "tls:index/privateKey:PrivateKey", name);
        assert.equal(key.inputs.algorithm, "ECDSA");
      }
    });
  }

  it("a certificate of one site cannot assume another site's role: their trust policies pin different CNs", () => {
    const plan = planFor("dev", { "platform:edgeSites": ["lab", "lab2"] });
    const trust = (site: string) =>
      (
        asRecord(inputJson(one(plan, "aws:iam/role:Role", `platform-dev-site-${site}`), "assumeRolePolicy"))
          .Statement as TrustStatement[]
      )[0]?.Condition;
    assert.notEqual(
      trust("lab")?.StringEquals["aws:PrincipalTag/x509Subject/CN"],
      trust("lab2")?.StringEquals["aws:PrincipalTag/x509Subject/CN"],
    );
    assert.deepEqual(trust("lab")?.ArnEquals, trust("lab2")?.ArnEquals, "one trust anchor for the stack");
    assert.equal(ofType(plan, "aws:rolesanywhere/trustAnchor:TrustAnchor").length, 1);
  });

  it("a stack without sites has no CA and no trust anchor", () => {
    const plan = planFor("dev", { "platform:edgeSites": [] });
    assert.deepEqual(ofType(plan, "aws:rolesanywhere/trustAnchor:TrustAnchor"), []);
    assert.deepEqual(ofType(plan, "tls:index/privateKey:PrivateKey"), []);
  });

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
