import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { item } from "./helpers/assert";
import { one, planFor, STACKS } from "./helpers/program";

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
};

describe("app platform", () => {
  for (const stack of STACKS) {
    it(`${stack}: the app's service account assumes a role that reads the DB secret and writes db/ only`, () => {
      const plan = planFor(stack);
      const sa = one(plan, "kubernetes:core/v1:ServiceAccount", `platform-${stack}-app`);
      const role = one(plan, "aws:iam/role:Role", `platform-${stack}-app`);
      assert.equal(
        sa.inputs.metadata.annotations["eks.amazonaws.com/role-arn"],
        `arn:aws:iam::123456789012:role/${role.name}`,
      );
      const trust = JSON.parse(role.inputs.assumeRolePolicy).Statement[0] as Statement;
      assert.ok(
        Object.entries(trust.Condition?.StringEquals ?? {}).some(
          ([k, v]) => k.endsWith(":sub") && v === "system:serviceaccount:app:app",
        ),
      );

      const attached = plan.resources
        .filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && r.inputs.role === role.name)
        .map((r) => r.inputs.policyArn as string)
        .sort();
      assert.deepEqual(attached, [
        `arn:aws:iam::123456789012:policy/platform-${stack}-app-db-secret`,
        `arn:aws:iam::123456789012:policy/platform-${stack}-db-writer`,
      ]);
      const secretPolicy = JSON.parse(
        one(plan, "aws:iam/policy:Policy", `platform-${stack}-app-db-secret`).inputs.policy,
      ) as { Statement: Statement[] };
      assert.deepEqual(
        item(secretPolicy.Statement, 0, "secret policy statements").Resource,
        plan.outputs.databaseSecretArn,
      );
    });

    it(`${stack}: endpoints in a ConfigMap, the cache token only in a Secret`, () => {
      const plan = planFor(stack);
      const endpoints = one(plan, "kubernetes:core/v1:ConfigMap", `platform-${stack}-app-endpoints`);
      assert.match(endpoints.inputs.data.DATABASE_HOST, /\.rds\.amazonaws\.com$/);
      assert.equal(endpoints.inputs.data.DATABASE_PORT, "5432");
      assert.match(endpoints.inputs.data.REDIS_HOST, /cache\.amazonaws\.com$/);
      assert.equal(endpoints.inputs.data.REDIS_TLS, "true");
      assert.ok(!JSON.stringify(endpoints.inputs).match(/TOKEN|PASSWORD/i));
      assert.equal(one(plan, "kubernetes:core/v1:Secret", `platform-${stack}-app-redis`).inputs.stringData, "[secret]");
    });

    it(`${stack}: nightly pg_dump streams to db/ through the app role, images pinned by digest, non-root`, () => {
      const plan = planFor(stack);
      const job = one(plan, "kubernetes:batch/v1:CronJob");
      assert.match(job.inputs.spec.schedule, /^\d+ \d+ \* \* \*$/, "once a day");
      assert.equal(job.inputs.spec.concurrencyPolicy, "Forbid");
      const pod = job.inputs.spec.jobTemplate.spec.template.spec;
      assert.equal(pod.serviceAccountName, "app");
      const containers = [...pod.initContainers, ...pod.containers] as {
        name: string;
        image: string;
        env: { name: string; value: string }[];
        securityContext: Record<string, unknown>;
        resources: { limits: { memory: string } };
      }[];
      for (const c of containers) {
        assert.match(c.image, /@sha256:[a-f0-9]{64}$/, `${c.name} pinned by digest`);
        assert.equal(c.securityContext.runAsNonRoot, true);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.ok(c.resources.limits.memory, `${c.name} has a memory limit`);
      }
      const upload = containers.find((c) => c.name === "upload");
      assert.equal(upload?.env.find((e) => e.name === "PREFIX")?.value, "db/");
      assert.equal(upload?.env.find((e) => e.name === "BUCKET")?.value, plan.outputs.backupBucket);
    });
  }
});
