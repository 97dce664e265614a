import assert from "node:assert/strict";
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { renderWriteGatewayConf, WRITE_GATEWAY_IMAGE, WRITE_PATHS } from "../components/monitoring/write-gateway";
import { requireTool } from "./helpers/tools";

/**
 * The edge write gateway through real nginx on loopback, in front of a stub Prometheus (a node
 * HTTP server recording what reaches it), probed with real curl: a site's credential can POST
 * samples to /api/v1/write and nothing else reaches Prometheus (queries, admin and lifecycle
 * endpoints, other methods, path tricks).
 */
const nginx = requireTool("nginx");
const curl = requireTool("curl");
const execFileAsync = promisify(execFile);

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  bytes: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitForPort(port: number, deadlineMs = 5000): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < deadlineMs) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

describe("edge write gateway (real nginx and curl on loopback)", { skip: nginx.skip ?? curl.skip }, () => {
  const seen: Seen[] = [];
  let stub: http.Server;
  let proc: ChildProcess | undefined;
  let port = 0;
  let healthPort = 0;
  let dir = "";
  let conf = "";

  /**
   * `curl` as a Pi's agent would call the gateway (through the API server's proxy); returns the
   * status. Asynchronous: the stub upstream answers from this process's event loop.
   */
  async function probe(method: string, urlPath: string, extra: string[] = []): Promise<number> {
    const args = [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "--path-as-is",
      "-X",
      method,
      ...extra,
      `http://127.0.0.1:${port}${urlPath}`,
    ];
    const { stdout } = await execFileAsync(curl.path as string, args, { encoding: "utf8" });
    return Number(stdout);
  }

  before(async () => {
    stub = http.createServer((req, res) => {
      let bytes = 0;
      req.on("data", (chunk: Buffer) => (bytes += chunk.length));
      req.on("end", () => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization, bytes });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => stub.listen(0, "127.0.0.1", resolve));
    const upstream = `127.0.0.1:${(stub.address() as net.AddressInfo).port}`;
    [port, healthPort] = [await freePort(), await freePort()];
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "write-gateway-"));
    // Workers run as nobody when the test runs as root: they need the temp directories.
    fs.chmodSync(dir, 0o777);
    // The test's stdout is a socket nginx cannot open as /dev/stdout: the access log goes to a file.
    conf = renderWriteGatewayConf({
      upstream,
      port,
      healthPort,
      runtimeDir: dir,
      accessLog: path.join(dir, "access.log"),
    });
    const file = path.join(dir, "nginx.conf");
    fs.writeFileSync(file, conf);
    const checked = spawnSync(nginx.path as string, ["-t", "-p", dir, "-e", "stderr", "-c", file], {
      encoding: "utf8",
    });
    assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}${String(checked.error ?? "")}`);
    proc = spawn(nginx.path as string, ["-p", dir, "-e", "stderr", "-g", "daemon off;", "-c", file], {
      stdio: "ignore",
    });
    await waitForPort(port);
    await waitForPort(healthPort);
  });

  after(async () => {
    if (proc?.pid) proc.kill("SIGTERM");
    // nginx keeps idle upstream connections open (keepalive): close them, or close() waits forever.
    stub.closeAllConnections();
    await new Promise<void>((resolve) => stub.close(() => resolve()));
  });

  it("POST /api/v1/write reaches Prometheus's write endpoint with the body and without the client's credential", async () => {
    seen.length = 0;
    const body = path.join(dir, "body.bin");
    fs.writeFileSync(body, Buffer.alloc(4096, 1));
    const status = await probe("POST", "/api/v1/write", [
      "-H",
      "Content-Type: application/x-protobuf",
      "-H",
      "Authorization: Bearer site-token",
      "--data-binary",
      `@${body}`,
    ]);
    assert.equal(status, 204);
    assert.deepEqual(seen, [{ method: "POST", url: "/api/v1/write", authorization: undefined, bytes: 4096 }]);
  });

  it("spellings that normalise to the write path reach exactly /api/v1/write upstream", async () => {
    for (const spelling of ["//api/v1/write", "/api/v1/./write", "/api/v1/%77rite", "/api/v2/../v1/write"]) {
      seen.length = 0;
      assert.equal(await probe("POST", spelling, ["--data-binary", "x"]), 204, spelling);
      assert.deepEqual(
        seen.map((s) => s.url),
        ["/api/v1/write"],
        spelling,
      );
    }
  });

  it("any other method on the write path is refused (403) before Prometheus", async () => {
    seen.length = 0;
    for (const method of ["GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const status = await probe(method, "/api/v1/write", method === "HEAD" ? ["-I"] : []);
      assert.equal(status, 403, method);
    }
    assert.deepEqual(seen, []);
  });

  it("queries, admin, lifecycle, federation, OTLP and path tricks get 404 and never reach Prometheus", async () => {
    seen.length = 0;
    const refused = [
      "/api/v1/query?query=up",
      "/api/v1/query_range",
      "/api/v1/series",
      "/api/v1/labels",
      "/api/v1/status/config",
      "/api/v1/admin/tsdb/delete_series?match[]=up",
      "/api/v1/admin/tsdb/clean_tombstones",
      "/api/v1/admin/tsdb/snapshot",
      "/-/quit",
      "/-/reload",
      "/federate",
      "/api/v1/otlp/v1/metrics",
      "/api/v1/write/",
      "/api/v1/writes",
      "/API/V1/WRITE",
      "/api/v1/write/../query",
      "/api/v1/write%2F..%2Fadmin%2Ftsdb%2Fsnapshot",
      "/api/v1/write%00",
      "/healthz",
      "/",
    ];
    for (const urlPath of refused) {
      const status = await probe("POST", urlPath, ["--data-binary", "x"]);
      assert.ok(status === 404 || status === 400, `${urlPath}: ${status}`);
    }
    assert.deepEqual(seen, [], "nothing but the write path reaches Prometheus");
    assert.deepEqual([...WRITE_PATHS], ["/api/v1/write"]);
  });

  it("oversized bodies are refused (413); the health port answers only /healthz", async () => {
    seen.length = 0;
    const big = path.join(dir, "big.bin");
    fs.writeFileSync(big, Buffer.alloc(17 * 1024 * 1024, 1));
    assert.equal(await probe("POST", "/api/v1/write", ["--data-binary", `@${big}`]), 413);
    assert.deepEqual(seen, []);
    const health = (p: string) =>
      spawnSync(
        curl.path as string,
        ["-s", "-o", "/dev/null", "-w", "%{http_code}", `http://127.0.0.1:${healthPort}${p}`],
        { encoding: "utf8" },
      ).stdout;
    assert.equal(health("/healthz"), "200");
    assert.equal(health("/api/v1/write"), "404");
  });

  it("the gateway's image is pinned by digest and the config runs without root-owned paths", async () => {
    assert.match(WRITE_GATEWAY_IMAGE, /^nginx:[\w.-]+@sha256:[a-f0-9]{64}$/);
    assert.match(renderWriteGatewayConf({ upstream: "p:9090" }), /^pid \/tmp\/nginx\.pid;$/m);
    assert.doesNotMatch(conf, /^\s*user\s/m, "no user directive: the pod runs as 101 already");
  });
});
