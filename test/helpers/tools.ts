import { spawnSync } from "node:child_process";

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
