import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { item } from "./helpers/assert";
import { PROJECT_DIR } from "./helpers/program";
import { postgresBin, run, sharedPostgres, TestDatabases, type TestPostgres } from "./helpers/postgres";
import { requireTool } from "./helpers/tools";

/**
 * The nightly dump's two scripts run for real: a PostgreSQL server on loopback with TLS, the
 * writer (db-dump.sh) and the uploader (db-upload.sh) joined by a FIFO as in the CronJob's pod.
 * The one stand-in is `aws s3 cp`, a PATH shim that stores the stream in a directory.
 * The server is the process's shared one (test/helpers/postgres.ts); this file's databases are
 * named dump_* and dropped at the end, its files are in a directory of its own.
 */
const SCRIPTS = path.join(PROJECT_DIR, "components/app-platform");

const pg = postgresBin();
const shellcheck = requireTool("shellcheck");
const skip = pg.skip ?? (process.getuid?.() !== 0 ? "needs root to run the server as the postgres user" : undefined);

function runAsync(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("sh", [path.join(SCRIPTS, script)], { env: { ...process.env, ...env } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
  });
}

describe("nightly pg_dump scripts", () => {
  it("pass shellcheck", { skip: shellcheck.skip }, () => {
    const result = spawnSync(
      "shellcheck",
      ["--shell=sh", path.join(SCRIPTS, "db-dump.sh"), path.join(SCRIPTS, "db-upload.sh")],
      { encoding: "utf8" },
    );
    assert.equal(result.status, 0, result.stdout);
  });

  describe("against a real PostgreSQL server", { skip }, () => {
    let server: TestPostgres;
    let dbs: TestDatabases;
    let app = "";
    let tmp = "";

    before(() => {
      server = sharedPostgres(pg.dir as string);
      dbs = new TestDatabases(server, "dump");
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "db-dump-"));
      app = dbs.create("app");
      run(
        "psql",
        [
          "-d",
          app,
          "-c",
          "CREATE TABLE items (id serial primary key, body text); INSERT INTO items (body) SELECT md5(i::text) FROM generate_series(1, 5000) i;",
        ],
        { env: server.env },
      );
    });

    after(() => {
      dbs?.drop();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    function prepareRun(name: string, secret: object) {
      const work = path.join(tmp, name);
      const shim = path.join(tmp, `${name}-bin`);
      const bucket = path.join(tmp, `${name}-bucket`);
      for (const dir of [work, shim, bucket]) fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(work, "secret.json"), JSON.stringify(secret));
      run("mkfifo", [path.join(work, "dump.fifo")]);
      fs.writeFileSync(
        path.join(shim, "aws"),
        '#!/bin/sh\n[ "$1 $2 $3" = "s3 cp -" ] || { echo "unexpected aws call: $*" >&2; exit 2; }\n' +
          'dest="$SHIM_BUCKET/${4#s3://}"\nmkdir -p "$(dirname "$dest")"\ncat > "$dest"\n',
        { mode: 0o755 },
      );
      // verify-full, as in the CronJob: the server's self-signed certificate is the CA, for "localhost".
      const env = {
        WORK_DIR: work,
        PGSSLMODE: "verify-full",
        PGSSLROOTCERT: path.join(server.data, "server.crt"),
        DB_HOST: "localhost",
        DB_PORT: server.port,
        DB_NAME: app,
        BUCKET: "backups",
        PREFIX: "db/",
        SHIM_BUCKET: bucket,
        PATH: `${shim}:${process.env.PATH}`,
      };
      return { env, work, bucket };
    }

    function uploaded(bucket: string): string[] {
      const found: string[] = [];
      const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else found.push(path.relative(bucket, full));
        }
      };
      walk(bucket);
      return found;
    }

    it("streams a dump over TLS that pg_restore restores with every row", async () => {
      const { env, work, bucket } = prepareRun("good", {
        username: "admin",
        password: server.password,
        engine: "postgres",
      });
      const [upload, dump] = await Promise.all([runAsync("db-upload.sh", env), runAsync("db-dump.sh", env)]);
      assert.equal(dump.code, 0, dump.stderr);
      assert.equal(upload.code, 0, upload.stderr);
      assert.ok(!fs.existsSync(path.join(work, "secret.json")), "the credentials file is removed once read");
      const files = uploaded(bucket);
      assert.equal(files.length, 1, files.join(", "));
      const uploadedDump = item(files, 0, "uploaded dumps");
      assert.match(
        uploadedDump,
        new RegExp(
          `^backups/db/(daily|weekly|monthly)/\\d{4}/\\d{2}/\\d{2}/${app}-\\d{4}-\\d{2}-\\d{2}T\\d{6}Z\\.dump$`,
        ),
      );
      // Grandfather-father-son by date: the 1st of the month is monthly, a Sunday weekly, else daily.
      const now = new Date();
      const tier = now.getUTCDate() === 1 ? "monthly" : now.getUTCDay() === 0 ? "weekly" : "daily";
      assert.equal(uploadedDump.split("/")[2], tier);
      const restored = dbs.create("restored");
      run("pg_restore", ["--no-owner", "-d", restored, path.join(bucket, uploadedDump)], { env: server.env });
      const count = run("psql", ["-d", restored, "-tAc", "SELECT count(*) FROM items"], {
        env: server.env,
      }).stdout.trim();
      assert.equal(count, "5000");
    });

    it("a failed dump fails the job and leaves a .FAILED marker next to the partial object", async () => {
      const { env, bucket } = prepareRun("bad", { username: "admin", password: "wrong-password" });
      const [upload, dump] = await Promise.all([runAsync("db-upload.sh", env), runAsync("db-dump.sh", env)]);
      assert.notEqual(dump.code, 0);
      assert.equal(upload.code, 1);
      assert.match(upload.stderr, /dump failed: failed \d+/);
      assert.ok(uploaded(bucket).some((f) => f.endsWith(".dump.FAILED")));
    });
  });
});
