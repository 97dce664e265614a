import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configOf, schema } from "../lib/policy";
import { isUnknown, known, parseJson, UNKNOWN } from "../lib/values";

export interface RequiredTagsConfig {
  /** Tag keys every AWS resource must carry. */
  requiredTags: string[];
}

const DEFAULTS: RequiredTagsConfig = { requiredTags: ["project", "environment", "managed-by"] };
const AWS_PROVIDER = "pulumi:providers:aws";

/** The provider's `defaultTags.tags` (a JSON string in provider inputs), or UNKNOWN. */
function defaultTags(provider: PolicyResource): Record<string, unknown> | typeof UNKNOWN {
  const props = known(provider.props) as Record<string, unknown>;
  const value = parseJson(props.defaultTags);
  if (isUnknown(value)) return UNKNOWN;
  const tags = parseJson((value as { tags?: unknown } | undefined)?.tags);
  if (isUnknown(tags)) return UNKNOWN;
  return (tags ?? {}) as Record<string, unknown>;
}

const blank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");

/**
 * Tags are applied by the AWS provider's default tags, which reach every taggable resource (and
 * `tagsAll`, which is computed, is unknown at preview): so the rule checks each AWS provider the
 * stack registers, and that no resource blanks a required tag with an explicit empty value.
 */
export const requiredTagsPolicy: StackValidationPolicy = {
  name: "aws-required-tags",
  description:
    "Every AWS resource carries the required tags (default: project, environment, managed-by). Fix: set them in the AWS provider's " +
    "defaultTags (index.ts does, from platform:tags) and never override one with an empty value in a resource's `tags`.",
  enforcementLevel: "mandatory",
  configSchema: schema({
    requiredTags: {
      type: "array",
      items: { type: "string" },
      default: DEFAULTS.requiredTags,
      description: "Required tag keys.",
    },
  }),
  validateStack: (args, report) => {
    const { requiredTags } = configOf(args, DEFAULTS);
    for (const provider of args.resources.filter((r) => r.type === AWS_PROVIDER)) {
      const tags = defaultTags(provider);
      if (isUnknown(tags)) continue;
      const missing = requiredTags.filter((k) => blank(tags[k]));
      if (missing.length)
        report(
          `AWS provider ${provider.name} lacks default tags ${missing.join(", ")}: add them to defaultTags.tags.`,
          provider.urn,
        );
    }
    for (const r of args.resources.filter((res) => res.type.startsWith("aws:"))) {
      const tags = (known(r.props) as Record<string, unknown>).tags;
      if (!tags || isUnknown(tags) || typeof tags !== "object") continue;
      const blanked = requiredTags.filter((k) => k in tags && blank((tags as Record<string, unknown>)[k]));
      if (blanked.length)
        report(
          `${r.name} sets required tag(s) ${blanked.join(", ")} to an empty value, hiding the provider's default: remove them from its tags.`,
          r.urn,
        );
    }
  },
};
