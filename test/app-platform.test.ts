import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DB_USERS_SCRIPT, SERVICE_ACCOUNTS } from "../components/app-platform";
import { APP_SCHEMA, renderDbUsersSql, sqlDigest } from "../components/app-platform/db-users";
import { RDS_CA_BUNDLE, RDS_CA_MOUNT_DIR, RDS_CA_PATH } from "../components/app-platform/rds-ca";
import { DEFAULT_DATABASE_NAME, RDS_CA_IDENTIFIER } from "../components/database";
import { ConfigError, environmentDefaults, loadConfig } from "../config";
import { DATABASE_MASTER_USERNAME } from "../config/schema";
import { sourceFor } from "./helpers/config";
import { input, inputRecord, inputString } from "./helpers/inputs";
import {
  ofType,
  one,
  planFor,
  runPlanInProcess,
  stackDirWith,
  STACKS,
  type Plan,
  type PlannedResource,
} from "./helpers/program";

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
};
type Container = {
  name: string;
  image: string;
  env: { name: string; value: string }[];
  securityContext: Record<string, unknown>;
  resources: { limits: { memory: string } };
  volumeMounts: { name: string; mountPath: string }[];
};

const ACCOUNT = "123456789012";

/** The service account, its role, and the documents of every policy attached to that role. */
function identity(plan: Plan, stack: string, key: string, serviceAccount: string) {
  const sa = ofType(plan, "kubernetes:core/v1:ServiceAccount").find(
    (r) => input(r, "metadata.name") === serviceAccount,
  );
  assert.ok(sa, `service account ${serviceAccount}`);
  const role = one(plan, "aws:iam/role:Role", `platform-${stack}-${key}`);
  const policyArns = plan.resources
    .filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && r.inputs.role === role.name)
    .map((r) => r.inputs.policyArn as string)
    .sort();
  const documents = policyArns.map((arn) => {
    const policy = ofType(plan, "aws:iam/policy:Policy").find(
      (p) => arn === `arn:aws:iam::${ACCOUNT}:policy/${p.name}`,
    );
    assert.ok(policy, `policy ${arn} is planned`);
    return policy.inputs.policy as string;
  });
  return { sa, role, policyArns, documents };
}

const statements = (document: string) => (JSON.parse(document) as { Statement: Statement[] }).Statement;
/** A pod spec as the provider receives it: the keys these tests read. */
interface PodSpec {
  serviceAccountName?: string;
  restartPolicy?: string;
  initContainers: (Container & { args?: unknown })[];
  containers: Container[];
  volumes: { name: string; configMap?: { name: string } }[];
}
const podOf = (r: PlannedResource, cron: boolean) =>
  inputRecord(r, cron ? "spec.jobTemplate.spec.template.spec" : "spec.template.spec") as unknown as PodSpec;
const containersOf = (pod: { initContainers: Container[]; containers: Container[] }) => [
  ...pod.initContainers,
  ...pod.containers,
];
const envOf = (c: Container | undefined, name: string) => c?.env.find((e) => e.name === name)?.value;

describe("app platform", () => {
  for (const stack of STACKS) {
    const { appUser, dumpUser } = environmentDefaults[stack].database;

    it(`${stack}: three service accounts, each assuming only its own role`, () => {
      const plan = planFor(stack);
      for (const [key, serviceAccount] of [
        ["app", SERVICE_ACCOUNTS.app],
        ["db-dump", SERVICE_ACCOUNTS.dump],
        ["db-users", SERVICE_ACCOUNTS.dbUsers],
      ] as const) {
        const { sa, role } = identity(plan, stack, key, serviceAccount);
        assert.equal(
          input(sa, ["metadata", "annotations", "eks.amazonaws.com/role-arn"]),
          `arn:aws:iam::${ACCOUNT}:role/${role.name}`,
        );
        const [trust] = statements(inputString(role, "assumeRolePolicy"));
        assert.deepEqual(
          Object.entries(trust?.Condition?.StringEquals ?? {})
            .filter(([k]) => k.endsWith(":sub"))
            .map(([, v]) => v),
          [`system:serviceaccount:app:${serviceAccount}`],
        );
      }
    });

    it(`${stack}: the app's role may only connect as the app's database user; it never names the master secret or the bucket`, () => {
      const plan = planFor(stack);
      const database = one(plan, "aws:rds/instance:Instance");
      const { documents } = identity(plan, stack, "app", SERVICE_ACCOUNTS.app);
      assert.equal(documents.length, 1);
      assert.deepEqual(statements(documents[0] ?? "{}"), [
        {
          Effect: "Allow",
          Action: "rds-db:connect",
          Resource: `arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:db-${database.name.toUpperCase()}/${appUser}`,
        },
      ]);
      const all = documents.join("\n");
      assert.ok(!all.includes(String(plan.outputs.databaseSecretArn)), "no master secret on the app role");
      assert.doesNotMatch(all, /secretsmanager|s3:|kms:/);
    });

    it(`${stack}: the dump's role connects as the read-only dump user and writes db/ only; only db-users reads the master secret`, () => {
      const plan = planFor(stack);
      const dump = identity(plan, stack, "db-dump", SERVICE_ACCOUNTS.dump);
      assert.deepEqual(dump.policyArns, [
        `arn:aws:iam::${ACCOUNT}:policy/platform-${stack}-db-dump-db-connect`,
        `arn:aws:iam::${ACCOUNT}:policy/platform-${stack}-db-writer`,
      ]);
      const connect = statements(dump.documents[0] ?? "{}");
      assert.equal(connect.length, 1);
      assert.match(String(connect[0]?.Resource), new RegExp(`:dbuser:db-[A-Z0-9-]+/${dumpUser}$`));
      const writer = statements(dump.documents[1] ?? "{}");
      assert.ok(
        writer.every((s) => [s.Resource].flat().every((r) => r.endsWith("/db/*") || !r.startsWith("arn:aws:s3"))),
      );

      const users = identity(plan, stack, "db-users", SERVICE_ACCOUNTS.dbUsers);
      assert.deepEqual(statements(users.documents[0] ?? "{}"), [
        {
          Effect: "Allow",
          Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
          Resource: plan.outputs.databaseSecretArn,
        },
      ]);
      // The master secret is named by the db-users policy and by no other policy of the stack.
      const naming = ofType(plan, "aws:iam/policy:Policy").filter((p) =>
        String(p.inputs.policy).includes(String(plan.outputs.databaseSecretArn)),
      );
      assert.deepEqual(
        naming.map((p) => p.name),
        [`platform-${stack}-db-users-master-secret`],
      );
    });

    it(`${stack}: the database takes IAM authentication and a server certificate from the CA the bundle holds`, () => {
      const database = one(planFor(stack), "aws:rds/instance:Instance");
      assert.equal(database.inputs.iamDatabaseAuthenticationEnabled, true);
      assert.equal(database.inputs.caCertIdentifier, RDS_CA_IDENTIFIER);
    });

    it(`${stack}: the db-users Job runs the rendered SQL as db-users, named by its digest, after the nodes`, () => {
      const plan = planFor(stack);
      const sql = renderDbUsersSql({ database: DEFAULT_DATABASE_NAME, appUser, dumpUser });
      const job = one(plan, "kubernetes:batch/v1:Job", `platform-${stack}-db-users`);
      assert.equal(input(job, "metadata.name"), `db-users-${sqlDigest(sql + DB_USERS_SCRIPT)}`);
      assert.equal(input(job, ["metadata", "annotations", "pulumi.com/replaceUnready"]), "true");
      const files = one(plan, "kubernetes:core/v1:ConfigMap", `platform-${stack}-db-users-sql`);
      assert.equal(input(files, ["data", "db-users.sql"]), sql);
      assert.equal(input(files, ["data", "db-users.sh"]), DB_USERS_SCRIPT);
      const pod = podOf(job, false);
      assert.equal(pod.serviceAccountName, SERVICE_ACCOUNTS.dbUsers);
      assert.equal(pod.restartPolicy, "Never");
      assert.ok(job.options.dependsOn?.some((d) => d.startsWith("aws:eks/nodeGroup:NodeGroup::")));
      const containers = containersOf(pod);
      const fetch = containers.find((c) => c.name === "fetch-master-secret");
      assert.equal(envOf(fetch, "DB_SECRET_ARN"), plan.outputs.databaseSecretArn);
      const main = containers.find((c) => c.name === "db-users");
      assert.equal(envOf(main, "PGSSLMODE"), "verify-full");
      assert.equal(envOf(main, "PGSSLROOTCERT"), RDS_CA_PATH);
      for (const c of containers) {
        assert.match(c.image, /@sha256:[a-f0-9]{64}$/, `${c.name} pinned by digest`);
        assert.equal(c.securityContext.runAsNonRoot, true);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      }
    });

    it(`${stack}: endpoints in a ConfigMap with verify-full and the CA bundle's path, no secret named; the bundle in its own ConfigMap`, () => {
      const plan = planFor(stack);
      const endpoints = one(plan, "kubernetes:core/v1:ConfigMap", `platform-${stack}-app-endpoints`);
      const data = endpoints.inputs.data as Record<string, string>;
      assert.match(data.DATABASE_HOST ?? "", /\.rds\.amazonaws\.com$/);
      assert.equal(data.DATABASE_PORT, "5432");
      assert.equal(data.DATABASE_USER, appUser);
      assert.equal(data.DATABASE_AUTH, "iam");
      assert.equal(data.DATABASE_SSLMODE, "verify-full");
      assert.equal(data.PGSSLMODE, "verify-full");
      assert.equal(data.PGSSLROOTCERT, RDS_CA_PATH);
      assert.match(data.REDIS_HOST ?? "", /cache\.amazonaws\.com$/);
      assert.equal(data.REDIS_TLS, "true");
      assert.ok(!JSON.stringify(data).match(/TOKEN|PASSWORD|SECRET|arn:aws/i));
      assert.equal(one(plan, "kubernetes:core/v1:Secret", `platform-${stack}-app-redis`).inputs.stringData, "[secret]");
      const ca = one(plan, "kubernetes:core/v1:ConfigMap", `platform-${stack}-rds-ca`);
      assert.equal(input(ca, "metadata.name"), "rds-ca");
      assert.equal(input(ca, ["data", "global-bundle.pem"]), RDS_CA_BUNDLE);
    });

    it(`${stack}: nightly pg_dump as db-dump with an IAM token, verify-full, schema app only, images pinned, non-root`, () => {
      const plan = planFor(stack);
      const job = one(plan, "kubernetes:batch/v1:CronJob");
      assert.match(inputString(job, "spec.schedule"), /^\d+ \d+ \* \* \*$/, "once a day");
      assert.equal(input(job, "spec.concurrencyPolicy"), "Forbid");
      const pod = podOf(job, true);
      assert.equal(pod.serviceAccountName, SERVICE_ACCOUNTS.dump);
      const containers = containersOf(pod);
      for (const c of containers) {
        assert.match(c.image, /@sha256:[a-f0-9]{64}$/, `${c.name} pinned by digest`);
        assert.equal(c.securityContext.runAsNonRoot, true);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.ok(c.resources.limits.memory, `${c.name} has a memory limit`);
        assert.equal(envOf(c, "DB_SECRET_ARN"), undefined, `${c.name} never sees the master secret`);
      }
      const token = containers.find((c) => c.name === "db-auth-token");
      assert.match(String(pod.initContainers[0]?.args), /aws rds generate-db-auth-token .*--username "\$DB_USER"/);
      assert.equal(envOf(token, "DB_USER"), dumpUser);
      const dump = containers.find((c) => c.name === "dump");
      assert.equal(envOf(dump, "PGSSLMODE"), "verify-full");
      assert.equal(envOf(dump, "PGSSLROOTCERT"), RDS_CA_PATH);
      assert.equal(envOf(dump, "DB_SCHEMA"), APP_SCHEMA);
      assert.ok(dump?.volumeMounts.some((m) => m.name === "rds-ca" && m.mountPath === RDS_CA_MOUNT_DIR));
      assert.ok(pod.volumes.some((v) => v.configMap?.name === "rds-ca"));
      const upload = containers.find((c) => c.name === "upload");
      assert.equal(envOf(upload, "PREFIX"), "db/");
      assert.equal(envOf(upload, "BUCKET"), plan.outputs.backupBucket);
    });
  }
});

describe("app platform: bad input", () => {
  const problemsFor = (database: Record<string, unknown>): string[] => {
    const base = environmentDefaults.dev.database;
    try {
      loadConfig(sourceFor("dev", { "platform:database": { ...base, ...database } }));
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return [...error.problems];
    }
    assert.fail(`${JSON.stringify(database)} was accepted`);
  };

  it("the master user as the app's or the dump's user, one user for both, reserved or malformed names: every problem, each key named", () => {
    const master = problemsFor({ appUser: DATABASE_MASTER_USERNAME, dumpUser: DATABASE_MASTER_USERNAME });
    assert.equal(master.length, 3, master.join("\n"));
    assert.match(master.join("\n"), /platform:database\.appUser: .*other than the master user "app_admin"/);
    assert.match(master.join("\n"), /platform:database\.dumpUser: .*other than the master user "app_admin"/);
    assert.match(master.join("\n"), /platform:database\.dumpUser: .*other than database\.appUser/);
    for (const name of ["pg_app", "rds_app", "postgres", "App", "1app", "app-user", ""]) {
      const problems = problemsFor({ appUser: name });
      assert.ok(
        problems.some((p) => /^platform:database\.appUser: .*a PostgreSQL user name/.test(p)),
        `${name}: ${problems.join("; ")}`,
      );
    }
  });

  it("the plan refuses the master user as the app's user: exit 2 naming platform:database.appUser, nothing planned", () => {
    const result = runPlanInProcess([
      "--stack",
      "dev",
      "--config-dir",
      stackDirWith("dev", { "platform:database": { appUser: DATABASE_MASTER_USERNAME } }),
    ]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /platform:database\.appUser: .*master user/);
    assert.doesNotMatch(result.stdout, /db-users|ServiceAccount/);
  });
});
