import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { findTool, requireTool } from "./tools";

/** Why a loopback-sshd test cannot run here (sshd or ssh missing, or not root), or undefined. */
export function loopbackSshdSkip(): string | undefined {
  const sshd = requireTool("sshd");
  const ssh = requireTool("ssh");
  return sshd.skip ?? ssh.skip ?? (process.getuid?.() !== 0 ? "sshd needs root" : undefined);
}

export interface LoopbackSshd {
  port: number;
  /** The server's public host key line (`ssh-ed25519 AAAA… comment`). */
  hostKey: string;
  /** The client's private key file, authorized for root. */
  clientKey: string;
  /** Runs `command` as root@127.0.0.1 over ssh with the given options (and the client key). */
  ssh(options: string[], command: string, input?: string): SpawnSyncReturns<string>;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real sshd on 127.0.0.1 (keys only, root allowed by key) in `dir`, whose sessions get `env`
 * (PATH first: shims such as `sudo`, `docker` and `curl` go there). Sessions have an empty HOME
 * of their own (`dir`/home) unless `env` names one: the shell sshd starts reads ~/.bashrc, and the
 * test runner's (a developer's pyenv, say) would change PATH and cost each connection its time.
 */
export async function startLoopbackSshd(dir: string, env: Record<string, string>): Promise<LoopbackSshd> {
  const keygen = (file: string) => {
    if (spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file]).status !== 0)
      throw new Error(`ssh-keygen ${file} failed`);
  };
  keygen(path.join(dir, "host_key"));
  const clientKey = path.join(dir, "id_client");
  keygen(clientKey);
  fs.copyFileSync(`${clientKey}.pub`, path.join(dir, "authorized_keys"));
  const port = await freePort();
  const home = path.join(dir, "home");
  fs.mkdirSync(home, { recursive: true });
  const setEnv = Object.entries({ HOME: home, ...env }).map(([k, v]) => `${k}=${v}`);
  fs.writeFileSync(
    path.join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${dir}/host_key`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      `PidFile ${dir}/sshd.pid`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "StrictModes no",
      "UsePAM no",
      `SetEnv ${setEnv.join(" ")}`,
      "",
    ].join("\n"),
  );
  fs.mkdirSync("/run/sshd", { recursive: true });
  const daemon: ChildProcess = spawn(findTool("sshd") as string, ["-D", "-e", "-f", path.join(dir, "sshd_config")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stop = () => {
    daemon.kill();
  };
  // Ready when sshd says it listens (-e: its log on stderr), not after polling with ssh-keyscan.
  await new Promise<void>((resolve, reject) => {
    let log = "";
    const failed = (why: string) => {
      clearTimeout(timer);
      stop();
      reject(new Error(`sshd did not start: ${why}\n${log}`));
    };
    const timer = setTimeout(() => failed("no 'Server listening' within 10 s"), 10_000);
    daemon.on("exit", (code, signal) => failed(`exited (${code ?? signal})`));
    const read = (d: Buffer) => {
      log += d.toString();
      if (!log.includes(`Server listening on 127.0.0.1 port ${port}.`)) return;
      clearTimeout(timer);
      daemon.removeAllListeners("exit");
      daemon.stderr?.off("data", read);
      resolve();
    };
    daemon.stderr?.on("data", read);
  });
  // Its later log lines are not read: drained, so a chatty sshd never blocks on a full pipe.
  daemon.stderr?.resume();
  const hostKey = fs.readFileSync(path.join(dir, "host_key.pub"), "utf8").trim();
  const ssh = (options: string[], command: string, input?: string) =>
    spawnSync("ssh", [...options, "-i", clientKey, "-p", String(port), "root@127.0.0.1", command], {
      encoding: "utf8",
      input,
      timeout: 30000,
    });
  return { port, hostKey, clientKey, ssh, stop };
}
