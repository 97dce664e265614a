import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { PROJECT_DIR, runPlanInProcess } from "./helpers/program";
import { postgresBin, run, sharedPostgres, TestDatabases, type TestPostgres } from "./helpers/postgres";
import { requireTool, spawnAsync } from "./helpers/tools";

/**
 * The cloud database's restore path, for real: a PostgreSQL server on loopback with TLS, a dump
 * made by the project's own nightly scripts (db-dump.sh + db-upload.sh joined by a FIFO, as in the
 * CronJob), restored by db-restore.sh into a new database and compared table by table with the
 * source. The one stand-in is the `aws` CLI: a PATH shim over a directory playing the bucket.
 * The server is the process's shared one (test/helpers/postgres.ts); this file's databases are
 * named restore_* and dropped at the end, its files are in a directory of its own.
 */
const SCRIPTS = path.join(PROJECT_DIR, "components/app-platform");
const pg = postgresBin();
const shellcheck = requireTool("shellcheck");
const skip = pg.skip ?? (process.getuid?.() !== 0 ? "needs root to run the server as the postgres user" : undefined);

const AWS_SHIM = `#!/bin/sh
set -eu
case "$1 $2" in
  "s3 cp")
    if [ "$3" = "-" ]; then
      dest="$SHIM_BUCKET/\${4#s3://}"; mkdir -p "$(dirname "$dest")"; cat >"$dest"
    else
      src="$SHIM_BUCKET/\${3#s3://}"
      [ -f "$src" ] || { echo "fatal error: An error occurred (404) when calling the HeadObject operation" >&2; exit 1; }
      cp "$src" "$4"
    fi ;;
  "s3 ls")
    url=\${3#s3://}; bucket=\${url%%/*}; prefix=\${url#*/}
    cd "$SHIM_BUCKET/$bucket"
    find . -type f | sed 's|^\\./||' | grep "^$prefix" | while read -r k; do echo "2026-11-29 03:00:00 $(wc -c <"$k") $k"; done ;;
  *) echo "unexpected aws call: $*" >&2; exit 2 ;;
esac
`;

async function script(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = await spawnAsync("sh", [path.join(SCRIPTS, name), ...args], { env: { ...process.env, ...env } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Every user table with its row count and a digest of its rows in key order. */
const FINGERPRINT = `
  SELECT string_agg(format('%s.%s', n.nspname, c.relname), ',' ORDER BY n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')`;
const TABLE_DIGEST = (table: string) =>
  `SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM ${table} t`;

describe("cloud database restore (db-restore.sh)", () => {
  it("--emit writes it as cluster/scripts/db-restore.sh, executable, byte for byte", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emit-restore-"));
    const result = runPlanInProcess(["--stack", "prod", "--emit", dir]);
    assert.equal(result.status, 0, result.stderr);
    const emitted = path.join(dir, "cluster/scripts/db-restore.sh");
    assert.equal(fs.readFileSync(emitted, "utf8"), fs.readFileSync(path.join(SCRIPTS, "db-restore.sh"), "utf8"));
    assert.equal(fs.statSync(emitted).mode & 0o111, 0o111);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("passes shellcheck", { skip: shellcheck.skip }, () => {
    const result = spawnSync("shellcheck", ["--shell=sh", path.join(SCRIPTS, "db-restore.sh")], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stdout);
  });

  describe("a dump made by the nightly scripts, restored into a real PostgreSQL", { skip }, () => {
    let server: TestPostgres;
    let dbs: TestDatabases;
    /** The source database, and the names the restores go to: all restore_*, this file's own. */
    let app = "";
    let tmp = "";
    let bucket = "";
    let shim = "";
    // verify-full, the scripts' default: the server's self-signed certificate is the CA, for "localhost".
    const base = () => ({
      BUCKET: "backups",
      PREFIX: "db/",
      PGSSLMODE: "verify-full",
      PGSSLROOTCERT: path.join(server.data, "server.crt"),
      DB_HOST: "localhost",
      DB_PORT: server.port,
      SHIM_BUCKET: bucket,
      PATH: `${shim}:${process.env.PATH}`,
    });
    let dumpKey = "";

    before(async () => {
      server = sharedPostgres(pg.dir as string);
      dbs = new TestDatabases(server, "restore");
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "db-restore-"));
      bucket = path.join(tmp, "bucket");
      shim = path.join(tmp, "bin");
      fs.mkdirSync(shim, { recursive: true });
      fs.writeFileSync(path.join(shim, "aws"), AWS_SHIM, { mode: 0o755 });
      app = dbs.create("app");
      server.query(
        app,
        `CREATE TABLE items (id serial PRIMARY KEY, body text NOT NULL, note text, created timestamptz DEFAULT now());
         INSERT INTO items (body, note) SELECT md5(i::text), CASE WHEN i % 7 = 0 THEN NULL ELSE 'ünïcødé ' || i END FROM generate_series(1, 20000) i;
         CREATE SCHEMA billing;
         CREATE TABLE billing.invoices (id bigint PRIMARY KEY, item_id int REFERENCES items(id), amount numeric(12,2));
         INSERT INTO billing.invoices SELECT i, i, i * 1.25 FROM generate_series(1, 3000) i;
         CREATE TABLE empty_table (id int);`,
      );
      // The project's own dump: writer and uploader joined by a FIFO, as in the CronJob's pod.
      const work = path.join(tmp, "dump-work");
      fs.mkdirSync(work);
      fs.writeFileSync(
        path.join(work, "secret.json"),
        JSON.stringify({ username: "admin", password: server.password, engine: "postgres" }),
      );
      run("mkfifo", [path.join(work, "dump.fifo")]);
      const env = { ...base(), WORK_DIR: work, DB_NAME: app };
      const [upload, dump] = await Promise.all([script("db-upload.sh", [], env), script("db-dump.sh", [], env)]);
      assert.equal(dump.code, 0, dump.stderr);
      assert.equal(upload.code, 0, upload.stderr);
      dumpKey = /uploaded s3:\/\/backups\/(\S+)/.exec(upload.stdout)?.[1] ?? "";
      assert.match(dumpKey, new RegExp(`^db/(daily|weekly|monthly)/\\d{4}/\\d{2}/\\d{2}/${app}-.*\\.dump$`));
      // An older complete dump in a tier whose name sorts after today's: age, not the key, decides.
      const older = path.join(bucket, `backups/db/weekly/2000/01/02/${app}-2000-01-02T030000Z.dump`);
      fs.mkdirSync(path.dirname(older), { recursive: true });
      fs.copyFileSync(path.join(bucket, "backups", dumpKey), older);
      // A later night whose dump failed: its partial object and .FAILED marker must be passed over.
      const failed = path.join(bucket, `backups/db/monthly/2999/01/01/${app}-2999-01-01T030000Z.dump`);
      fs.mkdirSync(path.dirname(failed), { recursive: true });
      fs.writeFileSync(failed, "PGDMP partial");
      fs.writeFileSync(`${failed}.FAILED`, "dump failed at 2999-01-01T030000Z\n");
    });

    after(() => {
      dbs?.drop();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("restores the newest complete dump of any tier into a new database, identical table by table, with the credentials file removed", async () => {
      const work = path.join(tmp, "restore-work");
      fs.mkdirSync(work);
      fs.writeFileSync(
        path.join(work, "secret.json"),
        JSON.stringify({ username: "admin", password: server.password }),
      );
      const started = Date.now();
      const restored = dbs.name("app_restored");
      const result = await script("db-restore.sh", [restored], { ...base(), WORK_DIR: work });
      const seconds = (Date.now() - started) / 1000;
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(`restoring s3://backups/${dumpKey.replace(/[.]/g, "\\.")} into database ${restored}`),
      );
      assert.match(result.stdout, /public\.items: 20000 rows/);
      assert.match(result.stdout, /billing\.invoices: 3000 rows/);
      assert.match(result.stdout, /restored and verified 3 tables/);
      assert.ok(!fs.existsSync(path.join(work, "secret.json")), "the credentials file is removed once read");
      assert.ok(!fs.existsSync(path.join(work, "restore.dump")), "the downloaded dump is removed");
      const tables = server.query(app, FINGERPRINT);
      assert.equal(server.query(restored, FINGERPRINT), tables);
      for (const table of tables.split(","))
        assert.equal(server.query(restored, TABLE_DIGEST(table)), server.query(app, TABLE_DIGEST(table)), table);
      assert.equal(
        server.query(restored, "SELECT last_value FROM items_id_seq"),
        server.query(app, "SELECT last_value FROM items_id_seq"),
        "sequences resume where they were",
      );
      assert.equal(
        server.query(restored, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"),
        "1",
        "foreign keys restored",
      );
      console.log(
        `# restore of a ${fs.statSync(path.join(bucket, "backups", dumpKey)).size}-byte dump took ${seconds.toFixed(1)} s`,
      );
    });

    it("refuses to restore into a database that exists, leaving it untouched", async () => {
      const busy = dbs.create("app_busy");
      server.query(busy, "CREATE TABLE keep (id int); INSERT INTO keep VALUES (42)");
      const result = await script("db-restore.sh", [busy, dumpKey], { ...base(), ...server.env });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`database ${busy} already exists`));
      assert.equal(server.query(busy, "SELECT id FROM keep"), "42");
    });

    it("a truncated dump fails before any database is created", async () => {
      const key = `db/2026/01/01/${app}-2026-01-01T030000Z.dump`;
      const truncated = dbs.name("app_truncated");
      const whole = fs.readFileSync(path.join(bucket, "backups", dumpKey));
      fs.mkdirSync(path.join(bucket, "backups/db/2026/01/01"), { recursive: true });
      fs.writeFileSync(path.join(bucket, "backups", key), whole.subarray(0, 2000));
      const result = await script("db-restore.sh", [truncated, key], { ...base(), ...server.env });
      assert.notEqual(result.code, 0);
      assert.equal(server.query("postgres", `SELECT count(*) FROM pg_database WHERE datname = '${truncated}'`), "0");
    });

    it("rejects a target name that is not a plain identifier", async () => {
      const result = await script("db-restore.sh", ['app"; DROP DATABASE app; --'], { ...base(), ...server.env });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /TARGET_DB must be a lower-case identifier/);
    });
  });
});
