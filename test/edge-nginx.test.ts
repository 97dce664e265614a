import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { EDGE_SCRIPTS, EDGE_UNITS, renderNginxConf } from "../components/edge";
import { emitEdge } from "../components/edge/emit";
import { loadConfig } from "../config";
import { requireTool } from "./helpers/tools";

/** The edge's nginx.conf, run through real nginx: `nginx -t` on the rendered and the emitted file. */
const nginx = requireTool("nginx");
const openssl = requireTool("openssl");

const tmpdir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

function run(command: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: "utf8" });
}

function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  const made = run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=edge.test", "-keyout", key, "-out", cert]);
  assert.equal(made.status, 0, made.stderr);
  return { cert, key };
}

function nginxTest(conf: string): SpawnSyncReturns<string> {
  const dir = tmpdir("edge-nginx-");
  fs.mkdirSync(path.join(dir, "logs"));
  fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
  return run("nginx", ["-t", "-p", dir, "-c", path.join(dir, "nginx.conf")]);
}

describe("edge nginx.conf (real nginx)", () => {
  it("the rendered nginx.conf passes nginx -t (throwaway certificate; names resolve at request time)", { skip: nginx.skip ?? openssl.skip }, () => {
    const dir = tmpdir("edge-tls-");
    const { cert, key } = selfSignedCert(dir);
    // The upstream name does not resolve here: nginx starts anyway because proxy_pass uses a variable.
    const render = (hsts: boolean) => renderNginxConf({ serverName: "edge.test", certificatePath: cert, keyPath: key, user: "", pidPath: path.join(dir, "nginx.pid"), tempDir: dir, logDir: dir, hsts });
    const conf = render(false);
    const result = nginxTest(conf);
    assert.equal(result.status, 0, result.stderr);
    assert.doesNotMatch(conf, /Strict-Transport-Security/, "no HSTS with a self-signed certificate");
    const withHsts = render(true);
    const hstsResult = nginxTest(withHsts);
    assert.equal(hstsResult.status, 0, hstsResult.stderr);
    assert.match(withHsts, /^ {4}add_header Strict-Transport-Security "max-age=31536000" always;$/m);
    assert.match(conf, /ssl_protocols TLSv1\.2 TLSv1\.3;/);
    // Every public location but the 404 is rate limited, /health included.
    const location = (c: string, name: string) => c.slice(c.indexOf(`location ${name} {`)).split("}")[0];
    for (const name of ["= /health", "/"]) assert.match(location(conf.slice(conf.indexOf("listen 443")), name), /limit_req zone=per_client burst=20 nodelay;/, name);
    assert.match(conf, /resolver 127\.0\.0\.11 valid=10s/);
    assert.match(conf, /return 301 https:\/\/\$host\$request_uri;/);
    assert.doesNotMatch(conf, /upstream\s+\w+\s*{/, "no upstream block: it would resolve names at start");
  });

  it("the emitted edge/nginx.conf passes nginx -t once its container paths point at a throwaway certificate", { skip: nginx.skip ?? openssl.skip }, () => {
    const out = tmpdir("edge-emit-");
    const config = loadConfig({
      values: { "aws:region": "eu-west-1", "platform:environment": "prod", "platform:edge": JSON.stringify({ enabled: true, host: "edge.test", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM251zLcH9UeGDYfDXNfkP+vbG5KPanbtNLH2YztNigV" }) },
      project: "platform",
      stack: "prod",
    });
    const written = emitEdge(out, config);
    for (const file of ["edge/nginx.conf", "edge/prometheus-agent.yml", "edge/backup.env", ...Object.keys(EDGE_SCRIPTS).map((s) => `edge/scripts/${s}`), ...Object.keys(EDGE_UNITS).map((u) => `edge/systemd/${u}`)])
      assert.ok(written.includes(file) && fs.existsSync(path.join(out, file)), `${file} emitted`);
    assert.equal(fs.statSync(path.join(out, "edge/scripts/edge-backup.sh")).mode & 0o777, 0o755);
    const { cert, key } = selfSignedCert(out);
    const conf = fs
      .readFileSync(path.join(out, "edge/nginx.conf"), "utf8")
      .replace("/etc/nginx/tls/cert.pem", cert)
      .replace("/etc/nginx/tls/key.pem", key)
      .replace(/^user nginx;$/m, "")
      .replace("/var/run/nginx.pid", path.join(out, "nginx.pid"))
      .replaceAll("/var/log/nginx", out);
    const result = nginxTest(conf);
    assert.equal(result.status, 0, result.stderr);
  });
});
