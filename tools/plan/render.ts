import type { Capture, CapturedResource } from "./capture";
import { resourceKey } from "./capture";

const MAX_INPUTS = 5;
const MAX_VALUE = 60;

/** Inputs that say most about a resource at a glance; others are left to `--json`. */
const KEY_INPUTS: Record<string, string[]> = {
  "awsx:ec2:Vpc": ["cidrBlock", "numberOfAvailabilityZones", "natGateways"],
  "aws:rds/instance:Instance": [
    "engine",
    "engineVersion",
    "instanceClass",
    "multiAz",
    "allocatedStorage",
    "backupRetentionPeriod",
    "deletionProtection",
  ],
  "aws:elasticache/replicationGroup:ReplicationGroup": [
    "engine",
    "engineVersion",
    "nodeType",
    "numCacheClusters",
    "automaticFailoverEnabled",
  ],
  "aws:ecr/repository:Repository": ["name", "imageTagMutability"],
  "eks:index:Cluster": ["version", "authenticationMode", "upgradePolicy"],
  "kubernetes:helm.sh/v3:Release": ["chart", "version", "namespace"],
};

const NOISE = new Set(["tags", "tagsAll", "__defaults"]);

/** One line per value: embedded newlines (scripts, PEM) are shown escaped, never breaking the tree. */
function short(value: unknown): string {
  const text = (typeof value === "string" ? value : JSON.stringify(value)).replace(/\r?\n/g, "\\n");
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function keyInputs(r: CapturedResource): string {
  const wanted = KEY_INPUTS[r.type];
  const entries = wanted
    ? wanted.filter((k) => r.inputs[k] !== undefined).map((k) => [k, r.inputs[k]] as const)
    : Object.entries(r.inputs)
        .filter(([k, v]) => !NOISE.has(k) && (typeof v !== "object" || v === null))
        .slice(0, MAX_INPUTS);
  const flags = [r.options.protect ? "protect" : "", r.options.retainOnDelete ? "retainOnDelete" : ""].filter(Boolean);
  const parts = entries.map(([k, v]) => `${k}=${short(v)}`);
  if (flags.length) parts.push(`[${flags.join(", ")}]`);
  return parts.join("  ");
}

/** The resources as an indented tree under the stack: type, name and key inputs. */
export function renderTree(capture: Capture): string {
  const children = new Map<string | undefined, CapturedResource[]>();
  const known = new Set(capture.resources.map((r) => resourceKey(r.type, r.name)));
  for (const r of capture.resources) {
    const parent = r.parent && known.has(r.parent) ? r.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const lines = [`${capture.project}-${capture.stack} (pulumi:pulumi:Stack, ${capture.resources.length} resources)`];
  const walk = (parent: string | undefined, prefix: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      const details = keyInputs(r);
      lines.push(`${prefix}${last ? "└─ " : "├─ "}${r.type}  ${r.name}${details ? `  ${details}` : ""}`);
      walk(resourceKey(r.type, r.name), `${prefix}${last ? "   " : "│  "}`);
    });
  };
  walk(undefined, "");
  return lines.join("\n");
}

export function renderOutputs(capture: Capture): string {
  const names = Object.keys(capture.outputs);
  if (names.length === 0) return "";
  const lines = ["Outputs:"];
  for (const [name, output] of Object.entries(capture.outputs)) lines.push(`  ${name}: ${short(output.value)}`);
  return lines.join("\n");
}

/** The `--json` shape: later sections (policy, cost) are added next to `resources`. */
export function toJson(capture: Capture): Record<string, unknown> {
  return {
    stack: capture.stack,
    resources: capture.resources.map((r) => ({
      type: r.type,
      name: r.name,
      parent: r.parent ?? null,
      inputs: r.inputs,
      options: r.options,
    })),
    outputs: Object.fromEntries(Object.entries(capture.outputs).map(([k, o]) => [k, o.value])),
    // Which outputs are secret (their leaves are "[secret]"): an edge stack's --cloud-plan reads this.
    secretOutputs: Object.entries(capture.outputs)
      .filter(([, o]) => o.secret)
      .map(([k]) => k),
  };
}

/** What the text output says first: nothing was contacted, and what stands for the cloud's values. */
export function offlineHeader(stack: string): string {
  return `Offline plan of stack ${stack} under the Pulumi SDK's mocks: nothing was contacted; values the cloud computes show as <computed>, the account as <account>.`;
}

/**
 * Lines no wider than `width`: a long line breaks at a space, its continuation indented under
 * its start (the tree's prefix plus four spaces); a word longer than the room is cut with "…".
 */
export function wrapLines(text: string, width: number): string {
  return text
    .split("\n")
    .flatMap((line) => {
      if (line.length <= width) return [line];
      const indent = " ".repeat(Math.min(/^[│├└─ ]*/u.exec(line)?.[0].length ?? 0, width / 2) + 4);
      const out: string[] = [];
      let rest = line;
      let prefix = "";
      while ((prefix + rest).length > width) {
        const room = width - prefix.length;
        const cut = rest.lastIndexOf(" ", room);
        if (cut <= 0) {
          out.push(`${prefix}${rest.slice(0, room - 1)}…`);
          rest = "";
          break;
        }
        out.push(`${prefix}${rest.slice(0, cut).trimEnd()}`);
        rest = rest.slice(cut).trimStart();
        prefix = indent;
      }
      if (rest) out.push(`${prefix}${rest}`);
      return out;
    })
    .join("\n");
}
