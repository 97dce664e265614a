import type {
  PolicyConfigSchema,
  ResourceValidation,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

/** The environments a stack can be; `environment` in a policy's config says which one this is. */
export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Config every environment-scoped policy takes. */
export interface EnvironmentConfig {
  /** The stack's environment. Default "prod": a pack run without config is as strict as it gets. */
  environment?: Environment;
  /** The environments the policy applies to. */
  environments?: Environment[];
}

/** The configSchema properties of an environment-scoped policy (applies to `applies` by default). */
export function environmentSchema(applies: readonly Environment[]): Record<string, PolicyConfigJSONSchema> {
  return {
    environment: { type: "string", enum: [...ENVIRONMENTS], default: "prod", description: "The stack's environment." },
    environments: {
      type: "array",
      items: { type: "string", enum: [...ENVIRONMENTS] },
      default: [...applies],
      description: "Environments the rule applies to.",
    },
  };
}

export const schema = (properties: Record<string, PolicyConfigJSONSchema>): PolicyConfigSchema => ({ properties });

/** The policy's config over its defaults (the CLI fills schema defaults too, but not every caller does). */
export function configOf<T extends object>(
  args: Pick<ResourceValidationArgs | StackValidationArgs, "getConfig">,
  defaults: T,
): T {
  return { ...defaults, ...args.getConfig<Partial<T>>() };
}

/** Marks the policy not applicable when the stack's environment is not one it covers. */
export function requireEnvironment(
  args: Pick<ResourceValidationArgs | StackValidationArgs, "getConfig" | "notApplicable">,
  applies: readonly Environment[],
): void {
  const { environment = "prod", environments = [...applies] } = args.getConfig<EnvironmentConfig>();
  if (!environments.includes(environment))
    args.notApplicable(`only applies to ${environments.join(", ")} stacks; this one is ${environment}`);
}

/**
 * A resource validation for the given type tokens, for types with no SDK class the pack can import
 * cheaply (components, remote components). Tags the function with the token like the SDK's helper
 * does, so the engine skips other types without calling it.
 */
export function validateTypes(types: readonly string[], validate: ResourceValidation): ResourceValidation {
  const fn: ResourceValidation & { __pulumiType?: string } = (args, report) => {
    if (!types.includes(args.type)) return args.notApplicable(`only applies to ${types.join(", ")}`);
    return validate(args, report);
  };
  if (types.length === 1) fn.__pulumiType = types[0];
  return fn;
}
