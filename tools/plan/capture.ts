import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { OFFLINE_PLAN_ENV } from "../../components/edge/reachability";
import { ConfigError, loadConfig, type Config } from "../../config";
import { createMocks } from "./mocks";
import { asInvokeError, watchProgram } from "./program-errors";
import { readStackConfig, SECRET_PLACEHOLDER, type StackConfig } from "./stack-config";
import { withoutStackTraces } from "./stack-traces";

/** The resource options a reviewer and the policy pack care about. */
export interface CapturedOptions {
  protect?: boolean;
  retainOnDelete?: boolean;
  ignoreChanges?: string[];
  deleteBeforeReplace?: boolean;
  replaceOnChanges?: string[];
  dependsOn?: string[];
  provider?: string;
  /** The names of the resource's transforms (e.g. "protect aws:eks/cluster:Cluster"): the engine applies them to its descendants. */
  transforms?: string[];
}

export interface CapturedResource {
  type: string;
  name: string;
  /** "type::name" of the parent; undefined for resources directly under the stack. */
  parent?: string;
  /** Inputs as the provider receives them, secrets replaced by "[secret]". */
  inputs: Record<string, unknown>;
  options: CapturedOptions;
}

export interface CapturedOutput {
  value: unknown;
  secret: boolean;
}

/** What a StackReference reads under the plan: another plan's outputs (secret ones redacted leaf by leaf). */
export interface ReferencedStack {
  outputs: Record<string, unknown>;
  secretOutputNames: string[];
}

export interface CaptureOptions {
  /** The stacks the program references, by full name (`<organization>/<project>/<stack>`). */
  stackReferences?: Record<string, ReferencedStack>;
  /** Let an edge stack probe its Pi over SSH, as `pulumi preview` and `up` do. Default false: the plan is offline. */
  probeEdge?: boolean;
}

export interface Capture {
  stack: string;
  project: string;
  /** The stack's validated config, as the program received it. */
  config: Config;
  resources: CapturedResource[];
  outputs: Record<string, CapturedOutput>;
}

export const PROJECT_DIR = path.resolve(__dirname, "../..");
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export const resourceKey = (type: string, name: string): string => `${type}::${name}`;

/** A secret output's shape with every leaf replaced: an edge stack's plan can still index into it. */
export function redactLeaves(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactLeaves);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactLeaves(v)]));
  return value === undefined || value === null ? value : SECRET_PLACEHOLDER;
}

/** Replaces the SDK's secret envelopes with "[secret]" so no captured value can leak one. */
function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[SECRET_SIG] !== undefined && "value" in record) return SECRET_PLACEHOLDER;
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

function describeResource(r: pulumi.Resource | undefined): string | undefined {
  const meta = r as unknown as { __pulumiType?: string; __name?: string } | undefined;
  return meta?.__pulumiType && meta.__name ? resourceKey(meta.__pulumiType, meta.__name) : undefined;
}

function optionsOf(opts: pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions): CapturedOptions {
  const options: CapturedOptions = {};
  if (opts.protect !== undefined) options.protect = opts.protect;
  if (opts.retainOnDelete !== undefined) options.retainOnDelete = opts.retainOnDelete;
  if (opts.ignoreChanges?.length) options.ignoreChanges = [...opts.ignoreChanges];
  if (opts.deleteBeforeReplace !== undefined) options.deleteBeforeReplace = opts.deleteBeforeReplace;
  if (opts.replaceOnChanges?.length) options.replaceOnChanges = [...opts.replaceOnChanges];
  const dependsOn = ([] as unknown[]).concat(opts.dependsOn ?? []).map((d) => describeResource(d as pulumi.Resource));
  if (dependsOn.some(Boolean)) options.dependsOn = dependsOn.filter((d): d is string => Boolean(d));
  const provider = describeResource(opts.provider);
  if (provider) options.provider = provider;
  if (opts.transforms?.length) options.transforms = opts.transforms.map((t) => t.name || "anonymous transform");
  return options;
}

/** Runs config validation alone, and returns the validated config: the plan's exit 2 happens before any resource, the stack included. */
export function preflight(config: StackConfig): Config {
  const missing = config.missing.map(
    (k) => `${k}: got nothing; declared in Pulumi.yaml without a default, so Pulumi.${config.stack}.yaml must set it`,
  );
  let loaded: Config;
  try {
    loaded = loadConfig({ values: config.values, project: config.project, stack: config.stack });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const named = new Set(error.problems.map((p) => p.split(":").slice(0, 2).join(":")));
    throw new ConfigError([
      ...missing.filter((m) => !named.has(m.split(":").slice(0, 2).join(":"))),
      ...error.problems,
    ]);
  }
  if (missing.length > 0) throw new ConfigError(missing);
  return loaded;
}

/**
 * Runs the real program (index.ts) under the SDK's mocks with the stack's merged configuration
 * and returns every registered resource with its parent, inputs and options, plus the outputs.
 * One program per process: the SDK keeps global state.
 */
export function captureProgram(
  config: StackConfig,
  options: CaptureOptions = {},
  programPath = path.join(PROJECT_DIR, "index.ts"),
): Promise<Capture> {
  return withoutStackTraces(() => runProgram(config, options, programPath));
}

async function runProgram(config: StackConfig, options: CaptureOptions, programPath: string): Promise<Capture> {
  pulumi.runtime.setAllConfig(config.values, config.secretKeys);
  const loaded = preflight(config);
  if (options.probeEdge) delete process.env[OFFLINE_PLAN_ENV];
  else process.env[OFFLINE_PLAN_ENV] = "1";

  const structure = new Map<string, { parent?: string; options: CapturedOptions }[]>();
  const inputs = new Map<string, Record<string, unknown>[]>();
  const order: { type: string; name: string }[] = [];
  const region = loaded.kind === "cloud" ? loaded.region : undefined;
  const mocks = createMocks(region ?? referencedRegion(options) ?? "us-east-1");
  // Errors the program raises where nothing awaits them fail the plan (see program-errors.ts).
  const watch = watchProgram(() => [...structure.keys()].filter((key) => !inputs.has(key)));
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const key = resourceKey(args.type, args.name);
        if (!inputs.has(key)) order.push({ type: args.type, name: args.name });
        inputs.set(key, [...(inputs.get(key) ?? []), redactSecrets(args.inputs) as Record<string, unknown>]);
        if (args.type === STACK_REFERENCE) return referencedStack(String(args.inputs.name), options);
        return mocks.newResource(args);
      },
      async call(args) {
        try {
          return await mocks.call(args);
        } catch (error) {
          throw asInvokeError(args.token, error);
        }
      },
    },
    config.project,
    config.stack,
    true,
    loaded.organization,
  );

  // The stack's own outputs arrive unwrapped (secretness lost); keep the module's exports instead.
  let exported: Record<string, unknown> = {};
  const ran = pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      watch.track(args.resource);
      const key = resourceKey(args.type, args.name);
      structure.set(key, [
        ...(structure.get(key) ?? []),
        { parent: describeResource(args.opts.parent), options: optionsOf(args.opts) },
      ]);
      return undefined;
    });
    // The program exports its main function (`export = async () => outputs`), as Pulumi runs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program: unknown = require(programPath);
    exported =
      typeof program === "function"
        ? { ...((await program()) as Record<string, unknown>) }
        : { ...(program as Record<string, unknown>) };
    return exported;
  });
  await watch.race(ran);
  const outputs = await watch.race(resolveOutputs(exported));
  await watch.race(pulumi.runtime.disconnect());
  await watch.finish();

  const resources: CapturedResource[] = [];
  for (const { type, name } of order) {
    if (type === "pulumi:pulumi:Stack") continue;
    const key = resourceKey(type, name);
    const shapes = structure.get(key) ?? [];
    (inputs.get(key) ?? []).forEach((resourceInputs, i) => {
      const shape = shapes[i] ?? { options: {} };
      const parent = shape.parent?.startsWith("pulumi:pulumi:Stack::") ? undefined : shape.parent;
      resources.push({ type, name, parent, inputs: resourceInputs, options: shape.options });
    });
  }
  return { stack: config.stack, project: config.project, config: loaded, resources, outputs };
}

async function resolveOutputs(exported: Record<string, unknown>): Promise<Record<string, CapturedOutput>> {
  const outputs: Record<string, CapturedOutput> = {};
  for (const [name, value] of Object.entries(exported)) {
    const output: pulumi.Output<unknown> = pulumi.output(value as pulumi.Input<unknown>);
    const secret = await pulumi.isSecret(output);
    // An unknown value never reaches apply: say so instead of waiting for it forever.
    const known = await (output as unknown as { isKnown: Promise<boolean> }).isKnown;
    const resolved = known ? await new Promise<unknown>((resolve) => output.apply((v) => resolve(v))) : COMPUTED;
    // Pulumi drops undefined stack outputs too ("will not show as a stack output").
    if (resolved === undefined) continue;
    outputs[name] = { value: secret ? redactLeaves(resolved) : redactSecrets(resolved), secret };
  }
  return outputs;
}

const STACK_REFERENCE = "pulumi:pulumi:StackReference";
/** An output the mocks leave unknown, as `pulumi preview` shows it. */
const COMPUTED = "<computed>";

/** The mock answer to a StackReference read: the referenced plan's outputs, or an error naming what to give. */
function referencedStack(name: string, options: CaptureOptions): { id: string; state: Record<string, unknown> } {
  const referenced = options.stackReferences?.[name];
  if (!referenced)
    throw new Error(`the program references stack ${name}, and the plan has no plan of it (give --cloud-plan FILE)`);
  return { id: name, state: { name, outputs: referenced.outputs, secretOutputNames: referenced.secretOutputNames } };
}

function referencedRegion(options: CaptureOptions): string | undefined {
  const regions = Object.values(options.stackReferences ?? {}).map((r) => r.outputs.region);
  return regions.find((r): r is string => typeof r === "string");
}

/** A finished plan as another stack's StackReference sees it. */
export function asReferencedStack(capture: Pick<Capture, "outputs">): ReferencedStack {
  return {
    outputs: Object.fromEntries(Object.entries(capture.outputs).map(([k, o]) => [k, o.value])),
    secretOutputNames: Object.entries(capture.outputs)
      .filter(([, o]) => o.secret)
      .map(([k]) => k),
  };
}

export function captureStack(stack: string, projectDir = PROJECT_DIR, options: CaptureOptions = {}): Promise<Capture> {
  return captureProgram(readStackConfig(projectDir, stack), options);
}
