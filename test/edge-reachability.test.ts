import assert from "node:assert/strict";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import { EdgeUnreachableError, probeSsh } from "../components/edge/reachability";
import { environmentDefaults } from "../config/defaults";
import { item } from "./helpers/assert";
import { runPlanInProcess, stackDirWith } from "./helpers/program";

/**
 * A Pi that is off or on a bad link must fail the edge stack quickly, with one line naming host
 * and port: a closed port, and a port that accepts TCP but never speaks SSH (a hung Pi, a captive
 * proxy). Against loopback only; the real-sshd case is in edge-ssh.test.ts. The timeouts the
 * tests choose are short; the stacks' default one (platform:edge.sshProbeTimeoutSeconds) is checked
 * on a mocked clock, and the whole plan is run with a chosen one.
 */
const DEFAULT_TIMEOUT_S = environmentDefaults.prod.edge.sshProbeTimeoutSeconds;
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
    await assert.rejects(probeSsh("127.0.0.1", port, { timeoutMs: 5000 }), (error: unknown) => {
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
      probeSsh("127.0.0.1", silent.port, { timeoutMs: 300 }),
      /connected, but no SSH server answered within 0\.3 s/,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 2000, `${elapsed} ms`);
  });

  it("the stacks' default timeout: a Pi that is off fails within about 10 s, not a millisecond sooner (mocked clock)", async (t) => {
    assert.equal(environmentDefaults.dev.edge.sshProbeTimeoutSeconds, DEFAULT_TIMEOUT_S, "one default for both");
    assert.ok(DEFAULT_TIMEOUT_S >= 5 && DEFAULT_TIMEOUT_S <= 15, "about 10 s, as the README says");
    const timeoutMs = DEFAULT_TIMEOUT_S * 1000;
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const connected = new Promise<void>((resolve) => silent.server.once("connection", () => resolve()));
    const probe: { outcome: unknown } = { outcome: "pending" };
    void probeSsh("127.0.0.1", silent.port, { timeoutMs }).then(
      () => (probe.outcome = "resolved"),
      (error: unknown) => (probe.outcome = error),
    );
    const turns = async () => {
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    // The real connection first (sockets are not mocked), so the timeout is the one after connecting.
    await connected;
    await turns();
    t.mock.timers.tick(timeoutMs - 1);
    await turns();
    assert.equal(probe.outcome, "pending", "still waiting a millisecond before the timeout");
    t.mock.timers.tick(1);
    await turns();
    const outcome = probe.outcome as unknown; // narrowed to "pending" by the assertion above
    assert.ok(outcome instanceof EdgeUnreachableError, `given up at the timeout: ${String(outcome)}`);
    assert.match(outcome.message, new RegExp(`connected, but no SSH server answered within ${DEFAULT_TIMEOUT_S} s`));
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
  // line, exit 3 (the plan could not run), nothing planned, quickly. In this process (the plan worker,
  // as the CLI prints it): nothing here is process-level. The silent port's plan is given a 1 s
  // timeout through platform:edge.sshProbeTimeoutSeconds, which its message must name.
  for (const [what, port] of [
    ["closed port", () => closedPort()],
    ["silent port", async () => silent.port],
  ] as const) {
    it(`the edge stack's plan with a ${what}: one line naming host and port, exit 3, in under 30 s`, async () => {
      const dir = stackDirWith("edge-dev", {
        "platform:edge": { host: "127.0.0.1", port: await port(), sshProbeTimeoutSeconds: 1 },
      });
      const started = Date.now();
      // Synchronous: the silent server's connection is accepted by the kernel meanwhile, as a hung Pi's is.
      const run = runPlanInProcess(["--stack", "edge-dev", "--config-dir", dir, "--check-reachability"]);
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
      if (what === "silent port") assert.match(run.stderr, /no SSH server answered within 1 s/);
      assert.ok(elapsed < 30, `${elapsed} s`);
    });
  }
});
