import assert from "node:assert/strict";
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  LOG_PUSH_PATHS,
  renderWriteGatewayConf,
  sitePort,
  sitePorts,
  siteTenant,
  WRITE_GATEWAY_IMAGE,
  WRITE_PATHS,
} from "../components/monitoring/write-gateway";
import { requireTool } from "./helpers/tools";
import { curlEach } from "./helpers/curl";

/**
 * The edge write gateway through real nginx on loopback, in front of a stub Prometheus (a node
 * HTTP server recording what reaches it), probed with real curl: a site's credential can POST
 * samples to /api/v1/write and nothing else reaches Prometheus (queries, admin and lifecycle
 * endpoints, other methods, path tricks); on a site's own port it can POST logs to Loki's push
 * API, always as that site's tenant, and nothing else reaches Loki.
 */
const nginx = requireTool("nginx");
const curl = requireTool("curl");
const execFileAsync = promisify(execFile);

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  bytes: number;
  /** X-Scope-OrgID as it reached the upstream (Loki's tenant); only recorded when present. */
  tenant?: string;
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
  /** Each site's log port (free ports here; sitePort(site) in the cluster). */
  const logPorts = new Map<string, number>();
  let dir = "";
  let conf = "";

  /**
   * `curl` as a Pi's agent would call the gateway (through the API server's proxy); returns the
   * status. Asynchronous: the stub upstream answers from this process's event loop.
   */
  async function probe(method: string, urlPath: string, extra: string[] = [], to = port): Promise<number> {
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
      `http://127.0.0.1:${to}${urlPath}`,
    ];
    const { stdout } = await execFileAsync(curl.path as string, args, { encoding: "utf8" });
    return Number(stdout);
  }

  /** As `probe`, for many requests through one curl process (test/helpers/curl.ts): each one's status, in order. */
  async function probeEach(
    requests: { method: string; urlPath: string; extra?: string[]; to?: number }[],
  ): Promise<number[]> {
    const answers = await curlEach(
      curl.path as string,
      requests.map(({ method, urlPath, extra = [], to = port }) => [
        "--path-as-is",
        "-X",
        method,
        ...extra,
        `http://127.0.0.1:${to}${urlPath}`,
      ]),
    );
    return answers.map((a) => a.status);
  }

  before(async () => {
    stub = http.createServer((req, res) => {
      let bytes = 0;
      req.on("data", (chunk: Buffer) => (bytes += chunk.length));
      req.on("end", () => {
        const tenant = req.headers["x-scope-orgid"];
        seen.push({
          method: req.method ?? "",
          url: req.url ?? "",
          authorization: req.headers.authorization,
          bytes,
          ...(tenant === undefined ? {} : { tenant: String(tenant) }),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => stub.listen(0, "127.0.0.1", resolve));
    const upstream = `127.0.0.1:${(stub.address() as net.AddressInfo).port}`;
    [port, healthPort] = [await freePort(), await freePort()];
    for (const site of ["lab", "shop"]) logPorts.set(site, await freePort());
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
      // The same stub stands in for Loki: it records the path and the tenant header.
      logs: { upstream, sites: [...logPorts.keys()], ports: logPorts },
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
    for (const p of logPorts.values()) await waitForPort(p);
  });

  after(async () => {
    if (proc?.pid) proc.kill("SIGTERM");
    // nginx keeps idle upstream connections open (keepalive): close them, or close() waits forever.
    stub.closeAllConnections();
    await new Promise<void>((resolve) => stub.close(() => resolve()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
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
    const methods = ["GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"];
    const statuses = await probeEach(
      methods.map((method) => ({ method, urlPath: "/api/v1/write", extra: method === "HEAD" ? ["-I"] : [] })),
    );
    methods.forEach((method, i) => assert.equal(statuses[i], 403, method));
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
    const statuses = await probeEach(
      refused.map((urlPath) => ({ method: "POST", urlPath, extra: ["--data-binary", "x"] })),
    );
    refused.forEach((urlPath, i) => {
      const status = statuses[i];
      assert.ok(status === 404 || status === 400, `${urlPath}: ${status}`);
    });
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
  const LOG_PATH = "/loki/api/v1/push";
  const labPort = () => logPorts.get("lab") as number;

  it("POST /loki/api/v1/push on a site's port reaches Loki's push API as that site's tenant, without the credential", async () => {
    for (const [site, to] of logPorts) {
      seen.length = 0;
      const body = path.join(dir, "push.bin");
      fs.writeFileSync(body, Buffer.alloc(2048, 2));
      const status = await probe(
        "POST",
        LOG_PATH,
        [
          "-H",
          "Content-Type: application/x-protobuf",
          "-H",
          "Authorization: Bearer site-token",
          "--data-binary",
          `@${body}`,
        ],
        to,
      );
      assert.equal(status, 204, site);
      assert.deepEqual(seen, [
        { method: "POST", url: LOG_PATH, authorization: undefined, bytes: 2048, tenant: siteTenant(site) },
      ]);
    }
    assert.deepEqual([...LOG_PUSH_PATHS], [LOG_PATH]);
  });

  it("a site cannot choose its tenant: any X-Scope-OrgID it sends is replaced by its own", async () => {
    const forged = [
      ["-H", "X-Scope-OrgID: edge-shop"],
      ["-H", "X-Scope-OrgID: edge-shop|cluster"],
      ["-H", "x-scope-orgid: cluster"],
      ["-H", "X-Scope-OrgID: edge-shop", "-H", "X-Scope-OrgID: cluster"],
      ["-H", "X-Scope-OrgID;"],
    ];
    for (const headers of forged) {
      seen.length = 0;
      assert.equal(
        await probe("POST", LOG_PATH, [...headers, "--data-binary", "x"], labPort()),
        204,
        headers.join(" "),
      );
      assert.deepEqual(
        seen.map((s) => s.tenant),
        ["edge-lab"],
        headers.join(" "),
      );
    }
  });

  it("spellings that normalise to the push path reach exactly /loki/api/v1/push, still as the site", async () => {
    for (const spelling of [
      "//loki/api/v1/push",
      "/loki/api/v1/./push",
      "/loki/api/v1/%70ush",
      "/loki/api/v2/../v1/push",
    ]) {
      seen.length = 0;
      assert.equal(await probe("POST", spelling, ["--data-binary", "x"], labPort()), 204, spelling);
      assert.deepEqual(
        seen.map((s) => [s.url, s.tenant]),
        [[LOG_PATH, "edge-lab"]],
        spelling,
      );
    }
  });

  it("any other method on the push path is refused (403) before Loki", async () => {
    seen.length = 0;
    const methods = ["GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"];
    const statuses = await probeEach(
      methods.map((method) => ({ method, urlPath: LOG_PATH, extra: method === "HEAD" ? ["-I"] : [], to: labPort() })),
    );
    methods.forEach((method, i) => assert.equal(statuses[i], 403, method));
    assert.deepEqual(seen, []);
  });

  it("queries, labels, tail, deletes, admin, other paths, case and encoding tricks on a site's port never reach Loki", async () => {
    seen.length = 0;
    const refused = [
      "/loki/api/v1/query?query=%7Bsite%3D%22shop%22%7D",
      "/loki/api/v1/query_range",
      "/loki/api/v1/labels",
      "/loki/api/v1/label/site/values",
      "/loki/api/v1/series",
      "/loki/api/v1/tail",
      "/loki/api/v1/index/stats",
      "/loki/api/v1/delete?query=%7B%7D&start=0",
      "/loki/api/v1/format_query",
      "/loki/api/v1/patterns",
      "/loki/api/v1/detected_labels",
      "/api/prom/push",
      "/api/prom/query",
      "/otlp/v1/logs",
      "/compactor/ring",
      "/flush",
      "/ingester/shutdown",
      "/ingester/prepare_shutdown",
      "/config",
      "/metrics",
      "/ready",
      "/services",
      "/api/v1/write",
      "/loki/api/v1/push/",
      "/loki/api/v1/pushx",
      "/LOKI/API/V1/PUSH",
      "/Loki/api/v1/push",
      "/loki/api/v1/push/../query",
      "/loki/api/v1/push%2F..%2Fquery",
      "/loki/api/v1/push%00",
      "/",
    ];
    const statuses = await probeEach(
      refused.map((urlPath) => ({ method: "POST", urlPath, extra: ["--data-binary", "x"], to: labPort() })),
    );
    refused.forEach((urlPath, i) => {
      const status = statuses[i];
      assert.ok(status === 404 || status === 400, `${urlPath}: ${status}`);
    });
    assert.deepEqual(seen, [], "nothing but the push path reaches Loki");
  });

  it("logs are refused on the shared metrics port (it cannot tell which site is calling)", async () => {
    seen.length = 0;
    assert.equal(await probe("POST", LOG_PATH, ["--data-binary", "x"]), 404);
    assert.deepEqual(seen, []);
  });

  it("site ports depend on the site's name alone, inside the documented range, and collisions are refused", () => {
    assert.equal(sitePort("lab"), sitePort("lab"));
    assert.notEqual(sitePort("lab"), sitePort("shop"));
    for (const site of ["lab", "shop", "a", "x".repeat(63)]) {
      assert.ok(sitePort(site) >= 20000 && sitePort(site) < 30000, site);
    }
    // Adding a site does not move the others.
    assert.equal(sitePorts(["lab", "shop", "depot"]).get("lab"), sitePorts(["lab"]).get("lab"));
    const names = Array.from({ length: 400 }, (_, i) => `site-${i}`);
    assert.throws(
      () => sitePorts(names),
      /platform:edgeSites: sites site-\d+ and site-\d+ map to the same write-gateway port \d+; rename one of them/,
    );
  });
});
