import type { Config } from "../config";

/** Tags every AWS resource carries, through the provider's default tags. */
export function platformTags(config: Pick<Config, "project" | "stack" | "tags">): Record<string, string> {
  return {
    ...config.tags,
    project: config.project,
    environment: config.stack,
    "managed-by": "pulumi",
  };
}
