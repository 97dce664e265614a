import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { environmentDefaults } from "./defaults";
import {
  COMMON_KEYS,
  crossFieldProblems,
  environmentSchema,
  KIND_KEYS,
  kindSchema,
  platformSchemas,
  type CloudKey,
  type Environment,
  type PlatformConfig,
  type PlatformKey,
  type StackKind,
} from "./schema";
import { PRICES } from "../cost/prices";
import { closestKey } from "./suggest";

/** The `monitoring.alerting` knobs holding credentials (URLs with tokens, keys): pulumi secrets after loading. */
const ALERTING_SECRET_KNOBS = ["slackWebhookUrl", "pagerdutyRoutingKey", "webhookUrl", "heartbeatUrl"] as const;
type AlertingSecretKnob = (typeof ALERTING_SECRET_KNOBS)[number];
type PlainAlerting = PlatformConfig["monitoring"]["alerting"];

/** `platform:monitoring.alerting` after validation: every credential a pulumi secret. */
export type AlertingConfig = Readonly<
  Omit<PlainAlerting, AlertingSecretKnob | "email"> & { [K in AlertingSecretKnob]?: pulumi.Output<string> } & {
    email?: Readonly<
      Omit<NonNullable<PlainAlerting["email"]>, "authPassword"> & { authPassword?: pulumi.Output<string> }
    >;
  }
>;

/** `platform:monitoring` of a cloud stack, its alerting credentials as secrets. */
export type CloudMonitoringConfig = Readonly<
  Omit<PlatformConfig["monitoring"], "alerting"> & { alerting: AlertingConfig }
>;

function secretAlerting(alerting: PlainAlerting): AlertingConfig {
  const wrapped: Record<string, unknown> = { ...alerting };
  for (const knob of ALERTING_SECRET_KNOBS)
    if (alerting[knob] !== undefined) wrapped[knob] = pulumi.secret(alerting[knob]);
  const email = alerting.email;
  if (email)
    wrapped.email = {
      ...email,
      authPassword: email.authPassword === undefined ? undefined : pulumi.secret(email.authPassword),
    };
  return wrapped as AlertingConfig;
}

const NAMESPACE = "platform";
const SECRET_KNOBS = new Set([
  "edge.sshPrivateKey",
  "edge.tlsPrivateKey",
  ...ALERTING_SECRET_KNOBS.map((k) => `monitoring.alerting.${k}`),
  "monitoring.alerting.email.authPassword",
]);
const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** Where the program runs: the Pulumi project, stack and organization. */
interface StackIdentity {
  project: string;
  stack: string;
  /** The stack's organization (`organization` on a self-managed backend). */
  organization: string;
}

/** `platform:edge` after validation: site, host and host key always present; the private keys as secrets. */
export type EdgeConfig = Readonly<
  Omit<PlatformConfig["edge"], "sshPrivateKey" | "tlsPrivateKey"> & {
    sshPrivateKey?: pulumi.Output<string>;
    tlsPrivateKey?: pulumi.Output<string>;
  }
>;

/** A cloud stack's validated configuration: AWS, and the Pi sites it serves. */
export type CloudConfig = Readonly<
  StackIdentity &
    Pick<PlatformConfig, Exclude<CloudKey, "monitoring"> | "environment" | "tags"> & {
      monitoring: CloudMonitoringConfig;
      kind: "cloud";
      region: string;
    }
>;

/** The cloud stack an edge stack reads, every part resolved. */
export interface CloudStackRef {
  organization: string;
  project: string;
  stack: string;
  /** `<organization>/<project>/<stack>`, as a StackReference names it. */
  name: string;
}

/** An edge stack's validated configuration: one Pi, and the cloud stack it reads. */
export type EdgeStackConfig = Readonly<
  StackIdentity &
    Pick<PlatformConfig, "environment" | "tags"> & {
      kind: "edge";
      edge: EdgeConfig;
      cloudStack: Readonly<CloudStackRef>;
    }
>;

/** The validated, defaulted, frozen configuration: one of the two kinds of stack. */
export type Config = CloudConfig | EdgeStackConfig;

/** Bad configuration: every problem at once, each naming its full key, the value given and what is expected. */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: readonly string[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`,
    );
    this.name = "ConfigError";
  }
}

export interface ConfigSource {
  /** The flat configuration map as the engine passes it: "ns:key" → string (objects as JSON). */
  values: Record<string, string>;
  project: string;
  stack: string;
  /** Default `organization`, a self-managed backend's. */
  organization?: string;
}

function currentSource(): ConfigSource {
  return {
    values: pulumi.runtime.allConfig(),
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    organization: pulumi.getOrganization(),
  };
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
  if ([...SECRET_KNOBS].some((secret) => secret === knob || secret.startsWith(`${knob}.`))) return "[secret]";
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
  return path.reduce<unknown>(
    (v, k) => (isPlainObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    root,
  );
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
  const hint = suggestion
    ? `did you mean "${NAMESPACE}:${knobName([...path, suggestion])}"?`
    : `known keys: ${known.join(", ")}`;
  return `${NAMESPACE}:${knobName([...path, key])}: unknown key; ${hint}`;
}

function resolveEnvironment(raw: unknown, stack: string, problems: string[]): Environment | undefined {
  const parsed = environmentSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const expected = `"dev" or "prod", the column of defaults stack "${stack}" takes (set it in Pulumi.${stack}.yaml)`;
  problems.push(problemLine(["environment"], raw, expected));
  return undefined;
}

function resolveKind(raw: unknown, stack: string, problems: string[]): StackKind | undefined {
  const parsed = kindSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const expected = `"cloud" (AWS) or "edge" (one Raspberry Pi), what stack "${stack}" holds (set it in Pulumi.${stack}.yaml)`;
  problems.push(problemLine(["kind"], raw, expected));
  return undefined;
}

/** The keys a stack of this kind takes; a key of the other kind is a problem naming where it belongs. */
function keysOf(kind: StackKind): PlatformKey[] {
  return [...COMMON_KEYS, ...KIND_KEYS[kind]];
}

function otherKindLine(key: string, kind: StackKind): string {
  const belongs =
    kind === "cloud" ? "an edge stack's file (platform:kind: edge)" : "the cloud stack's file (platform:kind: cloud)";
  return `${NAMESPACE}:${key}: not a key of a ${kind} stack (platform:kind is "${kind}"); it belongs in ${belongs}`;
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
  const defaults = environmentDefaults[environment] as Partial<Record<PlatformKey, unknown>>;
  return mergeDefaults(defaults[key], given);
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
 * returns one frozen object of the stack's kind. Throws ConfigError listing every problem; no
 * resource is created before this returns.
 */
export function loadConfig(source: ConfigSource = currentSource()): Config {
  const problems: string[] = [];
  const given: Record<string, unknown> = {};
  for (const [fullKey, raw] of Object.entries(source.values)) {
    const [namespace, key] = fullKey.split(":", 2);
    if (namespace === NAMESPACE && key !== undefined) given[key] = parseValue(raw);
  }

  const known = Object.keys(platformSchemas);
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) problems.push(unknownKeyLine([], key, known));
  }

  const kind = resolveKind(given.kind, source.stack, problems);
  const region = source.values["aws:region"];
  if (kind === "cloud" && (!region || !REGION_PATTERN.test(region)))
    problems.push(
      `aws:region: got ${region === undefined ? "nothing" : JSON.stringify(region)}; expected an AWS region such as "us-east-1"`,
    );
  if (kind === "edge" && region !== undefined)
    problems.push(
      `aws:region: got ${JSON.stringify(region)}; expected nothing: an edge stack uses its cloud stack's region (platform:cloudStack)`,
    );

  const environment = resolveEnvironment(given.environment, source.stack, problems);
  const resolved: Partial<PlatformConfig> = {};
  if (kind) {
    const keys = keysOf(kind);
    for (const key of Object.keys(given))
      if (known.includes(key) && !keys.includes(key as PlatformKey)) problems.push(otherKindLine(key, kind));
    if (environment) {
      const merged: Record<string, unknown> = {};
      for (const key of keys) {
        if (key === "environment" || key === "kind") continue;
        merged[key] = withDefaults(key, given[key], environment);
        const value = validateKey(key, merged[key], problems);
        if (value !== undefined) (resolved as Record<string, unknown>)[key] = value;
      }
      for (const p of crossFieldProblems(merged)) problems.push(problemLine(p.path, p.value, p.expected));
      if (kind === "cloud") problems.push(...unpricedProblems(merged, region));
      const dr = merged.dr as { enabled?: unknown; region?: unknown } | undefined;
      if (kind === "cloud" && dr?.enabled === true && dr.region === region)
        problems.push(
          problemLine(
            ["dr", "region"],
            dr.region,
            `a region other than aws:region (${region}): the DR copy must survive the loss of the primary region`,
          ),
        );
    }
  }

  if (problems.length > 0 || !kind || !environment) throw new ConfigError([...new Set(problems)]);
  const identity: StackIdentity = {
    project: source.project,
    stack: source.stack,
    organization: source.organization ?? "organization",
  };
  const valid = resolved as PlatformConfig;
  if (kind === "cloud") {
    const cloud: Record<string, unknown> = { ...identity, kind, environment, region: region as string };
    for (const key of [...KIND_KEYS.cloud, "tags"] as const) cloud[key] = valid[key];
    cloud.monitoring = { ...valid.monitoring, alerting: secretAlerting(valid.monitoring.alerting) };
    return deepFreeze(cloud as CloudConfig);
  }
  const { sshPrivateKey, tlsPrivateKey, ...edge } = valid.edge;
  const secret = (value: string | undefined) => (value === undefined ? undefined : pulumi.secret(value));
  const organization = valid.cloudStack.organization ?? identity.organization;
  const project = valid.cloudStack.project ?? identity.project;
  const config: EdgeStackConfig = {
    ...identity,
    kind,
    environment,
    tags: valid.tags,
    edge: { ...edge, sshPrivateKey: secret(sshPrivateKey), tlsPrivateKey: secret(tlsPrivateKey) },
    cloudStack: {
      organization,
      project,
      stack: valid.cloudStack.stack,
      name: `${organization}/${project}/${valid.cloudStack.stack}`,
    },
  };
  return deepFreeze(config);
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

/**
 * The cost estimate never counts a resource as free because its price is missing: a region, node
 * type, database class or cache node type the price table (cost/prices.json) does not have is a
 * config error naming what it has. Add a price there, with its source and date, to use another.
 */
function unpricedProblems(merged: Record<string, unknown>, region: string | undefined): string[] {
  if (!region) return [];
  const table = Object.hasOwn(PRICES, region) ? PRICES[region] : undefined;
  const fix =
    "price it first with npm run prices:update -- --region REGION or --add ec2|rdsPostgres|elasticache:NAME (docs/cost.md)";
  if (!table)
    return [
      `aws:region: got ${JSON.stringify(region)}; expected a region the cost estimate prices (${Object.keys(PRICES).join(", ")}); ${fix}`,
    ];
  const section = (key: string) => (isPlainObject(merged[key]) ? merged[key] : {}) as Record<string, unknown>;
  const checks: [string[], unknown, Record<string, unknown>][] = [
    [["cluster", "instanceTypes"], section("cluster").instanceTypes, table.ec2],
    [["database", "instanceClass"], section("database").instanceClass, table.rdsPostgres],
    [["cache", "nodeType"], section("cache").nodeType, table.elasticache],
    [["karpenter", "instanceTypes"], section("karpenter").instanceTypes, table.ec2],
  ];
  return checks.flatMap(([path, value, priced]) =>
    asList(value)
      .filter((v) => typeof v === "string" && !Object.hasOwn(priced, v))
      .map((v) =>
        problemLine(path, v, `one the cost estimate prices in ${region} (${Object.keys(priced).join(", ")}); ${fix}`),
      ),
  );
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !pulumi.Output.isInstance(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
