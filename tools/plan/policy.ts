import * as policySdk from "@pulumi/policy";
import type {
  EnforcementLevel,
  Policy,
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { allPolicies } from "../../policies/rules";
import type { CapturedOptions } from "./capture";
import { policyConfigForStack } from "../policy-config";
import { withoutStackTraces } from "./stack-traces";

/** A resource as the plan's `--json` lists it (and as `policy:check` reads it). */
export interface PlanResource {
  type: string;
  name: string;
  /** "type::name" of the parent, null or absent under the stack. */
  parent?: string | null;
  inputs: Record<string, unknown>;
  options?: CapturedOptions;
}

export type ViolationLevel = "mandatory" | "advisory";

export interface PolicyViolation {
  policy: string;
  level: ViolationLevel;
  /** The resource's type and name; the stack's for stack-wide findings. */
  type: string;
  name: string;
  message: string;
}

export interface PolicyReport {
  violations: PolicyViolation[];
}

/** A `--policy-pack-config` file: per policy, a level or an object with `enforcementLevel` and the policy's settings. */
export type PolicyPackConfig = Record<
  string,
  EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

const PROJECT = "platform";
const STACK_TYPE = "pulumi:pulumi:Stack";

// The SDK's own unknown-checking proxy, so a rule that reads an unknown value fails here as it would under the engine.
const sdk = policySdk as unknown as {
  unknownCheckingProxy: <T>(v: T) => T;
  UnknownValueError: new (...args: never[]) => Error;
};

class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

interface Settings {
  level: EnforcementLevel;
  config: Record<string, unknown>;
}

/** Each policy's level and settings: schema defaults, then the file; errors like the CLI's for bad config. */
function settingsOf(policy: Policy, pack: PolicyPackConfig): Settings {
  const entry = pack[policy.name] ?? pack.all;
  const object = typeof entry === "object" && entry !== null ? entry : {};
  const { enforcementLevel, ...values } = object;
  const level = (typeof entry === "string" ? entry : enforcementLevel) ?? policy.enforcementLevel ?? "advisory";
  // A disabled policy takes no config (an edge stack's budget rule has none to take).
  if (level === "disabled") return { level, config: {} };
  const defaults = Object.fromEntries(
    Object.entries(policy.configSchema?.properties ?? {})
      .filter(([, s]) => s.default !== undefined)
      .map(([k, s]) => [k, s.default]),
  );
  const config = { ...defaults, ...(pack[policy.name] === entry ? values : {}) };
  const missing = (policy.configSchema?.required ?? []).filter((k) => config[k] === undefined);
  if (missing.length) throw new Error(`policy ${policy.name}: config ${missing.join(", ")} required`);
  return { level, config };
}

function checkConfigNames(pack: PolicyPackConfig): void {
  const names = new Set(allPolicies.map((p) => p.name));
  const unknown = Object.keys(pack).filter((k) => k !== "all" && !names.has(k));
  if (unknown.length) throw new Error(`policy configuration names unknown policies: ${unknown.join(", ")}`);
}

const keyOf = (type: string, name: string) => `${type}::${name}`;

/** A parent the plan did not record (a remote component's), from its `type::name` key. */
function unplannedParent(key: string): PlanResource {
  const [type, name] = key.split("::");
  if (type === undefined || name === undefined) throw new Error(`not a type::name resource key: ${key}`);
  return { type, name, inputs: {} };
}

/** The engine's view of the plan's resources: URNs, parents, dependencies, providers, options. */
function toPolicyResources(resources: PlanResource[], stack: string): PolicyResource[] {
  const byKey = new Map(resources.map((r) => [keyOf(r.type, r.name), r]));
  const typeChain = (r: PlanResource, depth = 0): string => {
    const parent = r.parent ? byKey.get(r.parent) : undefined;
    return parent && depth < 50 ? `${typeChain(parent, depth + 1)}$${r.type}` : r.type;
  };
  const urnOf = (r: PlanResource) => `urn:pulumi:${stack}::${PROJECT}::${typeChain(r)}::${r.name}`;
  const providers = resources.filter((r) => r.type.startsWith("pulumi:providers:"));
  const providerOf = (r: PlanResource): PolicyProviderResource | undefined => {
    const named = r.options?.provider ? byKey.get(r.options.provider) : undefined;
    // Children inherit their component's providers, which the plan does not record per resource.
    const pkg = r.type.split(":")[0];
    const only = providers.filter((p) => p.type === `pulumi:providers:${pkg}`);
    const provider = named ?? (only.length === 1 && !r.type.startsWith("pulumi:providers:") ? only[0] : undefined);
    return (
      provider && {
        type: provider.type,
        name: provider.name,
        urn: urnOf(provider),
        props: sdk.unknownCheckingProxy({ ...provider.inputs }),
      }
    );
  };
  const out = resources.map((r): PolicyResource => {
    const props = sdk.unknownCheckingProxy({ ...r.inputs });
    const opts: PolicyResourceOptions = {
      protect: r.options?.protect === true,
      ignoreChanges: r.options?.ignoreChanges ?? [],
      deleteBeforeReplace: r.options?.deleteBeforeReplace,
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
      parent: r.parent ? urnOf(byKey.get(r.parent) ?? unplannedParent(r.parent)) : undefined,
    };
    const resource: PolicyResource = {
      type: r.type,
      name: r.name,
      urn: urnOf(r),
      props,
      opts,
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(r.type, cls),
      asType: (cls) => (isTypeOf(r.type, cls) ? (props as never) : undefined),
    };
    const provider = providerOf(r);
    if (provider) resource.provider = provider;
    return resource;
  });
  const byUrnKey = new Map(resources.map((r, i) => [keyOf(r.type, r.name), out[i]]));
  resources.forEach((r, i) => {
    const resource = out[i];
    if (!resource) throw new Error(`no policy resource for ${keyOf(r.type, r.name)}`);
    if (r.parent) resource.parent = byUrnKey.get(r.parent);
    resource.dependencies = (r.options?.dependsOn ?? [])
      .map((d) => byUrnKey.get(d))
      .filter((d): d is PolicyResource => Boolean(d));
  });
  return out;
}

/** As the SDK decides it: the class's Pulumi type token, else its isInstance. */
function isTypeOf(type: string, cls: unknown): boolean {
  const c = cls as { __pulumiType?: string; isInstance?: (o: unknown) => boolean };
  if (typeof c.__pulumiType === "string" && c.__pulumiType) return c.__pulumiType === type;
  return typeof c.isInstance === "function" && c.isInstance({ __pulumiType: type }) === true;
}

/**
 * The one type a validation applies to, as the SDK's helpers tag it (`__pulumiType` on the
 * function of validateResourceOfType, validateStackResourcesOfType and the pack's validateTypes).
 * The engine skips a resource of another type without calling the policy (@pulumi/policy
 * server.js), and so does the plan: calling it would only throw and catch a NotApplicable.
 */
function soleType(validation: unknown): string | undefined {
  if (Array.isArray(validation)) return undefined;
  const type = (validation as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof type === "string" && type.length > 0 ? type : undefined;
}

function isResourcePolicy(p: Policy): p is ResourceValidationPolicy {
  return (p as ResourceValidationPolicy).validateResource !== undefined;
}

/**
 * Evaluates the pack (policies/rules) against a resource list, with a stack's policy configuration
 * (derived from the stack's config by tools/policy-config.ts unless given), calling each policy as the engine does: resource
 * validations per resource, stack validations once with every resource.
 */
export function evaluatePolicies(
  resources: PlanResource[],
  stack: string,
  config?: PolicyPackConfig,
): Promise<PolicyReport> {
  // A policy that does not apply throws (notApplicable): no stack trace to record for each.
  return withoutStackTraces(() => evaluate(resources, stack, config));
}

async function evaluate(resources: PlanResource[], stack: string, config?: PolicyPackConfig): Promise<PolicyReport> {
  const pack = config ?? policyConfigForStack(stack);
  checkConfigNames(pack);
  const policyResources = toPolicyResources(resources, stack);
  const byUrn = new Map(policyResources.map((r) => [r.urn, r]));
  const violations: PolicyViolation[] = [];

  for (const policy of allPolicies) {
    const { level, config: settings } = settingsOf(policy, pack);
    if (level === "disabled") continue;
    const reported: ViolationLevel = level === "advisory" ? "advisory" : "mandatory";
    const getConfig = <T extends object>() => ({ ...settings }) as T;
    const run = async (
      target: { type: string; name: string },
      call: (report: (message: string, urn?: string) => void) => unknown,
    ) => {
      const report = (message: string, urn?: string) => {
        const at = urn ? byUrn.get(urn) : undefined;
        violations.push({
          policy: policy.name,
          level: reported,
          type: at?.type ?? target.type,
          name: at?.name ?? target.name,
          message,
        });
      };
      try {
        await call(report);
      } catch (error) {
        if (error instanceof NotApplicable) return;
        if (error instanceof sdk.UnknownValueError) {
          // What the engine does too: a rule that touched an unknown value cannot run before the update.
          violations.push({
            policy: policy.name,
            level: "advisory",
            type: target.type,
            name: target.name,
            message: `can't run during preview: ${error.message}`,
          });
          return;
        }
        throw new Error(
          `policy ${policy.name} failed on ${target.type} ${target.name}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    };

    if (isResourcePolicy(policy)) {
      const validations = ([] as unknown[]).concat(policy.validateResource ?? []) as NonNullable<
        ResourceValidationPolicy["validateResource"]
      >[];
      const onlyType = soleType(policy.validateResource);
      for (const r of policyResources) {
        if (onlyType !== undefined && r.type !== onlyType) continue;
        for (const validate of validations as ((
          a: ResourceValidationArgs,
          rep: (m: string, u?: string) => void,
        ) => unknown)[]) {
          const args: ResourceValidationArgs = {
            type: r.type,
            props: r.props,
            urn: r.urn,
            name: r.name,
            opts: r.opts,
            provider: r.provider,
            stackTags: new Map(),
            isType: r.isType,
            asType: r.asType as ResourceValidationArgs["asType"],
            getConfig,
            notApplicable,
          };
          await run(r, (report) => validate(args, (m) => report(m)));
        }
      }
    } else {
      const stackPolicy = policy as StackValidationPolicy;
      const onlyType = soleType(stackPolicy.validateStack);
      if (onlyType !== undefined && !policyResources.some((r) => r.type === onlyType)) continue;
      const args: StackValidationArgs = { resources: policyResources, stackTags: new Map(), getConfig, notApplicable };
      await run({ type: STACK_TYPE, name: `${PROJECT}-${stack}` }, (report) => stackPolicy.validateStack(args, report));
    }
  }
  return { violations };
}

export const hasMandatoryViolation = (report: PolicyReport): boolean =>
  report.violations.some((v) => v.level === "mandatory");

/** The violations as text, mandatory first, one line each. */
export function renderViolations(report: PolicyReport): string {
  if (report.violations.length === 0) return `Policies: no violations (${allPolicies.length} policies).`;
  const lines: string[] = [];
  for (const level of ["mandatory", "advisory"] as const) {
    const list = report.violations.filter((v) => v.level === level);
    if (list.length === 0) continue;
    lines.push(`Policy violations, ${level} (${list.length}):`);
    for (const v of list) lines.push(`  [${v.policy}] ${v.type} ${v.name}: ${v.message}`);
  }
  return lines.join("\n");
}
