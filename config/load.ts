import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { environmentDefaults } from "./defaults";
import {
  crossFieldProblems,
  environmentSchema,
  platformSchemas,
  type EdgeConfig,
  type Environment,
  type PlatformConfig,
  type PlatformKey,
} from "./schema";
import { closestKey } from "./suggest";

const NAMESPACE = "platform";
const SECRET_KNOBS = new Set(["edge.sshPrivateKey", "edge.tlsPrivateKey"]);
const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** The validated, defaulted, frozen configuration every component receives. */
export type Config = Readonly<
  Omit<PlatformConfig, "edge"> & {
    project: string;
    stack: string;
    region: string;
    edge: Readonly<
      Omit<EdgeConfig, "sshPrivateKey" | "tlsPrivateKey"> & {
        sshPrivateKey?: pulumi.Output<string>;
        tlsPrivateKey?: pulumi.Output<string>;
      }
    >;
  }
>;

/** Bad configuration: every problem at once, each naming its full key, the value given and what is expected. */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

export interface ConfigSource {
  /** The flat configuration map as the engine passes it: "ns:key" → string (objects as JSON). */
  values: Record<string, string>;
  project: string;
  stack: string;
}

function currentSource(): ConfigSource {
  return { values: pulumi.runtime.allConfig(), project: pulumi.getProject(), stack: pulumi.getStack() };
}

/** Structured values arrive as JSON; plain strings (`platform:environment: dev`) do not. */
function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(value: unknown, knob: string): string {
  if (value === undefined) return "nothing";
  if (SECRET_KNOBS.has(knob)) return "[secret]";
  return JSON.stringify(value);
}

function knobName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((name, part) => {
    if (typeof part === "number") return `${name}[${part}]`;
    return name ? `${name}.${String(part)}` : String(part);
  }, "");
}

function problemLine(path: readonly PropertyKey[], value: unknown, expected: string): string {
  const knob = knobName(path);
  return `${NAMESPACE}:${knob}: got ${describe(value, knob)}; expected ${expected}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (isPlainObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[k] : undefined), root);
}

function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = schema;
  for (const part of path) {
    const shape = (current as { shape?: Record<string, unknown> }).shape;
    current = shape?.[String(part)];
  }
  const shape = (current as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

function unknownKeyLine(path: readonly PropertyKey[], key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  const hint = suggestion ? `did you mean "${NAMESPACE}:${knobName([...path, suggestion])}"?` : `known keys: ${known.join(", ")}`;
  return `${NAMESPACE}:${knobName([...path, key])}: unknown key; ${hint}`;
}

function resolveEnvironment(raw: unknown, stack: string, problems: string[]): Environment | undefined {
  const parsed = environmentSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const expected = `"dev" or "prod", the column of defaults stack "${stack}" takes (set it in Pulumi.${stack}.yaml)`;
  problems.push(problemLine(["environment"], raw, expected));
  return undefined;
}

/** Objects merge key by key at every depth (`--path platform:edge.memoryMb.app` sets one limit); lists and values replace. */
function mergeDefaults(fallback: unknown, given: unknown): unknown {
  if (given === undefined) return fallback;
  if (!isPlainObject(given) || !isPlainObject(fallback)) return given;
  const merged: Record<string, unknown> = { ...fallback };
  for (const [k, v] of Object.entries(given)) merged[k] = mergeDefaults(fallback[k], v);
  return merged;
}

function withDefaults(key: PlatformKey, given: unknown, environment: Environment): unknown {
  return mergeDefaults(environmentDefaults[environment][key as Exclude<PlatformKey, "environment">], given);
}

function validateKey(key: PlatformKey, value: unknown, problems: string[]): unknown {
  const schema = platformSchemas[key] as z.ZodType;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const path = [key, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, issue.path);
      for (const unknownKey of issue.keys) problems.push(unknownKeyLine(path, unknownKey, known));
    } else {
      problems.push(problemLine(path, valueAt(value, issue.path), issue.message));
    }
  }
  return undefined;
}

/**
 * Reads the stack's configuration, fills the environment's defaults, validates everything and
 * returns one frozen object. Throws ConfigError listing every problem; no resource is created
 * before this returns.
 */
export function loadConfig(source: ConfigSource = currentSource()): Config {
  const problems: string[] = [];
  const given: Record<string, unknown> = {};
  for (const [fullKey, raw] of Object.entries(source.values)) {
    const [namespace, key] = fullKey.split(":", 2);
    if (namespace === NAMESPACE) given[key] = parseValue(raw);
  }

  const known = Object.keys(platformSchemas);
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) problems.push(unknownKeyLine([], key, known));
  }

  const region = source.values["aws:region"];
  if (!region || !REGION_PATTERN.test(region))
    problems.push(`aws:region: got ${region === undefined ? "nothing" : JSON.stringify(region)}; expected an AWS region such as "us-east-1"`);

  const environment = resolveEnvironment(given.environment, source.stack, problems);
  const resolved: Partial<PlatformConfig> = {};
  if (environment) {
    resolved.environment = environment;
    const merged: Record<string, unknown> = {};
    for (const key of known as PlatformKey[]) {
      if (key === "environment") continue;
      merged[key] = withDefaults(key, given[key], environment);
      const value = validateKey(key, merged[key], problems);
      if (value !== undefined) (resolved as Record<string, unknown>)[key] = value;
    }
    for (const p of crossFieldProblems(merged)) problems.push(problemLine(p.path, p.value, p.expected));
  }

  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  const valid = resolved as PlatformConfig;
  const { sshPrivateKey, tlsPrivateKey, ...edge } = valid.edge;
  const secret = (value: string | undefined) => (value === undefined ? undefined : pulumi.secret(value));
  return deepFreeze({
    ...valid,
    project: source.project,
    stack: source.stack,
    region: region as string,
    edge: { ...edge, sshPrivateKey: secret(sshPrivateKey), tlsPrivateKey: secret(tlsPrivateKey) },
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !pulumi.Output.isInstance(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
