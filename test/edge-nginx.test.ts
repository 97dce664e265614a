import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { emitEdge } from "../tools/plan/emit-edge";
import { DEFAULT_CONTENT_SECURITY_POLICY, renderNginxConf, type NginxConfArgs } from "../components/edge/nginx";
import { EDGE_SCRIPTS, EDGE_UNITS } from "../components/edge/scripts";
import { item } from "./helpers/assert";
import { loadEdge } from "./helpers/config";
import { requireTool } from "./helpers/tools";
import { curlEach } from "./helpers/curl";
import { selfSignedCert } from "./helpers/certs";
import { tempDir } from "./helpers/temp-dir";

/**
 * The edge's nginx.conf, run through real nginx: `nginx -t` on what renderNginxConf and the
 * emitted edge/nginx.conf produce, then real nginx on loopback ports in front of a stub app
 * (a node HTTP server recording the request line and headers it gets), probed with real curl:
 * redirects, the deploy gate's request, /metrics in every spelling, forwarding headers, rate
 * limits, security headers on answers and errors, other names and old TLS refused.
 */
const nginx = requireTool("nginx");
const curl = requireTool("curl");
const openssl = requireTool("openssl");
const NAME = "edge.test";

function run(command: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: "utf8" });
}

function selfSignedCertFor(dir: string, name = NAME): { cert: string; key: string } {
  return selfSignedCert(dir, { commonName: name, days: 1, subjectAltName: true });
}

function nginxTest(conf: string): SpawnSyncReturns<string> {
  const dir = tempDir("edge-nginx-");
  fs.mkdirSync(path.join(dir, "logs"));
  fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
  return run("nginx", ["-t", "-p", dir, "-e", path.join(dir, "error.log"), "-c", path.join(dir, "nginx.conf")]);
}

describe("edge nginx.conf (nginx -t)", () => {
  it(
    "the rendered nginx.conf passes nginx -t (throwaway certificate; names resolve at request time)",
    { skip: nginx.skip ?? openssl.skip },
    () => {
      const dir = tempDir("edge-tls-");
      const { cert, key } = selfSignedCertFor(dir);
      // The upstream name does not resolve here: nginx starts anyway because proxy_pass uses a variable.
      const render = (more: Partial<NginxConfArgs>) =>
        renderNginxConf({
          serverName: NAME,
          certificatePath: cert,
          keyPath: key,
          user: "",
          pidPath: path.join(dir, "nginx.pid"),
          tempDir: dir,
          logDir: dir,
          ...more,
        });
      const conf = render({ hsts: false });
      const result = nginxTest(conf);
      assert.equal(result.status, 0, result.stderr);
      assert.doesNotMatch(conf, /Strict-Transport-Security/, "no HSTS with a self-signed certificate");
      const withHsts = render({ hsts: true });
      const hstsResult = nginxTest(withHsts);
      assert.equal(hstsResult.status, 0, hstsResult.stderr);
      assert.match(withHsts, /^ {4}add_header Strict-Transport-Security "max-age=31536000" always;$/m);
      assert.match(conf, /ssl_protocols TLSv1\.2 TLSv1\.3;/);
      // Every public location but the 404 is rate limited, /health included.
      const main = conf.slice(conf.indexOf(`listen 443 ssl;`));
      const location = (name: string) =>
        item(main.slice(main.indexOf(`location ${name} {`)).split("}"), 0, `location ${name}`);
      for (const name of ["= /health", "/"])
        assert.match(location(name), /limit_req zone=per_client burst=20 nodelay;/, name);
      assert.match(conf, /resolver 127\.0\.0\.11 valid=10s/);
      assert.match(
        conf,
        /return 301 https:\/\/edge\.test\$request_uri;/,
        "redirects to the configured name, not $host",
      );
      assert.doesNotMatch(conf, /\$http_host|https:\/\/\$host/);
      assert.doesNotMatch(conf, /upstream\s+\w+\s*{/, "no upstream block: it would resolve names at start");
      assert.doesNotMatch(conf, /\$proxy_add_x_forwarded_for/, "the client's X-Forwarded-For is never appended to");
      assert.doesNotMatch(conf, /set_real_ip_from/, "no proxy trusted by default");

      // Trusted proxies and an address as the name (no SNI: the default server presents the certificate).
      for (const more of [
        { trustedProxies: ["10.0.0.1", "192.168.0.0/16", "2001:db8::/32"] },
        { serverName: "192.0.2.10" },
        { contentSecurityPolicy: "" },
      ]) {
        const other = render(more);
        const otherResult = nginxTest(other);
        assert.equal(otherResult.status, 0, `${JSON.stringify(more)}: ${otherResult.stderr}`);
      }
      assert.match(
        render({ trustedProxies: ["10.0.0.1"] }),
        /set_real_ip_from 10\.0\.0\.1;\n {2}real_ip_header X-Forwarded-For;\n {2}real_ip_recursive on;/,
      );
      assert.doesNotMatch(render({ contentSecurityPolicy: "" }), /Content-Security-Policy/);
    },
  );

  it(
    "the emitted edge/nginx.conf (what the component passes) passes nginx -t once its container paths point at a throwaway certificate",
    { skip: nginx.skip ?? openssl.skip },
    () => {
      const out = tempDir("edge-emit-");
      const config = loadEdge({
        values: {
          "platform:kind": "edge",
          "platform:environment": "prod",
          "platform:edge": JSON.stringify({
            site: "shop",
            host: NAME,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM251zLcH9UeGDYfDXNfkP+vbG5KPanbtNLH2YztNigV",
            appImage: `edge-app@sha256:${"a".repeat(64)}`,
          }),
        },
        project: "platform",
        stack: "edge-prod",
      });
      const written = emitEdge(out, config);
      for (const file of [
        "edge/nginx.conf",
        "edge/prometheus-agent.yml",
        "edge/backup.env",
        ...Object.keys(EDGE_SCRIPTS).map((s) => `edge/scripts/${s}`),
        ...Object.keys(EDGE_UNITS).map((u) => `edge/systemd/${u}`),
      ])
        assert.ok(written.includes(file) && fs.existsSync(path.join(out, file)), `${file} emitted`);
      assert.equal(fs.statSync(path.join(out, "edge/scripts/edge-backup.sh")).mode & 0o777, 0o755);
      const { cert, key } = selfSignedCertFor(out);
      const emitted = fs.readFileSync(path.join(out, "edge/nginx.conf"), "utf8");
      const conf = emitted
        .replaceAll("/etc/nginx/tls/cert.pem", cert)
        .replaceAll("/etc/nginx/tls/key.pem", key)
        .replace(/^user nginx;$/m, "")
        .replace("/var/run/nginx.pid", path.join(out, "nginx.pid"))
        .replaceAll("/var/log/nginx", out);
      const result = nginxTest(conf);
      assert.equal(result.status, 0, result.stderr);
      // The component passes only the name and HSTS: the new arguments' defaults are the safe ones.
      assert.match(emitted, /^ {4}listen 80 default_server;$/m);
      assert.match(emitted, /^ {4}listen 443 ssl;$/m);
      assert.match(emitted, /return 301 https:\/\/edge\.test\$request_uri;/);
      assert.match(emitted, /ssl_reject_handshake on;/);
      assert.doesNotMatch(emitted, /set_real_ip_from/);
      assert.match(emitted, /proxy_set_header X-Forwarded-For \$remote_addr;/);
      assert.match(emitted, /map \$uri \$edge_internal_path/);
      assert.ok(emitted.includes(`add_header Content-Security-Policy "${DEFAULT_CONTENT_SECURITY_POLICY}" always;`));
      assert.doesNotMatch(emitted, /Strict-Transport-Security/, "no HSTS with the self-signed certificate");
    },
  );

  it("refuses arguments that would write other directives into nginx.conf", () => {
    const base = { serverName: NAME };
    for (const bad of [
      { serverName: "edge.test; include /etc/passwd" },
      { ...base, trustedProxies: ["0.0.0.0/0; allow all"] },
      { ...base, internalPaths: ['/x" 0; "~ 1'] },
      { ...base, contentSecurityPolicy: 'default-src "self"' },
      { ...base, contentSecurityPolicy: "default-src $host" },
      { ...base, appUpstream: "edge-app:5000; return 200" },
      { ...base, listenAddress: "0.0.0.0:80 default_server; listen 1" },
    ])
      assert.throws(() => renderNginxConf(bad), /is not allowed in nginx.conf/, JSON.stringify(bad));
  });
});

const handedOut = new Set<number>();

/** A free loopback TCP port (free when asked; nginx binds it right after), never the same twice. */
async function freePort(): Promise<number> {
  for (;;) {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

interface SeenRequest {
  method: string;
  url: string;
  rawHeaders: string[];
}

/** The app stand-in: answers 200 with headers nginx must replace, and records what it gets. */
async function startStub(): Promise<{ port: number; seen: SeenRequest[]; close: () => Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", rawHeaders: req.rawHeaders });
    res.setHeader("X-Frame-Options", "SAMEORIGIN");
    res.setHeader("Content-Security-Policy", "default-src *");
    res.setHeader("X-Powered-By", "stub");
    res.end("stub\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The headers a request reached the stub with, by lowercase name (every value). */
function headersOf(request: SeenRequest): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2)
    (headers[item(request.rawHeaders, i, "raw headers").toLowerCase()] ??= []).push(
      item(request.rawHeaders, i + 1, "raw headers"),
    );
  return headers;
}

interface Nginx {
  httpPort: number;
  httpsPort: number;
  cert: string;
  stop: () => Promise<void>;
}

/** Every nginx started, stopped in `after` even when another failed to start. */
const started: Nginx[] = [];
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Real nginx on loopback high ports with the rendered config, in the foreground (its own child). */
async function startNginx(args: Partial<NginxConfArgs> & { appUpstream: string }): Promise<Nginx> {
  const dir = tempDir("edge-nginx-run-");
  // As root nginx's workers run as nobody: they must be able to reach the temporary directories.
  fs.chmodSync(dir, 0o755);
  const serverName = args.serverName ?? NAME;
  const { cert, key } = selfSignedCertFor(dir, serverName);
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const conf = renderNginxConf({
    serverName,
    certificatePath: cert,
    keyPath: key,
    user: "",
    pidPath: path.join(dir, "nginx.pid"),
    tempDir: dir,
    logDir: dir,
    resolver: "127.0.0.1",
    listenAddress: "127.0.0.1",
    httpPort,
    httpsPort,
    ...args,
  });
  const file = path.join(dir, "nginx.conf");
  fs.writeFileSync(file, conf);
  const child = spawn("nginx", ["-p", dir, "-e", path.join(dir, "error.log"), "-c", file, "-g", "daemon off;"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.add(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    children.delete(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  started.push({ httpPort, httpsPort, cert, stop });
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) {
      const log = fs.readFileSync(path.join(dir, "error.log"), "utf8");
      await stop();
      throw new Error(`nginx exited ${child.exitCode}: ${stderr}${log}`);
    }
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(httpsPort, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not listen on ${httpsPort}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { httpPort, httpsPort, cert, stop };
}

interface Response {
  exit: number;
  stderr: string;
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

/** Real curl, asynchronously (the stub answers from this process). Status 0 when no HTTP answer. */
function curlRaw(args: string[]): Promise<Response> {
  return new Promise((resolve, reject) => {
    const child = spawn("curl", ["-sS", "-i", "--max-time", "5", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("latin1")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (exit) => {
      const split = stdout.indexOf("\r\n\r\n");
      const head = split < 0 ? stdout : stdout.slice(0, split);
      const [statusLine, ...lines] = head.split("\r\n");
      const headers: Record<string, string[]> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon > 0) (headers[line.slice(0, colon).toLowerCase()] ??= []).push(line.slice(colon + 1).trim());
      }
      const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(statusLine ?? "")?.[1] ?? 0);
      resolve({ exit: exit ?? -1, stderr, status, headers, body: split < 0 ? "" : stdout.slice(split + 4) });
    });
  });
}

/** curl's arguments for an HTTPS request to the configured name, resolved to loopback like the deploy gate does. */
function httpsArgs(server: Nginx, target: string, extra: string[] = [], name = NAME): string[] {
  return [
    "--path-as-is",
    "--cacert",
    server.cert,
    "--resolve",
    `${name}:${server.httpsPort}:127.0.0.1`,
    ...extra,
    `https://${name}:${server.httpsPort}${target}`,
  ];
}

/** An HTTPS request to the configured name, resolved to loopback like the deploy gate does. */
function https(server: Nginx, target: string, extra: string[] = [], name = NAME): Promise<Response> {
  return curlRaw(httpsArgs(server, target, extra, name));
}

function assertSecurityHeaders(response: Pick<Response, "headers">, what: string, hsts = false): void {
  const one = (name: string) => {
    const values = response.headers[name.toLowerCase()] ?? [];
    assert.equal(values.length, 1, `${what}: one ${name}, got ${JSON.stringify(values)}`);
    return values[0];
  };
  assert.equal(one("Content-Security-Policy"), DEFAULT_CONTENT_SECURITY_POLICY, what);
  assert.equal(one("Referrer-Policy"), "strict-origin-when-cross-origin", what);
  assert.equal(one("X-Content-Type-Options"), "nosniff", what);
  assert.equal(one("X-Frame-Options"), "DENY", what);
  assert.equal(one("Server"), "nginx", `${what}: no version`);
  if (hsts) assert.equal(one("Strict-Transport-Security"), "max-age=31536000", what);
  else assert.equal(response.headers["strict-transport-security"], undefined, what);
}

describe("edge nginx on loopback, probed with curl", { skip: nginx.skip ?? curl.skip ?? openssl.skip }, () => {
  let stub: Awaited<ReturnType<typeof startStub>>;
  // Plain (no trusted proxy); behind trusted proxies (127.0.0.1, 10/8); in front of a stopped app
  // (HSTS on); with an address as its name. The second and third allow 1 r/s with a burst of 2.
  let direct: Nginx;
  let proxied: Nginx;
  let appDown: Nginx;
  let byAddress: Nginx;
  let probes = 0;

  /** The stub's requests made during `probe`. */
  async function reaching<T>(probe: () => Promise<T>): Promise<[T, SeenRequest[]]> {
    const before = stub.seen.length;
    const result = await probe();
    probes += 1;
    return [result, stub.seen.slice(before)];
  }

  before(async () => {
    stub = await startStub();
    const app = `127.0.0.1:${stub.port}`;
    const closed = `127.0.0.1:${await freePort()}`;
    [direct, proxied, appDown, byAddress] = await Promise.all([
      startNginx({ appUpstream: app, ratePerSecond: 100, burst: 100 }),
      startNginx({ appUpstream: app, ratePerSecond: 1, burst: 2, trustedProxies: ["127.0.0.1", "10.0.0.0/8"] }),
      startNginx({ appUpstream: closed, ratePerSecond: 1, burst: 2, hsts: true }),
      startNginx({ appUpstream: app, serverName: "127.0.0.1" }),
    ]);
  });

  after(async () => {
    await Promise.all(started.map((n) => n.stop()));
    await stub?.close();
    console.log(`${probes} curl probes`);
  });

  it("HTTP redirects to the configured name whatever Host the client sends; /nginx-health answers locally", async () => {
    const base = `https://${NAME}:${direct.httpsPort}`;
    for (const [what, extra, target, location] of [
      ["hostile Host", ["-H", "Host: evil.example"], "/some/path?x=1", "/some/path?x=1"],
      ["the configured Host", ["-H", `Host: ${NAME}`], "/", "/"],
      ["absolute-form request target", ["--request-target", "http://evil.example/abs?y=2"], "/", "/abs?y=2"],
      ["Host with a port", ["-H", "Host: evil.example:8443"], "//evil.example/x", "//evil.example/x"],
    ] as const) {
      const [response, seen] = await reaching(() =>
        curlRaw(["--path-as-is", ...extra, `http://127.0.0.1:${direct.httpPort}${target}`]),
      );
      assert.equal(response.status, 301, what);
      assert.deepEqual(response.headers.location, [`${base}${location}`], what);
      assert.deepEqual(seen, [], what);
    }
    // The container health check: wget http://127.0.0.1/nginx-health inside the container.
    const [health] = await reaching(() => curlRaw([`http://127.0.0.1:${direct.httpPort}/nginx-health`]));
    assert.equal(health.status, 200);
    assert.equal(health.body, "ok\n");
  });

  it("the deploy gate's request passes (curl -fsS -k --resolve <host>:443:127.0.0.1 https://<host>/health), for a name and for an address", async () => {
    for (const [server, name] of [
      [direct, NAME],
      [byAddress, "127.0.0.1"],
    ] as const) {
      const [response, seen] = await reaching(() =>
        curlRaw([
          "-f",
          "-k",
          "--resolve",
          `${name}:${server.httpsPort}:127.0.0.1`,
          `https://${name}:${server.httpsPort}/health`,
        ]),
      );
      assert.equal(response.exit, 0, `${name}: ${response.stderr}`);
      assert.equal(response.body, "stub\n", name);
      assert.deepEqual(
        seen.map((r) => [r.method, r.url, headersOf(r).host]),
        [["GET", "/health", [name]]],
      );
      assertSecurityHeaders(response, `${name} /health`);
    }
  });

  it("/metrics is refused (404, security headers) whatever its case, encoding, slashes, dot segments or parameters, and the app never sees it", async () => {
    const variants = [
      "/metrics",
      "/Metrics",
      "/METRICS",
      "/metrics/",
      "/metrics/x",
      "/metrics?format=prometheus",
      "/metrics%2F",
      "/metrics%2f",
      "/%6Detrics",
      "/%6detrics",
      "/%4D%45TRICS",
      "/%256Detrics",
      "//metrics",
      "///Metrics/",
      "/%2Fmetrics",
      "/./metrics",
      "/%2e/metrics",
      "/.%2fmetrics",
      "/foo/../metrics",
      "/foo/%2e%2e/metrics",
      "/foo/..%2Fmetrics",
      "/metrics;x",
      "/metrics;jsessionid=1",
      "/metrics.json",
      "/metrics%20",
      "/metrics%09",
    ];
    const before = stub.seen.length;
    const methods = [
      ["HEAD", ["-I"]],
      ["POST", ["-X", "POST", "--data", "x=1"]],
    ] as const;
    // Every spelling a request of its own, all through one curl process (test/helpers/curl.ts).
    const [answers] = await reaching(() =>
      curlEach(curl.path as string, [
        ...variants.map((target) => httpsArgs(direct, target)),
        ...methods.map(([, extra]) => httpsArgs(direct, "/METRICS", [...extra])),
      ]),
    );
    variants.forEach((target, i) => {
      const response = item(answers, i, "curl answers");
      assert.equal(response.status, 404, target);
      assertSecurityHeaders(response, target);
    });
    methods.forEach(([method], i) =>
      assert.equal(item(answers, variants.length + i, "curl answers").status, 404, method),
    );
    assert.deepEqual(stub.seen.slice(before), [], "the app saw none of them");
    // A path that only starts with the same letters is the app's.
    const [response, seen] = await reaching(() => https(direct, "/metricsboard"));
    assert.equal(response.status, 200);
    assert.deepEqual(
      seen.map((r) => r.url),
      ["/metricsboard"],
    );
  });

  it("the app gets the normalised URI nginx checked, re-escaped (no raw double slashes, dot segments or injected lines)", async () => {
    for (const [target, expected] of [
      ["/a//b/./c/../d", "/a/b/d"],
      ["//health", "/health"],
      ["/a%2Fb", "/a/b"],
      ["/x%3Fy?z=1&w=%2F", "/x%3Fy?z=1&w=%2F"],
      ["/caf%C3%A9%20x", "/caf%C3%A9%20x"],
      ["/x%0D%0AX-Injected:%201", "/x%0D%0AX-Injected:%201"],
    ] as const) {
      const [response, seen] = await reaching(() => https(direct, target));
      assert.equal(response.status, 200, target);
      assert.deepEqual(
        seen.map((r) => r.url),
        [expected],
        target,
      );
      assert.equal(headersOf(item(seen, 0, "requests seen"))["x-injected"], undefined, target);
      assertSecurityHeaders(response, target);
    }
  });

  it("without trusted proxies the app gets the socket's address, whatever forwarding headers the client forges", async () => {
    const forged = [
      "X-Forwarded-For: 203.0.113.9",
      "X-Real-IP: 203.0.113.9",
      "Forwarded: for=203.0.113.9",
      "X-Forwarded-Host: evil.example",
      "X-Forwarded-Port: 1",
      "X_Forwarded_For: 203.0.113.9",
    ];
    const [response, seen] = await reaching(() =>
      https(
        direct,
        "/forged",
        forged.flatMap((h) => ["-H", h]),
      ),
    );
    assert.equal(response.status, 200);
    assert.equal(response.body, "stub\n");
    assert.equal(seen.length, 1);
    const headers = headersOf(item(seen, 0, "requests seen"));
    assert.deepEqual(headers["x-forwarded-for"], ["127.0.0.1"]);
    assert.deepEqual(headers["x-real-ip"], ["127.0.0.1"]);
    assert.deepEqual(headers["x-forwarded-proto"], ["https"]);
    assert.deepEqual(headers.host, [NAME]);
    for (const dropped of ["forwarded", "x-forwarded-host", "x-forwarded-port", "x_forwarded_for"])
      assert.equal(headers[dropped], undefined, dropped);
    // The app's own X-Frame-Options, CSP and X-Powered-By do not reach the client.
    assertSecurityHeaders(response, "proxied 200");
    assert.equal(response.headers["x-powered-by"], undefined);
  });

  it("behind a trusted proxy the client is the rightmost X-Forwarded-For address not trusted, and rate limits count per client", async () => {
    for (const [xff, client] of [
      ["198.51.100.7", "198.51.100.7"],
      // The leftmost address is whatever the client claimed; trusted hops on the right are skipped.
      ["192.0.2.1, 198.51.100.8", "198.51.100.8"],
      ["192.0.2.1, 198.51.100.9, 10.1.2.3", "198.51.100.9"],
    ] as const) {
      const [response, seen] = await reaching(() => https(proxied, "/trusted", ["-H", `X-Forwarded-For: ${xff}`]));
      assert.equal(response.status, 200, xff);
      const headers = headersOf(item(seen, 0, "requests seen"));
      assert.deepEqual(headers["x-forwarded-for"], [client], xff);
      assert.deepEqual(headers["x-real-ip"], [client], xff);
    }
    // Eight at once from one client: 1 + burst 2 pass, the rest (but what 1 r/s refills) get 429.
    const burst = await Promise.all(
      Array.from({ length: 8 }, () =>
        reaching(() => https(proxied, "/busy", ["-H", "X-Forwarded-For: 198.51.100.20"])),
      ),
    );
    const codes = burst.map(([response]) => response.status).sort();
    assert.ok(
      codes.filter((c) => c === 200).length >= 3 && codes.every((c) => c === 200 || c === 429),
      `1 + burst 2 pass: ${codes}`,
    );
    assert.ok(codes.includes(429), `then 429: ${codes}`);
    for (const [response] of burst) if (response.status === 429) assertSecurityHeaders(response, "429");
    const [other] = await reaching(() => https(proxied, "/busy", ["-H", "X-Forwarded-For: 198.51.100.21"]));
    assert.equal(other.status, 200, "another client has its own allowance");
  });

  it("without trusted proxies a new forged X-Forwarded-For each time does not escape the rate limit; 502 and 429 carry the security headers and HSTS", async () => {
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        reaching(() => https(appDown, "/", ["-H", `X-Forwarded-For: 203.0.113.${i + 1}`])),
      ),
    );
    const codes = responses.map(([response]) => response.status).sort();
    assert.ok(
      codes.filter((c) => c === 502).length >= 3 && codes.every((c) => c === 502 || c === 429),
      `the app is down: ${codes}`,
    );
    assert.ok(codes.includes(429), `one client whatever it claims: ${codes}`);
    for (const [response] of responses) assertSecurityHeaders(response, String(response.status), true);
  });

  it("another name is refused: no TLS handshake for another SNI or none, 421 for another Host", async () => {
    const before = stub.seen.length;
    const [otherSni] = await reaching(() =>
      curlRaw([
        "-k",
        "--resolve",
        `evil.example:${direct.httpsPort}:127.0.0.1`,
        `https://evil.example:${direct.httpsPort}/`,
      ]),
    );
    assert.equal(otherSni.exit, 35, otherSni.stderr);
    const [noSni] = await reaching(() => curlRaw(["-k", `https://127.0.0.1:${direct.httpsPort}/`]));
    assert.equal(noSni.exit, 35, noSni.stderr);
    for (const server of [direct, byAddress]) {
      const name = server === direct ? NAME : "127.0.0.1";
      const [otherHost] = await reaching(() => https(server, "/health", ["-H", "Host: evil.example"], name));
      assert.equal(otherHost.status, 421, name);
      assertSecurityHeaders(otherHost, `${name} 421`);
    }
    assert.deepEqual(stub.seen.slice(before), []);
  });

  it("TLS 1.2 and 1.3 are accepted, TLS 1.1 is refused by the server", async () => {
    for (const version of ["1.2", "1.3"]) {
      const [response] = await reaching(() => https(direct, "/tls", [`--tlsv${version}`, "--tls-max", version]));
      assert.equal(response.status, 200, `TLS ${version}: ${response.stderr}`);
    }
    // SECLEVEL=0 lets this OpenSSL offer TLS 1.1 at all: the refusal is the server's alert.
    const [old] = await reaching(() =>
      https(direct, "/tls", ["--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT@SECLEVEL=0"]),
    );
    assert.equal(old.exit, 35);
    assert.match(old.stderr, /alert protocol version/);
  });
});
