import * as net from "node:net";
import * as pulumi from "@pulumi/pulumi";

/**
 * Set by the offline plan (tools/plan), which has no Pi to reach; `pulumi preview` and `up` never
 * set it, so they always probe first.
 */
export const OFFLINE_PLAN_ENV = "PLATFORM_OFFLINE_PLAN";

/** The Pi cannot be reached over SSH: one line, naming host and port, instead of a provider's trace. */
export class EdgeUnreachableError extends pulumi.RunError {
  constructor(
    readonly host: string,
    readonly port: number,
    reason: string,
  ) {
    super(
      `edge host ${host}:${port} is not reachable over SSH (${reason}); the edge stack changes nothing until it is. ` +
        "Check that the Pi is on and that platform:edge.host and platform:edge.port are right; the cloud stacks are not affected.",
    );
    this.name = "EdgeUnreachableError";
  }
}

export interface ProbeOptions {
  /** Give up after this long, ms: the whole probe, from connect to the server's banner (`platform:edge.sshProbeTimeoutSeconds`). */
  timeoutMs: number;
}

/**
 * Connects to `host:port` and waits for an SSH server's identification line (`SSH-2.0-…`, RFC
 * 4253 §4.2), which a server sends first. Resolves when it arrives; rejects with
 * EdgeUnreachableError when the connection is refused, the name does not resolve, the peer
 * closes, sends something else, or nothing arrives in time. Sends nothing itself.
 */
export function probeSsh(host: string, port: number, { timeoutMs }: ProbeOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    let received = "";
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (reason?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (reason === undefined) resolve();
      else reject(new EdgeUnreachableError(host, port, reason));
    };
    const timer = setTimeout(
      () =>
        finish(
          socket.connecting
            ? `no TCP connection within ${timeoutMs / 1000} s`
            : `connected, but no SSH server answered within ${timeoutMs / 1000} s`,
        ),
      timeoutMs,
    );
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
      // Servers may send other lines before the identification line; it must come within 255 bytes a line.
      for (const line of received.split("\n").slice(0, -1)) {
        if (line.startsWith("SSH-")) return finish();
      }
      if (received.length > 8192) finish("connected, but the server did not identify as SSH");
    });
    socket.on("error", (error: NodeJS.ErrnoException) =>
      finish(error.code === "ECONNREFUSED" ? "connection refused" : (error.code ?? error.message)),
    );
    socket.on("close", () => finish("connected, but the server closed the connection without an SSH greeting"));
  });
}
