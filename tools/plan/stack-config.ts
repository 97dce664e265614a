import * as fs from "node:fs";
import * as path from "node:path";
import { parse, YAMLParseError } from "yaml";
import { UsageError } from "./errors";

/** A stack's configuration as the Pulumi CLI would hand it to the program. */
export interface StackConfig {
  project: string;
  stack: string;
  /** "namespace:key" → string; structured values as JSON, like the engine's PULUMI_CONFIG. */
  values: Record<string, string>;
  /** Keys holding a `secure:` value anywhere inside them. */
  secretKeys: string[];
  /** Declared in Pulumi.yaml with no default and not set by the stack. */
  missing: string[];
}

export const SECRET_PLACEHOLDER = "[secret]";

type Yaml = Record<string, unknown>;

function isSecure(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;
}

/** Replaces `secure:` leaves with a placeholder; reports whether there were any. */
function redactSecure(value: unknown): { value: unknown; secret: boolean } {
  if (isSecure(value)) return { value: SECRET_PLACEHOLDER, secret: true };
  if (Array.isArray(value)) {
    const items = value.map(redactSecure);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (typeof value === "object" && value !== null) {
    let secret = false;
    const out: Yaml = {};
    for (const [k, v] of Object.entries(value)) {
      const r = redactSecure(v);
      out[k] = r.value;
      secret ||= r.secret;
    }
    return { value: out, secret };
  }
  return { value, secret: false };
}

/** Scalars are passed as their string form, objects and arrays as JSON, as the CLI does. */
function encode(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
}

function qualify(key: string, project: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/** A YAML file as an object; a syntax error names the file, line and column. */
function readYaml(file: string): Yaml {
  let parsed: unknown;
  try {
    parsed = parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    const at = error.linePos?.[0];
    const where = at ? `${path.basename(file)}:${at.line}:${at.col}` : path.basename(file);
    throw new UsageError(`${where}: ${error.message.split("\n")[0]}`);
  }
  if (parsed !== null && parsed !== undefined && (typeof parsed !== "object" || Array.isArray(parsed)))
    throw new UsageError(`${path.basename(file)}: expected a mapping at the top level`);
  return (parsed ?? {}) as Yaml;
}

/** The stacks with a file in `projectDir` (`Pulumi.<stack>.yaml`). */
export function stacksIn(projectDir: string): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/**
 * Merges Pulumi.yaml's project-level config (defaults and values) under Pulumi.<stack>.yaml,
 * key by key, the way the CLI does before it starts the program.
 */
export function readStackConfig(projectDir: string, stack: string): StackConfig {
  if (!fs.existsSync(path.join(projectDir, "Pulumi.yaml"))) throw new UsageError(`no Pulumi.yaml in ${projectDir}`);
  const projectFile = readYaml(path.join(projectDir, "Pulumi.yaml"));
  const project = String(projectFile.name);
  const stackPath = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackPath))
    throw new UsageError(
      `unknown stack "${stack}": no ${path.basename(stackPath)} in ${projectDir}; the stacks there are ${stacksIn(projectDir).join(", ") || "none"}`,
    );
  const stackConfig = (readYaml(stackPath).config ?? {}) as Yaml;

  const merged = new Map<string, unknown>();
  const required: string[] = [];
  for (const [key, declaration] of Object.entries((projectFile.config ?? {}) as Yaml)) {
    const fullKey = qualify(key, project);
    const isDeclaration = typeof declaration === "object" && declaration !== null && !Array.isArray(declaration);
    if (!isDeclaration) merged.set(fullKey, declaration);
    else if ("value" in declaration) merged.set(fullKey, (declaration as Yaml).value);
    else if ("default" in declaration) merged.set(fullKey, (declaration as Yaml).default);
    else required.push(fullKey);
  }
  for (const [key, value] of Object.entries(stackConfig)) merged.set(qualify(key, project), value);

  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of merged) {
    const redacted = redactSecure(value);
    values[key] = encode(redacted.value);
    if (redacted.secret) secretKeys.push(key);
  }
  return { project, stack, values, secretKeys, missing: required.filter((k) => !(k in values)) };
}
