import { loadConfig } from "./config";

/**
 * One program, two kinds of stack (`platform:kind`): a cloud stack (AWS) or an edge stack (one
 * Raspberry Pi site, reading its cloud stack). The validated config picks the wiring; the
 * returned object is the stack's outputs. Each kind loads only its own wiring: a cloud stack
 * never needs the Pi's components, nor an edge stack the cluster's (a plan is faster without).
 * `require`, not `import()`: a dynamic import leaves CommonJS for Node's ESM loader, which
 * resolves no TypeScript unless tsx hooks it too (the tests' in-process planner hooks only require).
 */
export = async () => {
  const config = loadConfig();
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (config.kind === "cloud") return (require("./stacks/cloud") as typeof import("./stacks/cloud")).cloudStack(config);
  return (require("./stacks/edge") as typeof import("./stacks/edge")).edgeStack(config);
  /* eslint-enable @typescript-eslint/no-require-imports */
};
