import assert from "node:assert/strict";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import { EdgeUnreachableError, probeSsh } from "../components/edge/reachability";
import { item } from "./helpers/assert";
import { runPlanCliAsync, stackDirWith } from "./helpers/program";

/**
 * A Pi that is off or on a bad link must fail the edge stack quickly, with one line naming host
 * and port: a closed port, and a port that accepts TCP but never speaks SSH (a hung Pi, a captive
 * proxy). Against loopback only; the real-sshd case is in edge-ssh.test.ts.
 */
function listen(onConnection: (socket: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  return new Promise((resolve) => {
    const server = net
      .createServer(onConnection)
      .listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as net.AddressInfo).port }));
  });
}

async function closedPort(): Promise<number> {
  const { server, port } = await listen(() => undefined);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("an unreachable Pi fails quickly and clearly", () => {
  const sockets: net.Socket[] = [];
  let silent: { server: net.Server; port: number };
  let chatty: { server: net.Server; port: number };

  before(async () => {
    silent = await listen((socket) => sockets.push(socket));
    chatty = await listen((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
  });
  after(() => {
    for (const s of sockets) s.destroy();
    silent.server.close();
    chatty.server.close();
  });

  it("a closed port: refused at once", async () => {
    const port = await closedPort();
    const started = Date.now();
    await assert.rejects(probeSsh("127.0.0.1", port), (error: unknown) => {
      assert.ok(error instanceof EdgeUnreachableError);
      assert.match(
        error.message,
        new RegExp(`^edge host 127\\.0\\.0\\.1:${port} is not reachable over SSH \\(connection refused\\)`),
      );
      return true;
    });
    assert.ok(Date.now() - started < 2000);
  });

  it("a port that accepts TCP and never speaks: given up after the timeout", async () => {
    const started = Date.now();
    await assert.rejects(
      probeSsh("127.0.0.1", silent.port, { timeoutMs: 1500 }),
      /connected, but no SSH server answered within 1\.5 s/,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1400 && elapsed < 3000, `${elapsed} ms`);
  });

  it("a server that is not SSH: refused when it says something else and hangs up", async () => {
    await assert.rejects(
      probeSsh("127.0.0.1", chatty.port, { timeoutMs: 5000 }),
      /closed the connection without an SSH greeting/,
    );
  });

  it("a name that does not resolve", async () => {
    await assert.rejects(
      probeSsh("pi.invalid", 22, { timeoutMs: 5000 }),
      /edge host pi\.invalid:22 is not reachable over SSH \((ENOTFOUND|EAI_AGAIN)\)/,
    );
  });

  // The whole edge stack, as `pulumi preview` runs it (the plan with --check-reachability): one
  // line, exit 3 (the plan could not run), nothing planned, well under 30 s with the default timeout.
  for (const [what, port] of [
    ["closed port", () => closedPort()],
    ["silent port", async () => silent.port],
  ] as const) {
    it(`the edge stack's plan with a ${what}: one line naming host and port, exit 3, in under 30 s`, async () => {
      const dir = stackDirWith("edge-dev", { "platform:edge": { host: "127.0.0.1", port: await port() } });
      const started = Date.now();
      const run = await runPlanCliAsync(["--stack", "edge-dev", "--config-dir", dir, "--check-reachability"]);
      const elapsed = (Date.now() - started) / 1000;
      assert.equal(run.status, 3, run.stderr);
      assert.equal(run.stdout, "", "nothing planned");
      const lines = run.stderr
        .trim()
        .split("\n")
        .filter((l) => !l.includes("policies/config"));
      assert.equal(lines.length, 1, run.stderr);
      assert.match(
        item(lines, 0, "stderr lines"),
        /^Stack edge-dev: edge host 127\.0\.0\.1:\d+ is not reachable over SSH/,
      );
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
      assert.ok(elapsed < 30, `${elapsed} s`);
    });
  }
});
