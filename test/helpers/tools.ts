import { spawn, spawnSync, type SpawnOptions } from "node:child_process";

/** Absolute path of a tool on PATH, or undefined. */
export function findTool(name: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : undefined;
}

/**
 * For real-tool tests: the tool's path, or a skip reason when it is missing on a developer's
 * machine. Under CI=true a missing tool is an error: CI installs every tool in .ci/run.
 */
export function requireTool(name: string): { path?: string; skip?: string } {
  const path = findTool(name);
  if (path) return { path };
  const message = `${name} is not installed (Debian: see .ci/run)`;
  if (process.env.CI === "true") throw new Error(`${message}; CI must install it`);
  return { skip: message };
}

export interface Finished {
  /** The exit code, or -1 when a signal ended the process (a `timeout` given in the options, say). */
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * A command run to its end without blocking the event loop (for tests that serve what it connects
 * to, or run several at once), with its output collected.
 */
export function spawnAsync(command: string, args: string[], options: SpawnOptions = {}): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}
