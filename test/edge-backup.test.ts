import assert from "node:assert/strict";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { after, describe, it } from "node:test";
import { EDGE_SCRIPTS, EDGE_UNITS } from "../components/edge";
import { item } from "./helpers/assert";
import { PROJECT_DIR } from "./helpers/program";
import { findTool, requireTool } from "./helpers/tools";
import { tempDir } from "./helpers/temp-dir";

/**
 * The Pi's backup and restore scripts run for real on temporary data, with real sqlite3, tar and
 * gzip: a backup of a 30 MB WAL database while two other connections commit about 200 times a
 * second, with a deadline; unique names; a step that cannot finish stopped by its timeout; the
 * restore refusing damaged archives and round-tripping the database, the app's files and the
 * missing configuration. Stand-ins, PATH shims in test/fixtures/edge: `aws` (copies to a
 * directory instead of S3), `docker` (records stop/start); and, for the unique-name test, a
 * `date` (and an `od`) frozen by a shim in a temporary directory.
 */
const SCRIPTS_DIR = path.join(PROJECT_DIR, "components/edge/scripts");
const FIXTURES = path.join(PROJECT_DIR, "test/fixtures/edge");
const sqlite = requireTool("sqlite3");
const systemdAnalyze = requireTool("systemd-analyze");

const script = (name: keyof typeof EDGE_SCRIPTS) => path.join(SCRIPTS_DIR, name);
const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: "utf8", env: { ...process.env, ...env }, input });
}

function sql(db: string, statement: string): string {
  const result = run("sqlite3", ["-cmd", ".timeout 10000", db, statement]);
  assert.equal(result.status, 0, `sqlite3 ${statement}: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * Runs a script without blocking the event loop (the writers keep going meanwhile), handing
 * each line of its stderr (its progress log) to `onStderr` as it comes. At
 * `deadlineMs` its process group is killed and the result returned when bash has exited; the
 * script's `timeout` runs its command in a group of its own, which may outlive it for as long as
 * EDGE_BACKUP_STEP_TIMEOUT (the callers set one shorter than the deadline).
 */
function runAsync(
  args: string[],
  env: NodeJS.ProcessEnv,
  deadlineMs: number,
  onStderr: (line: string) => void = () => undefined,
): Promise<{ code: number | null; signal: string | null; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn("bash", args, {
      env: { ...process.env, ...env },
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    let late = false;
    const done = (code: number | null, signal: string | null) =>
      resolve({ code, signal, stderr, ms: performance.now() - started });
    const deadline = setTimeout(() => {
      late = true;
      process.kill(-(child.pid as number), "SIGKILL");
    }, deadlineMs);
    let partial = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      const lines = (partial + d.toString()).split("\n");
      partial = lines.pop() ?? "";
      lines.forEach(onStderr);
    });
    child.on("exit", (code, signal) => late && done(code, signal));
    child.on("close", (code, signal) => {
      clearTimeout(deadline);
      done(code, signal);
    });
  });
}

/** Every entry under `root` (relative path → mode and, for files, sha256), minus what `skip` names. */
function tree(root: string, skip: (relative: string) => boolean = () => false): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const relative = path.relative(root, full);
      if (skip(relative)) continue;
      const st = fs.lstatSync(full);
      entries[relative] = `${(st.mode & 0o7777).toString(8)} ${st.isFile() ? sha256(full) : "dir"}`;
      if (st.isDirectory()) walk(full);
    }
  };
  walk(root);
  return entries;
}

/**
 * `bytes` as a gzip file of stored (level 0) deflate blocks: what the restore reads is any gzip,
 * and compressing tens of MB of random rows again for each made-up archive was most of the
 * restore tests' time. The backup's own archive is the script's, compressed by gzip.
 */
function storedGzip(bytes: Buffer): Buffer {
  return gzipSync(bytes, { level: 0 });
}

function untar(archive: string, into: string): void {
  fs.mkdirSync(into, { recursive: true });
  const result = run("tar", ["-C", into, "-xzpf", archive]);
  assert.equal(result.status, 0, result.stderr);
}

const ROWS = 30_000;
const DEADLINE_MS = 30_000;
const NAME = /^app-(\d{8}T\d{6}\.\d{9}Z)-[0-9a-f]{12}\.tar\.gz$/;

describe("edge backup under a steady stream of writes, and restore", { skip: sqlite.skip }, () => {
  const dir = tempDir("edge-backup-");
  const data = path.join(dir, "data");
  const config = path.join(dir, "etc");
  const backups = path.join(dir, "backups");
  const s3 = path.join(dir, "s3");
  const textfile = path.join(dir, "textfile");
  const db = path.join(data, "app.db");
  for (const d of [data, backups, s3, textfile, path.join(config, "tls"), path.join(data, "uploads/2024")])
    fs.mkdirSync(d, { recursive: true });
  const env = {
    PATH: `${FIXTURES}:${process.env.PATH}`,
    EDGE_DB: db,
    EDGE_BACKUP_DIR: backups,
    EDGE_BACKUP_RETENTION_DAYS: "7",
    EDGE_BACKUP_BUCKET: "backup-bucket",
    EDGE_BACKUP_PREFIX: "edge/",
    EDGE_SITE: "edge.test",
    EDGE_TEXTFILE_DIR: textfile,
    // EDGE_DATA_DIR is left to its default, the database's directory.
    EDGE_CONFIG_DIR: config,
    FAKE_S3_DIR: s3,
  };

  // The app's files next to its database, and /etc/edge as `pulumi up` writes it (secrets 0600).
  fs.writeFileSync(path.join(data, "uploads/2024/photo.bin"), randomBytes(200_000), { mode: 0o640 });
  fs.writeFileSync(path.join(data, "uploads/notes.txt"), "first upload\n", { mode: 0o640 });
  fs.writeFileSync(path.join(data, ".app-state.json"), '{"v":1}\n', { mode: 0o600 });
  fs.writeFileSync(path.join(data, "app.db.pre-restore-20200101T000000Z"), "an earlier restore's leftover");
  const config0 = {
    "backup.env": ["EDGE_SITE=edge.test\n", 0o644],
    "aws-credentials": ["[default]\naws_secret_access_key = secret\n", 0o600],
    "ecr-credentials": ["[default]\naws_secret_access_key = secret\n", 0o600],
    "tls/cert.pem": ["-----BEGIN CERTIFICATE-----\n", 0o644],
    "tls/key.pem": ["-----BEGIN PRIVATE KEY-----\n", 0o600],
  } as const;
  for (const [file, [content, mode]] of Object.entries(config0))
    fs.writeFileSync(path.join(config, file), content, { mode });
  fs.chmodSync(path.join(config, "tls"), 0o700);
  const isDatabaseFile = (relative: string) =>
    /^app\.db($|-|\.pre-restore-)/.test(relative) || relative.startsWith(".restore.");

  let backupFile = "";
  let backupTicks = 0;
  let dataAtBackup: Record<string, string> = {};
  let writers: ReturnType<typeof startWriters> | undefined;
  after(async () => {
    await writers?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The app as the backup finds it: two long-lived connections, like its two gunicorn workers,
   * each committing every 10 ms, offset by 5 ms (about 200 commits a second together); each
   * commit a tick, the tick counter, and a rewritten row somewhere in the 30 MB table.
   * synchronous=NORMAL, as a WAL app would run. No automatic checkpoints: while a reader holds
   * its snapshot they cannot finish, so every commit would retry one, with its fsyncs, and the
   * commits would stall for tens of ms. On this machine the sqlite3 shell's `.backup` copies
   * 30 MB in about that long and would slip through such a pause; on the Pi the copy takes
   * seconds and no pause is that long. Without them the stream is steady: `.backup` does not
   * finish in the deadline here either (measured by hand), VACUUM INTO takes a fraction of a second.
   * Each commit is acknowledged on the writer's stdout (`c`), so the test starts the backup once
   * both are committing and sees how many commits each made while the backup ran: no fixed waits.
   */
  function startWriters() {
    const commit = `BEGIN; INSERT INTO ticks (at) VALUES (julianday('now')); UPDATE total SET n = n + 1; UPDATE items SET body = randomblob(1000) WHERE id = abs(random()) % ${ROWS} + 1; COMMIT; SELECT 'c';\n`;
    let stderr = "";
    const timers: NodeJS.Timeout[] = [];
    /** Commits acknowledged, per writer. */
    const acked = [0, 0];
    let waiting: { each: number; resolve: () => void }[] = [];
    const children = [0, 1].map((i) => {
      const child = spawn("sqlite3", [db], { stdio: ["pipe", "pipe", "pipe"] });
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.stdout.on("data", (d: Buffer) => {
        acked[i] = (acked[i] ?? 0) + (d.toString().match(/^c$/gm) ?? []).length;
        waiting = waiting.filter((w) => (acked.every((n) => n >= w.each) ? (w.resolve(), false) : true));
      });
      child.stdin.write(".timeout 10000\nPRAGMA synchronous=NORMAL;\nPRAGMA wal_autocheckpoint=0;\n");
      timers.push(setTimeout(() => timers.push(setInterval(() => child.stdin.write(commit), 10)), 5 * i));
      return { child, closed: new Promise((r) => child.on("close", r)) };
    });
    let stopped: Promise<string> | undefined;
    return {
      /** Commits acknowledged so far, per writer. */
      acked: () => [...acked],
      /** Resolves once each writer has acknowledged `each` commits. */
      committed: (each: number) =>
        new Promise<void>((resolve) => (acked.every((n) => n >= each) ? resolve() : waiting.push({ each, resolve }))),
      stop: () =>
        (stopped ??= (async () => {
          for (const t of timers) clearTimeout(t);
          for (const { child } of children) child.stdin.end(".quit\n");
          // Closing checkpoints the -wal; a writer still that busy after 5 s is killed (its commits are safe in the -wal).
          const killer = setTimeout(() => children.forEach(({ child }) => child.kill("SIGKILL")), 5000);
          await Promise.all(children.map((c) => c.closed));
          clearTimeout(killer);
          return stderr;
        })()),
    };
  }

  it(
    "backs up a 30 MB WAL database while two other connections commit ~200 times a second: done within 30 s, consistent, integrity-checked, uploaded under edge/<site>/, old copies expired",
    { timeout: 120_000 },
    async () => {
      sql(
        db,
        `PRAGMA journal_mode=WAL;
       CREATE TABLE items (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
       CREATE TABLE ticks (id INTEGER PRIMARY KEY, at REAL NOT NULL);
       CREATE TABLE total (n INTEGER NOT NULL); INSERT INTO total VALUES (0);
       CREATE TABLE notes (body TEXT NOT NULL);
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS}) INSERT INTO items (body) SELECT randomblob(1000) FROM n;
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO notes (body) SELECT 'note ' || i FROM n;
       DELETE FROM notes WHERE rowid % 3 = 0;`,
      );
      assert.equal(sql(db, "PRAGMA journal_mode;"), "wal");
      assert.ok(fs.statSync(db).size > 30e6, `a database of tens of MB (${fs.statSync(db).size} bytes)`);
      const old = path.join(backups, "app-20200101T030000Z.db.gz");
      const oldArchive = path.join(backups, "app-20200101T030000.000000000Z-000000000000.tar.gz");
      const recent = path.join(backups, "app-20200102T030000Z.db.gz");
      for (const [file, days] of [
        [old, 8],
        [oldArchive, 8],
        [recent, 2],
      ] as const) {
        fs.writeFileSync(file, "old");
        const when = new Date(Date.now() - days * 86400_000);
        fs.utimesSync(file, when, when);
      }
      dataAtBackup = tree(data, isDatabaseFile);

      writers = startWriters();
      // Both connections committing: the stream is established before the backup starts.
      await writers.committed(10);
      const before = Number(sql(db, "SELECT count(*) FROM ticks;"));
      assert.ok(before > 0, "the writers are committing");
      const ackedAtStart = writers.acked();
      let ackedDuringCopy: number[] | undefined;
      const result = await runAsync(
        [script("edge-backup.sh")],
        { ...env, EDGE_BACKUP_STEP_TIMEOUT: String((DEADLINE_MS - 5000) / 1000) },
        DEADLINE_MS,
        (line) => {
          // The copy's end, by the backup's own log: what each writer committed since the start.
          if (!ackedDuringCopy && /^edge-backup: copied /.test(line))
            ackedDuringCopy = writers?.acked().map((n, i) => n - (ackedAtStart[i] ?? 0));
        },
      );
      const afterBackup = Number(sql(db, "SELECT count(*) FROM ticks;"));
      const writerErrors = await writers.stop();
      assert.equal(writerErrors, "", "the writers never failed (no SQLITE_BUSY)");
      assert.ok(
        result.signal === null && result.ms < DEADLINE_MS,
        `the backup finished within ${DEADLINE_MS} ms (took ${Math.round(result.ms)} ms, ${result.signal ?? "no signal"})`,
      );
      assert.equal(result.code, 0, result.stderr);
      assert.ok(
        ackedDuringCopy?.every((n) => n >= 1),
        `each writer committed between the backup's start and the end of its copy: ${String(ackedDuringCopy)}`,
      );
      const perSecond = ((afterBackup - before) * 1000) / result.ms;
      assert.ok(
        perSecond >= 20,
        `the writers kept committing during the backup: ${afterBackup - before} commits in ${Math.round(result.ms)} ms (${perSecond.toFixed(0)}/s)`,
      );
      const copied = /copied .* in ([\d.]+)s/.exec(result.stderr)?.[1];
      console.log(
        `backup of a ${(fs.statSync(db).size / 1e6).toFixed(0)} MB database under ${perSecond.toFixed(0)} commits/s: ${Math.round(result.ms)} ms, of which the copy ${copied} s`,
      );

      const made = fs.readdirSync(backups).filter((f) => NAME.test(f) && f !== path.basename(oldArchive));
      assert.equal(made.length, 1, `one new backup: ${made}`);
      const newBackup = item(made, 0, "new backups");
      backupFile = path.join(backups, newBackup);
      assert.equal(fs.statSync(backupFile).mode & 0o777, 0o600);
      assert.ok(
        !fs.existsSync(old) && !fs.existsSync(oldArchive),
        "copies older than the retention are deleted, either format",
      );
      assert.ok(fs.existsSync(recent), "a copy within the retention is kept");
      assert.deepEqual(
        fs.readdirSync(backups).filter((f) => f.startsWith(".")),
        [],
        "no work files left",
      );
      const uploaded = path.join(s3, "backup-bucket/edge/edge.test", newBackup);
      assert.ok(fs.existsSync(uploaded), "uploaded to s3://backup-bucket/edge/edge.test/");
      assert.deepEqual(fs.readFileSync(uploaded), fs.readFileSync(backupFile));

      const out = path.join(dir, "check");
      untar(backupFile, out);
      assert.deepEqual(fs.readdirSync(out).sort(), ["app.db", "config", "data", "info", "manifest.sha256"]);
      assert.match(fs.readFileSync(path.join(out, "info"), "utf8"), /^format=edge-backup\/2$/m);
      const manifest = spawnSync("sha256sum", ["--strict", "-c", "manifest.sha256"], { cwd: out, encoding: "utf8" });
      assert.equal(manifest.status, 0, manifest.stdout + manifest.stderr);
      const copy = path.join(out, "app.db");
      assert.equal(sql(copy, "PRAGMA integrity_check;"), "ok");
      assert.equal(sql(copy, "PRAGMA journal_mode;"), "wal", "the copy keeps the database's journal mode");
      backupTicks = Number(sql(copy, "SELECT count(*) FROM ticks;"));
      assert.equal(
        Number(sql(copy, "SELECT n FROM total;")),
        backupTicks,
        "one snapshot: the counter and the ticks agree",
      );
      assert.ok(
        backupTicks >= before && backupTicks <= afterBackup,
        `taken during the run: ${before} ≤ ${backupTicks} ≤ ${afterBackup}`,
      );
      assert.equal(Number(sql(copy, "SELECT count(*) FROM items;")), ROWS);
      assert.equal(
        sql(copy, "SELECT group_concat(rowid) FROM notes;"),
        sql(db, "SELECT group_concat(rowid) FROM notes;"),
        "rows keep their rowids",
      );

      assert.deepEqual(
        tree(path.join(out, "data")),
        dataAtBackup,
        "the app's files, with their modes; not the database, its -wal/-shm or a restore's leftovers",
      );
      assert.deepEqual(
        Object.keys(tree(path.join(out, "config"))),
        ["backup.env", "tls", "tls/cert.pem"],
        "the configuration without credentials or the TLS key",
      );
      assert.equal(fs.statSync(path.join(out, "config/tls")).mode & 0o777, 0o700);
      const members = run("tar", ["-tzf", backupFile]).stdout;
      assert.doesNotMatch(members, /credentials|key\.pem/);

      const metrics = fs.readFileSync(path.join(textfile, "edge-backup.prom"), "utf8");
      assert.match(metrics, /^edge_backup_last_success_timestamp_seconds \d+$/m);
      assert.match(metrics, /^edge_backup_last_duration_seconds \d+(\.\d+)?$/m);
      assert.match(metrics, new RegExp(`^edge_backup_last_size_bytes ${fs.statSync(backupFile).size}$`, "m"));
    },
  );

  describe("names and time limits, on a small database of their own", () => {
    const small = path.join(dir, "small");
    const smallDb = path.join(small, "data/app.db");
    fs.mkdirSync(path.join(small, "data"), { recursive: true });
    fs.mkdirSync(path.join(small, "shims"));
    const smallEnv = (name: string) => {
      for (const d of ["backups", "s3", "textfile"]) fs.mkdirSync(path.join(small, name, d), { recursive: true });
      return {
        ...env,
        EDGE_DB: smallDb,
        EDGE_BACKUP_DIR: path.join(small, name, "backups"),
        FAKE_S3_DIR: path.join(small, name, "s3"),
        EDGE_TEXTFILE_DIR: path.join(small, name, "textfile"),
      };
    };
    const uploadedNames = (e: ReturnType<typeof smallEnv>) =>
      fs.readdirSync(path.join(e.FAKE_S3_DIR, "backup-bucket/edge/edge.test")).sort();

    it("with tiers on, the object goes under <site>/<daily|weekly|monthly>/ by the date (the 1st: monthly, a Sunday: weekly)", () => {
      sql(smallDb, "CREATE TABLE IF NOT EXISTS tiers (x); INSERT INTO tiers VALUES (1);");
      const cases = [
        ["2026-01-01T03:00:00Z", "monthly"], // a Thursday, the 1st
        ["2026-01-04T03:00:00Z", "weekly"], // a Sunday
        ["2026-01-05T03:00:00Z", "daily"],
      ] as const;
      for (const [when, tier] of cases) {
        const shims = path.join(small, `tier-${tier}`);
        fs.mkdirSync(shims, { recursive: true });
        fs.writeFileSync(path.join(shims, "date"), `#!/bin/sh\nexec ${findTool("date")} -d ${when} "$@"\n`, {
          mode: 0o755,
        });
        const tiered = { ...smallEnv(`tier-${tier}-run`), EDGE_BACKUP_TIERS: "1", PATH: `${shims}:${env.PATH}` };
        const result = run("bash", [script("edge-backup.sh")], tiered);
        assert.equal(result.status, 0, result.stderr);
        const archive = item(fs.readdirSync(tiered.EDGE_BACKUP_DIR), 0, "backups made");
        assert.ok(
          fs.existsSync(path.join(tiered.FAKE_S3_DIR, "backup-bucket/edge/edge.test", tier, archive)),
          `${when}: under ${tier}/`,
        );
      }
    });

    it("two runs in the same nanosecond write two archives and two objects; a name that exists is never replaced", () => {
      sql(smallDb, "PRAGMA journal_mode=WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);");
      const shims = path.join(small, "shims");
      // `date` frozen: both runs get the same time, to the nanosecond.
      fs.writeFileSync(
        path.join(shims, "date"),
        `#!/bin/sh\nexec ${findTool("date")} -d @1767225600.123456789 "$@"\n`,
        { mode: 0o755 },
      );
      const frozen = { ...smallEnv("same-time"), PATH: `${shims}:${env.PATH}` };
      const first = run("bash", [script("edge-backup.sh")], frozen);
      assert.equal(first.status, 0, first.stderr);
      const firstName = item(fs.readdirSync(frozen.EDGE_BACKUP_DIR), 0, "backups made");
      const firstFile = path.join(frozen.EDGE_BACKUP_DIR, firstName);
      const firstBytes = fs.readFileSync(firstFile);
      const second = run("bash", [script("edge-backup.sh")], frozen);
      assert.equal(second.status, 0, second.stderr);
      const names = fs.readdirSync(frozen.EDGE_BACKUP_DIR).sort();
      assert.equal(names.length, 2, `two archives: ${names}`);
      assert.ok(
        names.every((n) => NAME.exec(n)?.[1] === "20260101T000000.123456789Z"),
        `the same time in both names: ${names}`,
      );
      assert.deepEqual(uploadedNames(frozen), names, "two objects");
      assert.deepEqual(fs.readFileSync(firstFile), firstBytes, "the first archive is untouched");

      // `od` frozen too, so the random part repeats: the second run fails instead of replacing.
      fs.writeFileSync(path.join(shims, "od"), "#!/bin/sh\necho ' 00 11 22 33 44 55'\n", { mode: 0o755 });
      const clash = { ...smallEnv("same-name"), PATH: `${shims}:${env.PATH}` };
      assert.equal(run("bash", [script("edge-backup.sh")], clash).status, 0);
      const [only] = fs.readdirSync(clash.EDGE_BACKUP_DIR);
      assert.equal(only, "app-20260101T000000.123456789Z-001122334455.tar.gz");
      const onlyBytes = fs.readFileSync(path.join(clash.EDGE_BACKUP_DIR, only));
      sql(smallDb, "INSERT INTO t VALUES (2);");
      const again = run("bash", [script("edge-backup.sh")], clash);
      assert.notEqual(again.status, 0, "the second run with the same name fails");
      assert.deepEqual(fs.readdirSync(clash.EDGE_BACKUP_DIR), [only], "no second file, no work files left");
      assert.deepEqual(
        fs.readFileSync(path.join(clash.EDGE_BACKUP_DIR, only)),
        onlyBytes,
        "the existing archive is untouched",
      );
      assert.deepEqual(
        fs.readFileSync(path.join(clash.FAKE_S3_DIR, "backup-bucket/edge/edge.test", only)),
        onlyBytes,
        "and so is its object",
      );
      assert.match(again.stderr, /failed \(exit \d+\): no backup uploaded/);
    });

    it("a copy that cannot finish is stopped by EDGE_BACKUP_STEP_TIMEOUT: the run fails, nothing is written, uploaded or left behind", async () => {
      // A connection holding the database in exclusive locking mode: every other connection is busy.
      const holder = spawn("sqlite3", [smallDb], { stdio: ["pipe", "pipe", "pipe"] });
      holder.stdin.write("PRAGMA locking_mode=EXCLUSIVE;\nSELECT count(*) FROM t;\nSELECT 'held';\n");
      await new Promise<void>((resolve) =>
        holder.stdout.on("data", (d: Buffer) => d.toString().includes("held") && resolve()),
      );
      try {
        // Half a second: GNU timeout takes fractions, and the copy waits on the lock for 60 s.
        const e = { ...smallEnv("timeout"), EDGE_BACKUP_STEP_TIMEOUT: "0.5" };
        const result = await runAsync([script("edge-backup.sh")], e, DEADLINE_MS);
        assert.equal(result.code, 124, result.stderr);
        assert.ok(
          result.ms >= 500 && result.ms < 10_000,
          `stopped after about 0.5 s, not before (${Math.round(result.ms)} ms)`,
        );
        assert.match(result.stderr, /the database copy did not finish within 0\.5s/);
        assert.deepEqual(fs.readdirSync(e.EDGE_BACKUP_DIR), [], "no archive, no work files");
        assert.deepEqual(fs.readdirSync(e.FAKE_S3_DIR), [], "nothing uploaded");
        assert.deepEqual(fs.readdirSync(e.EDGE_TEXTFILE_DIR), [], "no success metric");
      } finally {
        holder.stdin.end(".quit\n");
        await new Promise((r) => holder.on("close", r));
      }
    });
  });

  describe("restore", () => {
    const liveState = () => ({
      rows: sql(db, "SELECT count(*) FROM ticks;"),
      data: tree(data, (r) => r.startsWith(".restore.")),
      config: tree(config),
    });

    /** The backup, unpacked once (each repack changes a copy: no gunzip of the whole backup each time). */
    let pristine = "";
    /** The backup, unpacked, changed by `change`, packed again under `name`. */
    function repack(name: string, change: (unpacked: string) => void): string {
      if (!pristine) {
        pristine = path.join(dir, "unpacked-backup");
        untar(backupFile, pristine);
      }
      const unpacked = tempDir("edge-repack-");
      const copied = run("cp", ["-a", `${pristine}/.`, unpacked]);
      assert.equal(copied.status, 0, copied.stderr);
      change(unpacked);
      const file = path.join(dir, name);
      const members = fs.readdirSync(unpacked).sort();
      const packed = spawnSync("tar", ["-C", unpacked, "-cf", "-", ...members], { maxBuffer: 1 << 30 });
      assert.equal(packed.status, 0, packed.stderr.toString());
      fs.writeFileSync(file, storedGzip(packed.stdout));
      fs.rmSync(unpacked, { recursive: true, force: true });
      return file;
    }
    const remanifest = (unpacked: string) => {
      const files = run("sh", [
        "-c",
        `cd '${unpacked}' && find . -type f ! -name manifest.sha256 | sort | xargs sha256sum > manifest.sha256`,
      ]);
      assert.equal(files.status, 0, files.stderr);
    };

    it("refuses a damaged backup and changes nothing: not gzip, truncated, a changed file, an unlisted file, an unexpected member, a corrupt database", () => {
      assert.ok(backupFile, "needs the backup from the first test");
      const junkDb = path.join(dir, "corrupt.db.gz");
      fs.writeFileSync(junkDb, spawnSync("gzip", ["-c"], { input: Buffer.alloc(8192, 7) }).stdout);
      const truncated = path.join(dir, "app-truncated.tar.gz");
      const bytes = fs.readFileSync(backupFile);
      fs.writeFileSync(truncated, bytes.subarray(0, bytes.length / 2));
      const cases: [string, RegExp][] = [
        [junkDb, /fails integrity_check/],
        [truncated, /cannot (read|extract)/],
        [
          repack("app-changed.tar.gz", (u) => fs.appendFileSync(path.join(u, "data/uploads/notes.txt"), "tampered\n")),
          /does not match its manifest/,
        ],
        [
          repack("app-unlisted.tar.gz", (u) => fs.writeFileSync(path.join(u, "data/unlisted.txt"), "x")),
          /its manifest lists/,
        ],
        [
          repack("app-unexpected.tar.gz", (u) => fs.writeFileSync(path.join(u, "evil.sh"), "x")),
          /unexpected members in .*: evil\.sh/,
        ],
        [
          repack("app-baddb.tar.gz", (u) => {
            fs.writeFileSync(path.join(u, "app.db"), Buffer.alloc(8192, 7));
            remanifest(u);
          }),
          /fails integrity_check/,
        ],
      ];
      const before = liveState();
      for (const [file, reason] of cases) {
        const dockerLog = path.join(dir, `docker-refused-${path.basename(file)}.log`);
        const result = run("bash", [script("edge-restore.sh"), file], { ...env, FAKE_DOCKER_LOG: dockerLog });
        assert.notEqual(result.status, 0, `${path.basename(file)}: ${result.stderr}`);
        assert.match(result.stderr, reason, path.basename(file));
        assert.match(result.stderr, /nothing changed/);
        assert.ok(!fs.existsSync(dockerLog), `${path.basename(file)}: the app was not stopped`);
        assert.deepEqual(liveState(), before, `${path.basename(file)}: database, files and configuration unchanged`);
      }
    });

    it("stops the app, puts back the database, the app's files and the missing configuration, keeps everything it replaced (the database with its -wal/-shm), and starts the app", async () => {
      assert.ok(backupFile, "needs the backup from the first test");
      const checkpointed = Number(sql(db, "SELECT count(*) FROM ticks;"));
      assert.ok(checkpointed > backupTicks);
      // The app as the restore finds it: committed rows still only in the -wal (a connection that
      // never checkpointed, killed like a container stop would) ...
      const app = spawn("sqlite3", [db], { stdio: ["pipe", "pipe", "pipe"] });
      app.stdin.write(
        ".timeout 10000\nPRAGMA wal_autocheckpoint=0;\nINSERT INTO ticks (at) SELECT 0 FROM items LIMIT 123;\nSELECT 'ready';\n",
      );
      await new Promise<void>((resolve) =>
        app.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve()),
      );
      app.kill("SIGKILL");
      await new Promise((r) => app.on("close", r));
      assert.ok(
        fs.statSync(`${db}-wal`).size > 0 && fs.existsSync(`${db}-shm`),
        "the live database has a -wal and -shm",
      );
      const liveRows = checkpointed + 123;
      // ... files uploaded and changed since the backup, and a configuration that lost a file and changed one.
      fs.writeFileSync(path.join(data, "uploads/after-backup.txt"), "uploaded after the backup\n");
      fs.appendFileSync(path.join(data, "uploads/notes.txt"), "edited after the backup\n");
      const currentFiles = tree(data, isDatabaseFile);
      fs.rmSync(path.join(config, "tls/cert.pem"));
      fs.writeFileSync(path.join(config, "backup.env"), "EDGE_SITE=edge.test\nEDGE_BACKUP_RETENTION_DAYS=9\n");
      const dockerLog = path.join(dir, "docker-restore.log");

      const result = run("bash", [script("edge-restore.sh"), backupFile], { ...env, FAKE_DOCKER_LOG: dockerLog });
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(fs.readFileSync(dockerLog, "utf8").trim().split("\n"), ["stop edge-app", "start edge-app"]);

      // The database.
      assert.ok(
        !fs.existsSync(`${db}-wal`) && !fs.existsSync(`${db}-shm`),
        "no -wal/-shm of the old database next to the restored one",
      );
      assert.equal(sql(db, "PRAGMA integrity_check;"), "ok");
      assert.equal(sql(db, "PRAGMA journal_mode;"), "wal");
      assert.equal(Number(sql(db, "SELECT count(*) FROM ticks;")), backupTicks, "the backup's rows are back");
      const kept = fs.readdirSync(data).filter((f) => /^app\.db\.pre-restore-\d{8}T\d{6}\.\d{9}Z$/.test(f));
      assert.equal(kept.length, 1, "the replaced database is kept");
      const keptPath = path.join(data, item(kept, 0, "kept databases"));
      assert.ok(
        fs.existsSync(`${keptPath}-wal`) && fs.existsSync(`${keptPath}-shm`),
        "its -wal and -shm moved with it",
      );
      assert.equal(
        Number(sql(keptPath, "SELECT count(*) FROM ticks;")),
        liveRows,
        "the kept copy opens with the rows that were only in its -wal",
      );
      assert.equal(sql(keptPath, "PRAGMA integrity_check;"), "ok");

      // The app's files: the backup's back in place, the replaced ones set aside.
      const setAside = fs.readdirSync(data).filter((f) => /^files\.pre-restore-\d{8}T\d{6}\.\d{9}Z$/.test(f));
      assert.equal(setAside.length, 1, `the replaced files are kept: ${fs.readdirSync(data)}`);
      assert.deepEqual(
        tree(data, (r) => isDatabaseFile(r) || r.startsWith("files.pre-restore-")),
        dataAtBackup,
        "the files as they were at the backup, with their modes",
      );
      assert.deepEqual(
        tree(path.join(data, item(setAside, 0, "files set aside"))),
        currentFiles,
        "the files the restore replaced, complete",
      );

      // The configuration: the missing file is back; the changed one (pulumi up's) is kept and reported.
      assert.equal(fs.readFileSync(path.join(config, "tls/cert.pem"), "utf8"), config0["tls/cert.pem"][0]);
      assert.equal(fs.statSync(path.join(config, "tls/cert.pem")).mode & 0o777, 0o644);
      assert.match(fs.readFileSync(path.join(config, "backup.env"), "utf8"), /RETENTION_DAYS=9/);
      assert.match(result.stderr, /kept .*backup\.env: it differs from the backup's copy/);
      for (const secret of ["aws-credentials", "ecr-credentials", "tls/key.pem"] as const)
        assert.equal(fs.readFileSync(path.join(config, secret), "utf8"), config0[secret][0], `${secret} untouched`);
    });

    it("still restores an older app-<stamp>.db.gz (database only; the app's files stay)", () => {
      const plain = path.join(dir, "plain.db");
      sql(db, `VACUUM INTO '${plain}';`);
      const rows = Number(sql(plain, "SELECT count(*) FROM ticks;"));
      const old = path.join(dir, "app-20200103T030000Z.db.gz");
      fs.writeFileSync(old, storedGzip(fs.readFileSync(plain)));
      sql(db, "INSERT INTO ticks (at) VALUES (1);");
      const files = tree(data, isDatabaseFile);
      const dockerLog = path.join(dir, "docker-old.log");
      const result = run("bash", [script("edge-restore.sh"), old], { ...env, FAKE_DOCKER_LOG: dockerLog });
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(fs.readFileSync(dockerLog, "utf8").trim().split("\n"), ["stop edge-app", "start edge-app"]);
      assert.equal(Number(sql(db, "SELECT count(*) FROM ticks;")), rows);
      assert.deepEqual(tree(data, isDatabaseFile), files, "files untouched, none set aside");
    });
  });
});

describe("the edge backup's systemd units", () => {
  it("the systemd timer runs the backup daily at 03:00", () => {
    assert.match(EDGE_UNITS["edge-backup.timer"], /^OnCalendar=\*-\*-\* 03:00:00$/m);
    assert.match(EDGE_UNITS["edge-backup.service"], /^ExecStart=\/usr\/local\/lib\/edge\/edge-backup\.sh$/m);
    assert.match(EDGE_UNITS["edge-backup.service"], /^Environment=AWS_CONFIG_FILE=\/etc\/edge\/aws-config$/m);
  });

  it("the oneshot service has a start timeout longer than the script's three timed steps (copy, check, upload)", () => {
    const unit = EDGE_UNITS["edge-backup.service"];
    assert.match(unit, /^Type=oneshot$/m);
    assert.doesNotMatch(unit, /^RuntimeMaxSec=/m, "no effect on a oneshot");
    const limit = /^TimeoutStartSec=(\d+)h$/m.exec(unit);
    assert.ok(limit, "TimeoutStartSec= in hours");
    const step = /EDGE_BACKUP_STEP_TIMEOUT:-(\d+)\}/.exec(EDGE_SCRIPTS["edge-backup.sh"]);
    assert.ok(step, "the script's default step timeout");
    assert.ok(3 * Number(step[1]) < Number(limit[1]) * 3600, `3 × ${step[1]} s < ${limit[1]} h`);
  });

  it(
    "systemd-analyze verify accepts the service and the timer without a warning",
    { skip: systemdAnalyze.skip },
    () => {
      const dir = tempDir("edge-units-");
      try {
        // ExecStart must name an executable that exists: the script itself, installed here.
        const installed = path.join(dir, "edge-backup.sh");
        fs.copyFileSync(script("edge-backup.sh"), installed);
        fs.chmodSync(installed, 0o755);
        fs.writeFileSync(
          path.join(dir, "edge-backup.service"),
          EDGE_UNITS["edge-backup.service"].replace("/usr/local/lib/edge/edge-backup.sh", installed),
        );
        fs.writeFileSync(path.join(dir, "edge-backup.timer"), EDGE_UNITS["edge-backup.timer"]);
        const result = run("systemd-analyze", [
          "verify",
          path.join(dir, "edge-backup.service"),
          path.join(dir, "edge-backup.timer"),
        ]);
        assert.equal(result.status, 0, result.stdout + result.stderr);
        // Unknown keys and unparsable values are only warnings (exit 0): there must be none.
        assert.equal(result.stdout + result.stderr, "");
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
