import assert from "node:assert/strict";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { EDGE_SCRIPTS, EDGE_UNITS } from "../components/edge";
import { PROJECT_DIR } from "./helpers/program";
import { requireTool } from "./helpers/tools";

/**
 * The Pi's backup and restore scripts run for real on temporary data, with real sqlite3.
 * Stand-ins, PATH shims in test/fixtures/edge: `aws` (copies to a directory instead of S3),
 * `docker` (records stop/start).
 */
const SCRIPTS_DIR = path.join(PROJECT_DIR, "components/edge/scripts");
const FIXTURES = path.join(PROJECT_DIR, "test/fixtures/edge");
const sqlite = requireTool("sqlite3");

const tmpdir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const script = (name: keyof typeof EDGE_SCRIPTS) => path.join(SCRIPTS_DIR, name);

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: "utf8", env: { ...process.env, ...env }, input });
}

function sql(db: string, statement: string): string {
  const result = run("sqlite3", ["-cmd", ".timeout 10000", db, statement]);
  assert.equal(result.status, 0, `sqlite3 ${statement}: ${result.stderr}`);
  return result.stdout.trim();
}

describe("the edge backup's systemd units", () => {
  it("the systemd timer runs the backup daily at 03:00", () => {
    assert.match(EDGE_UNITS["edge-backup.timer"], /^OnCalendar=\*-\*-\* 03:00:00$/m);
    assert.match(EDGE_UNITS["edge-backup.service"], /^ExecStart=\/usr\/local\/lib\/edge\/edge-backup\.sh$/m);
    assert.match(EDGE_UNITS["edge-backup.service"], /^Environment=AWS_SHARED_CREDENTIALS_FILE=\/etc\/edge\/aws-credentials$/m);
  });
});

describe("backup and restore of a live WAL-mode SQLite database", { skip: sqlite.skip }, () => {
  const dir = tmpdir("edge-backup-");
  const data = path.join(dir, "data");
  const backups = path.join(dir, "backups");
  const s3 = path.join(dir, "s3");
  const textfile = path.join(dir, "textfile");
  const db = path.join(data, "app.db");
  const dockerLog = path.join(dir, "docker.log");
  for (const d of [data, backups, s3, textfile]) fs.mkdirSync(d);
  const env = {
    PATH: `${FIXTURES}:${process.env.PATH}`,
    EDGE_DB: db,
    EDGE_BACKUP_DIR: backups,
    EDGE_BACKUP_RETENTION_DAYS: "7",
    EDGE_BACKUP_BUCKET: "backup-bucket",
    EDGE_BACKUP_PREFIX: "edge/",
    EDGE_SITE: "edge.test",
    EDGE_TEXTFILE_DIR: textfile,
    FAKE_S3_DIR: s3,
    FAKE_DOCKER_LOG: dockerLog,
  };
  let backupFile = "";
  let backupRows = 0;

  it("backs up while another process keeps writing: integrity ok, uploaded under edge/<site>/, old copies expired", async () => {
    sql(db, "PRAGMA journal_mode=WAL; CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) INSERT INTO items (body) SELECT hex(randomblob(64)) FROM n;");
    assert.equal(sql(db, "PRAGMA journal_mode;"), "wal");
    const old = path.join(backups, "app-20200101T030000Z.db.gz");
    const recent = path.join(backups, "app-20200102T030000Z.db.gz");
    for (const [file, days] of [[old, 8], [recent, 2]] as const) {
      fs.writeFileSync(file, "old");
      const when = new Date(Date.now() - days * 86400_000);
      fs.utimesSync(file, when, when);
    }

    // One long-lived connection writing in small transactions, so the WAL is never empty.
    const writer = spawn("sqlite3", [db], { stdio: ["pipe", "ignore", "pipe"] });
    writer.stdin.write(".timeout 10000\n");
    let writing = true;
    const feed = async () => {
      while (writing) {
        writer.stdin.write("BEGIN; INSERT INTO items (body) SELECT hex(randomblob(64)) FROM items LIMIT 50; COMMIT;\n");
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const feeding = feed();
    await new Promise((r) => setTimeout(r, 300));
    const before = Number(sql(db, "SELECT count(*) FROM items;"));
    const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn("bash", [script("edge-backup.sh")], { env: { ...process.env, ...env } });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
    });
    await new Promise((r) => setTimeout(r, 300));
    const during = Number(sql(db, "SELECT count(*) FROM items;"));
    writing = false;
    await feeding;
    writer.stdin.end(".quit\n");
    await new Promise((r) => writer.on("close", r));
    assert.equal(result.code, 0, result.stderr);
    assert.ok(during > before, `the writer kept writing during the backup (${before} → ${during})`);

    const made = fs.readdirSync(backups).filter((f) => /^app-\d{8}T\d{6}Z\.db\.gz$/.test(f) && f !== path.basename(recent));
    assert.equal(made.length, 1, `one new backup: ${made}`);
    backupFile = path.join(backups, made[0]);
    assert.equal(fs.statSync(backupFile).mode & 0o777, 0o600);
    assert.ok(!fs.existsSync(old), "a copy older than the retention is deleted");
    assert.ok(fs.existsSync(recent), "a copy within the retention is kept");
    assert.deepEqual(fs.readdirSync(backups).filter((f) => f.startsWith(".")), [], "no work files left");

    const uploaded = path.join(s3, "backup-bucket/edge/edge.test", made[0]);
    assert.ok(fs.existsSync(uploaded), "uploaded to s3://backup-bucket/edge/edge.test/");
    assert.deepEqual(fs.readFileSync(uploaded), fs.readFileSync(backupFile));

    const copy = path.join(dir, "check.db");
    fs.writeFileSync(copy, spawnSync("gzip", ["-dc", backupFile], { maxBuffer: 1 << 30 }).stdout);
    assert.equal(sql(copy, "PRAGMA integrity_check;"), "ok");
    backupRows = Number(sql(copy, "SELECT count(*) FROM items;"));
    assert.ok(backupRows >= before && backupRows <= during, `a consistent snapshot: ${before} ≤ ${backupRows} ≤ ${during}`);
    assert.match(fs.readFileSync(path.join(textfile, "edge-backup.prom"), "utf8"), /^edge_backup_last_success_timestamp_seconds \d+$/m);
  });

  it("restore refuses a corrupt backup and changes nothing", () => {
    assert.ok(backupFile, "needs the backup from the previous test");
    const corrupt = path.join(dir, "corrupt.db.gz");
    fs.writeFileSync(corrupt, spawnSync("gzip", ["-c"], { input: Buffer.alloc(8192, 7) }).stdout);
    const rows = sql(db, "SELECT count(*) FROM items;");
    const result = run("bash", [script("edge-restore.sh"), corrupt], env);
    assert.notEqual(result.status, 0);
    assert.equal(sql(db, "SELECT count(*) FROM items;"), rows);
    assert.ok(!fs.existsSync(dockerLog), "the app was not stopped");
  });

  it("restore stops the app, replaces the database, keeps the old one complete with its -wal/-shm, and starts the app", async () => {
    const checkpointed = Number(sql(db, "SELECT count(*) FROM items;"));
    assert.ok(checkpointed > backupRows);
    // The app as the restore finds it: committed rows still only in the -wal (a connection that
    // never checkpointed, killed like a container stop would).
    const app = spawn("sqlite3", [db], { stdio: ["pipe", "pipe", "pipe"] });
    app.stdin.write(".timeout 10000\nPRAGMA wal_autocheckpoint=0;\nINSERT INTO items (body) SELECT hex(randomblob(64)) FROM items LIMIT 123;\nSELECT 'ready';\n");
    await new Promise<void>((resolve) => app.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve()));
    app.kill("SIGKILL");
    await new Promise((r) => app.on("close", r));
    assert.ok(fs.statSync(`${db}-wal`).size > 0 && fs.existsSync(`${db}-shm`), "the live database has a -wal and -shm");
    const liveRows = checkpointed + 123;

    const result = run("bash", [script("edge-restore.sh"), backupFile], env);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(fs.readFileSync(dockerLog, "utf8").trim().split("\n"), ["stop edge-app", "start edge-app"]);
    assert.ok(!fs.existsSync(`${db}-wal`) && !fs.existsSync(`${db}-shm`), "no -wal/-shm of the old database next to the restored one");
    assert.equal(sql(db, "PRAGMA integrity_check;"), "ok");
    assert.equal(Number(sql(db, "SELECT count(*) FROM items;")), backupRows, "the backup's rows are back");
    const kept = fs.readdirSync(data).find((f) => /^app\.db\.pre-restore-\d{8}T\d{6}Z$/.test(f));
    assert.ok(kept, "the replaced database is kept");
    assert.ok(fs.existsSync(path.join(data, `${kept}-wal`)) && fs.existsSync(path.join(data, `${kept}-shm`)), "its -wal and -shm moved with it");
    const keptPath = path.join(data, kept);
    assert.equal(Number(sql(keptPath, "SELECT count(*) FROM items;")), liveRows, "the kept copy opens with the rows that were only in its -wal");
    assert.equal(sql(keptPath, "PRAGMA integrity_check;"), "ok");
  });
});
