import { loadConfig } from "./config";
import { cloudStack } from "./stacks/cloud";
import { edgeStack } from "./stacks/edge";

/**
 * One program, two kinds of stack (`platform:kind`): a cloud stack (AWS) or an edge stack (one
 * Raspberry Pi site, reading its cloud stack). The validated config picks the wiring; the
 * returned object is the stack's outputs.
 */
export = async () => {
  const config = loadConfig();
  return config.kind === "cloud" ? cloudStack(config) : edgeStack(config);
};
