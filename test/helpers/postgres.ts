import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Where Debian's `postgresql` package puts the server binaries (newest major), or why the test skips. */
export function postgresBin(): { dir?: string; skip?: string } {
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin/initdb")))
    : [];
  if (versions.length > 0) return { dir: path.join(root, versions.sort().at(-1) as string, "bin") };
  const message = "PostgreSQL server binaries are not installed (Debian: postgresql)";
  if (process.env.CI === "true") throw new Error(`${message}; CI must install them`);
  return { skip: message };
}

export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; user?: string } = {},
): SpawnSyncReturns<string> {
  const [cmd, argv] = options.user ? ["runuser", ["-u", options.user, "--", command, ...args]] : [command, args];
  const result = spawnSync(cmd, argv, { encoding: "utf8", env: { ...process.env, ...options.env } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return result;
}

/** A throw-away PostgreSQL server on loopback, TLS on, password (SCRAM) authentication, run as `postgres`. */
export class TestPostgres {
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pgtest-"));
  readonly port = String(20000 + Math.floor(Math.random() * 20000));
  readonly password = "S3cr3t-pa55:w0rd!#%^&*()";
  readonly env = {
    PGHOST: "127.0.0.1",
    PGPORT: this.port,
    PGUSER: "admin",
    PGPASSWORD: this.password,
    PGSSLMODE: "require",
  };
  /** The data directory; its server.crt is what clients verify the server with. */
  readonly data = path.join(this.tmp, "data");

  constructor(private readonly binDir: string) {}

  start(): void {
    const bin = (name: string) => path.join(this.binDir, name);
    fs.chmodSync(this.tmp, 0o755);
    fs.writeFileSync(path.join(this.tmp, "pwfile"), this.password);
    spawnSync("chown", ["-R", "postgres", this.tmp]);
    run(
      bin("initdb"),
      // --no-sync, and fsync=off below: a throw-away server's durability is not what a test checks.
      [
        "-D",
        this.data,
        "-U",
        "admin",
        "--auth=scram-sha-256",
        `--pwfile=${path.join(this.tmp, "pwfile")}`,
        "--no-sync",
        "--no-instructions",
      ],
      { user: "postgres" },
    );
    const [key, crt] = [path.join(this.data, "server.key"), path.join(this.data, "server.crt")];
    run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-keyout",
      key,
      "-out",
      crt,
    ]);
    spawnSync("chown", ["postgres", key, crt]);
    fs.chmodSync(key, 0o600);
    const options = `-p ${this.port} -k ${this.tmp} -c listen_addresses=127.0.0.1 -c ssl=on -c fsync=off`;
    run(bin("pg_ctl"), ["-D", this.data, "-w", "-l", path.join(this.tmp, "server.log"), "-o", options, "start"], {
      user: "postgres",
    });
  }

  stop(): void {
    spawnSync("runuser", [
      "-u",
      "postgres",
      "--",
      path.join(this.binDir, "pg_ctl"),
      "-D",
      this.data,
      "-m",
      "fast",
      "stop",
    ]);
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  /** psql -tA: the query's result as text. */
  query(database: string, sql: string): string {
    return run("psql", ["-X", "-v", "ON_ERROR_STOP=1", "-d", database, "-tAc", sql], { env: this.env }).stdout.trim();
  }
}

/**
 * The process's one PostgreSQL server, shared by every test file the runner puts in this process:
 * started by the first file that asks (initdb and start paid once), stopped when the process
 * exits. Files never stop it and never use its temporary directory: each works in databases of
 * its own (TestDatabases) and a directory of its own.
 */
let sharedServer: TestPostgres | undefined;

export function sharedPostgres(binDir: string): TestPostgres {
  if (sharedServer) return sharedServer;
  const server = new TestPostgres(binDir);
  // Registered before the start, so a server that started halfway is still stopped and removed.
  process.once("exit", () => server.stop());
  server.start();
  sharedServer = server;
  return server;
}

/**
 * One test file's databases on the shared server: every name carries the file's prefix, so files
 * sharing the server never meet, and drop() removes them all, those a script under test created
 * included. `prefix` is a lower-case identifier naming the file (e.g. "restore").
 */
export class TestDatabases {
  constructor(
    readonly server: TestPostgres,
    readonly prefix: string,
  ) {
    if (!/^[a-z][a-z0-9]*$/.test(prefix)) throw new Error(`database prefix ${prefix}: a lower-case identifier`);
  }

  /** The file's name for a database: `<prefix>_<base>`. */
  name(base: string): string {
    return `${this.prefix}_${base}`;
  }

  /** Creates `<prefix>_<base>` afresh (dropping one a failed earlier run left) and returns its name. */
  create(base: string): string {
    const name = this.name(base);
    this.server.query("postgres", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    this.server.query("postgres", `CREATE DATABASE ${name}`);
    return name;
  }

  /** Drops every database with the file's prefix. */
  drop(): void {
    const names = this.server.query(
      "postgres",
      `SELECT string_agg(datname, ' ') FROM pg_database WHERE starts_with(datname, '${this.prefix}_')`,
    );
    for (const name of names.split(" ").filter(Boolean))
      this.server.query("postgres", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
