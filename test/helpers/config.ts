import assert from "node:assert/strict";
import { loadConfig, type CloudConfig, type ConfigSource, type EdgeStackConfig } from "../../config";
import { readStackConfig } from "../../tools/plan/stack-config";
import { PROJECT_DIR } from "./program";

/** A stack file's configuration as the engine passes it, with keys patched (undefined removes a key; objects replace). */
export function sourceFor(stack: string, patch: Record<string, unknown> = {}): ConfigSource {
  const { values, project } = readStackConfig(PROJECT_DIR, stack);
  const patched = { ...values };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete patched[key];
    else patched[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { values: patched, project, stack };
}

export function loadCloud(source: ConfigSource): CloudConfig {
  const config = loadConfig(source);
  assert.equal(config.kind, "cloud", `${source.stack} is a cloud stack`);
  return config as CloudConfig;
}

export function loadEdge(source: ConfigSource): EdgeStackConfig {
  const config = loadConfig(source);
  assert.equal(config.kind, "edge", `${source.stack} is an edge stack`);
  return config as EdgeStackConfig;
}

/** An edge stack's `platform:edge` with the given knobs over a valid minimum (site, host, host key). */
export function edgeConfigWith(edge: Record<string, unknown>, stack = "edge-dev") {
  return loadEdge({
    values: {
      "platform:kind": "edge",
      "platform:environment": "dev",
      "platform:edge": JSON.stringify({
        site: "lab",
        host: "pi.example.net",
        hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEqgoCoy/93QeHl3TKWzzLwL4WMKnYfRTYkC9wfr2Hb",
        ...edge,
      }),
    },
    project: "platform",
    stack,
  }).edge;
}
