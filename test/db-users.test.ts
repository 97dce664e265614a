import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { renderDbUsersSql } from "../components/app-platform/db-users";
import { DEFAULT_DATABASE_NAME } from "../components/database";
import { environmentDefaults } from "../config";
import { DATABASE_MASTER_USERNAME } from "../config/schema";
import { PROJECT_DIR, runPlanInProcess } from "./helpers/program";
import { postgresBin, run, TestPostgres } from "./helpers/postgres";
import { requireTool, spawnAsync } from "./helpers/tools";

/**
 * The database users' SQL (renderDbUsersSql) and the Job's script (db-users.sh), run for real
 * against a PostgreSQL server on loopback, over TLS verified with verify-full, as an RDS-like
 * master: a non-superuser with CREATEROLE that owns the database (RDS's master is not a superuser
 * either) and may grant `rds_iam` (PostgreSQL 16 and later ask for ADMIN OPTION on it, which RDS
 * gives its master). Stand-ins, because RDS is not here: `rds_iam` is a plain NOLOGIN role (on RDS its
 * members log in with IAM tokens), so after the SQL has run the test gives the two users passwords
 * to log in with, as the IAM token would; and the dump's upload goes through a PATH shim for `aws`.
 */
const SCRIPTS = path.join(PROJECT_DIR, "components/app-platform");
const pg = postgresBin();
const shellcheck = requireTool("shellcheck");
const skip = pg.skip ?? (process.getuid?.() !== 0 ? "needs root to run the server as the postgres user" : undefined);
const { appUser, dumpUser } = environmentDefaults.prod.database;
const SQL = renderDbUsersSql({ database: DEFAULT_DATABASE_NAME, appUser, dumpUser });
const MASTER_PASSWORD = "Rds-Managed-Lookalike-1234567890";
const LOGIN_PASSWORD = "test-login-stands-for-an-iam-token";

const AWS_SHIM = `#!/bin/sh
[ "$1 $2 $3" = "s3 cp -" ] || { echo "unexpected aws call: $*" >&2; exit 2; }
dest="$SHIM_BUCKET/\${4#s3://}"; mkdir -p "$(dirname "$dest")"; cat >"$dest"
`;

async function script(name: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const { status, stdout, stderr } = await spawnAsync("sh", [path.join(SCRIPTS, name)], {
    env: { ...process.env, ...env },
  });
  return { code: status, stdout, stderr };
}

/** Everything the SQL decides: roles, memberships, ACLs of the database and schemas, default privileges, settings. */
const RIGHTS = `
  SELECT concat_ws(E'\\n',
    (SELECT string_agg(format('%s super=%s createdb=%s createrole=%s login=%s password=%s', rolname, rolsuper,
       rolcreatedb, rolcreaterole, rolcanlogin, rolpassword IS NOT NULL), E'\\n' ORDER BY rolname)
       FROM pg_authid WHERE rolname IN ('${appUser}', '${dumpUser}')),
    (SELECT string_agg(format('%s in %s', m.rolname, r.rolname), ', ' ORDER BY 1)
       FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
       WHERE r.rolname IN ('${appUser}', 'rds_iam')),
    (SELECT datacl::text FROM pg_database WHERE datname = '${DEFAULT_DATABASE_NAME}'),
    (SELECT string_agg(format('%s owner=%s acl=%s', nspname, nspowner::regrole, nspacl), E'\\n' ORDER BY nspname)
       FROM pg_namespace WHERE nspname IN ('public', 'app')),
    (SELECT string_agg(format('%s %s', defaclobjtype, defaclacl), ', ' ORDER BY 1) FROM pg_default_acl),
    (SELECT string_agg(array_to_string(setconfig, ','), ', ' ORDER BY 1) FROM pg_db_role_setting))`;

describe("database users (db-users.ts, db-users.sh)", () => {
  it("--emit writes the SQL as cluster/scripts/db-users.sql and the Job's script next to it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emit-db-users-"));
    try {
      const result = runPlanInProcess(["--stack", "prod", "--emit", dir]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(fs.readFileSync(path.join(dir, "cluster/scripts/db-users.sql"), "utf8"), SQL);
      const emittedScript = path.join(dir, "cluster/scripts/db-users.sh");
      assert.equal(fs.readFileSync(emittedScript, "utf8"), fs.readFileSync(path.join(SCRIPTS, "db-users.sh"), "utf8"));
      assert.equal(fs.statSync(emittedScript).mode & 0o111, 0o111);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the SQL never names the master user, and refuses identifiers it would have to quote", () => {
    assert.ok(!SQL.includes(DATABASE_MASTER_USERNAME));
    assert.throws(() => renderDbUsersSql({ database: "app", appUser: 'x"; DROP', dumpUser: "d" }), /identifier/);
    assert.throws(() => renderDbUsersSql({ database: "app", appUser: "same", dumpUser: "same" }), /differ/);
  });

  it("db-users.sh passes shellcheck", { skip: shellcheck.skip }, () => {
    const result = spawnSync("shellcheck", ["--shell=sh", path.join(SCRIPTS, "db-users.sh")], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stdout);
  });

  describe("against a real PostgreSQL, as an RDS-like master", { skip }, () => {
    const server = new TestPostgres(pg.dir as string);
    const caFile = () => path.join(server.tmp, "data/server.crt");
    const sqlFile = () => path.join(server.tmp, "db-users.sql");
    const tls = () => ({ PGSSLMODE: "verify-full", PGSSLROOTCERT: caFile() });
    /** psql as one user over verify-full TLS (each command its own transaction); the result, or the error. */
    const as = (user: string, sql: string | string[], database = DEFAULT_DATABASE_NAME) => {
      const commands = (Array.isArray(sql) ? sql : [sql]).flatMap((c) => ["-c", c]);
      const result = spawnSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-tA", ...commands], {
        encoding: "utf8",
        env: {
          ...process.env,
          ...tls(),
          PGHOST: "localhost",
          PGPORT: server.port,
          PGUSER: user,
          PGPASSWORD: user === DATABASE_MASTER_USERNAME ? MASTER_PASSWORD : LOGIN_PASSWORD,
        },
      });
      return { ok: result.status === 0, out: result.stdout.trim(), err: result.stderr };
    };
    const runUsersJob = (name: string) => {
      const work = path.join(server.tmp, name);
      fs.mkdirSync(work);
      // What the init container writes: the RDS-managed secret's JSON.
      fs.writeFileSync(
        path.join(work, "secret.json"),
        JSON.stringify({ username: DATABASE_MASTER_USERNAME, password: MASTER_PASSWORD }),
      );
      const env = { WORK_DIR: work, SQL_FILE: sqlFile(), DB_HOST: "localhost", DB_PORT: server.port, DB_NAME: "app" };
      return { work, result: script("db-users.sh", { ...env, ...tls() }) };
    };
    const giveLoginPasswords = () =>
      server.query(
        "postgres",
        `ALTER ROLE ${appUser} PASSWORD '${LOGIN_PASSWORD}'; ALTER ROLE ${dumpUser} PASSWORD '${LOGIN_PASSWORD}'`,
      );

    before(() => {
      server.start();
      fs.writeFileSync(sqlFile(), SQL);
      server.query(
        "postgres",
        `CREATE ROLE ${DATABASE_MASTER_USERNAME} LOGIN CREATEROLE CREATEDB PASSWORD '${MASTER_PASSWORD}';
         CREATE ROLE rds_iam NOLOGIN;
         GRANT rds_iam TO ${DATABASE_MASTER_USERNAME} WITH ADMIN OPTION;`,
      );
      server.query("postgres", `CREATE DATABASE app OWNER ${DATABASE_MASTER_USERNAME}`);
      // What the master made before the users existed: a table in public, and another schema.
      assert.ok(
        as(
          DATABASE_MASTER_USERNAME,
          "CREATE TABLE public.master_only (secret text); INSERT INTO public.master_only VALUES ('s');" +
            "CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int); INSERT INTO billing.invoices VALUES (1);",
        ).ok,
      );
    });

    after(() => server.stop());

    it("creates both users as the master over verify-full, removes the credentials file, and a second run changes nothing", async () => {
      const first = runUsersJob("first");
      const one = await first.result;
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout, /database users of app are up to date/);
      assert.ok(!fs.existsSync(path.join(first.work, "secret.json")), "the master credentials are removed once read");
      const rights = server.query("app", RIGHTS);
      assert.match(rights, new RegExp(`^${appUser} super=f createdb=f createrole=f login=t password=f$`, "m"));
      assert.match(rights, new RegExp(`^${dumpUser} super=f createdb=f createrole=f login=t password=f$`, "m"));
      assert.match(rights, new RegExp(`${appUser} in rds_iam`));
      assert.match(rights, new RegExp(`${dumpUser} in rds_iam`));

      const second = await runUsersJob("second").result;
      assert.equal(second.code, 0, second.stderr);
      assert.equal(
        server.query("app", RIGHTS),
        rights,
        "the second run leaves every role, grant and setting as it was",
      );
      giveLoginPasswords();
    });

    it("the app user creates and uses tables in its schema only", () => {
      const created = as(
        appUser,
        "CREATE TABLE items (id serial PRIMARY KEY, body text); INSERT INTO items (body) SELECT md5(i::text) FROM generate_series(1, 500) i;" +
          "SELECT count(*) FROM items",
      );
      assert.ok(created.ok, created.err);
      assert.equal(created.out, "500");
      assert.equal(
        server.query("app", "SELECT schemaname || ':' || tableowner FROM pg_tables WHERE tablename = 'items'"),
        `app:${appUser}`,
      );
      const refused: [string, RegExp][] = [
        ["CREATE TABLE public.sneaky (id int)", /permission denied for schema public/],
        ["SELECT * FROM public.master_only", /permission denied for table master_only/],
        ["SELECT * FROM billing.invoices", /permission denied for schema billing/],
        ["CREATE SCHEMA other", /permission denied for database app/],
        ["CREATE ROLE intruder", /permission denied to create role/],
      ];
      for (const [sql, error] of refused) {
        const result = as(appUser, sql);
        assert.equal(result.ok, false, `${sql} must fail`);
        assert.match(result.err, error, sql);
      }
    });

    it("the dump user reads the app's schema, tables made after the SQL ran included, and writes nothing", () => {
      const read = as(dumpUser, "SELECT count(*) FROM app.items");
      assert.ok(read.ok, read.err);
      assert.equal(read.out, "500");
      const refused: [string | string[], RegExp][] = [
        ["INSERT INTO app.items (body) VALUES ('x')", /read-only transaction/],
        // Read-only sessions are a second line: the grants themselves allow no write.
        [
          ["SET default_transaction_read_only = off", "INSERT INTO app.items (body) VALUES ('x')"],
          /permission denied for table items/,
        ],
        [
          ["SET default_transaction_read_only = off", "CREATE TABLE app.t (id int)"],
          /permission denied for schema app/,
        ],
        ["SELECT * FROM public.master_only", /permission denied for table master_only/],
        ["SELECT * FROM billing.invoices", /permission denied for schema billing/],
      ];
      for (const [sql, error] of refused) {
        const result = as(dumpUser, sql);
        assert.equal(result.ok, false, `${String(sql)} must fail`);
        assert.match(result.err, error, String(sql));
      }
    });

    it("the nightly dump (db-dump.sh) runs as the dump user with its token file, over verify-full, and restores", async () => {
      const work = path.join(server.tmp, "dump");
      const shim = path.join(server.tmp, "bin");
      const bucket = path.join(server.tmp, "bucket");
      for (const dir of [work, shim, bucket]) fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(shim, "aws"), AWS_SHIM, { mode: 0o755 });
      // What the init container writes: `aws rds generate-db-auth-token` for the dump user.
      fs.writeFileSync(path.join(work, "db-token"), LOGIN_PASSWORD, { mode: 0o600 });
      run("mkfifo", [path.join(work, "dump.fifo")]);
      const env = {
        ...tls(),
        WORK_DIR: work,
        DB_HOST: "localhost",
        DB_PORT: server.port,
        DB_NAME: "app",
        DB_USER: dumpUser,
        DB_SCHEMA: "app",
        BUCKET: "backups",
        PREFIX: "db/",
        SHIM_BUCKET: bucket,
        PATH: `${shim}:${process.env.PATH}`,
      };
      const [upload, dump] = await Promise.all([script("db-upload.sh", env), script("db-dump.sh", env)]);
      assert.equal(dump.code, 0, dump.stderr);
      assert.equal(upload.code, 0, upload.stderr);
      assert.ok(!fs.existsSync(path.join(work, "db-token")), "the token file is removed once read");
      const key = /uploaded s3:\/\/backups\/(\S+)/.exec(upload.stdout)?.[1];
      assert.ok(key, upload.stdout);
      server.query("postgres", "CREATE DATABASE restored");
      run("pg_restore", ["--no-owner", "--no-privileges", "-d", "restored", path.join(bucket, "backups", key)], {
        env: server.env,
      });
      assert.equal(server.query("restored", "SELECT count(*) FROM app.items"), "500");
    });
  });
});
