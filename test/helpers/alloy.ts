import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { captured, item } from "./assert";
import { PROJECT_DIR } from "./program";

/**
 * Alloy configurations parsed structurally (no `alloy` binary here to run `alloy fmt`/`validate`):
 * strings and braces balanced, each top-level block a known component with a unique label, every
 * reference naming a declared component's export, and arguments and blocks checked against the
 * component reference in test/fixtures/alloy-1.18.1.components.yaml. Used for the cluster's
 * DaemonSet (components/monitoring/logs.ts) and the Pis' agent (components/edge/logs.ts).
 */
export interface ComponentDoc {
  arguments: string[];
  blocks: Record<string, string[]>;
  exports: string[];
}
export const COMPONENTS = parse(
  fs.readFileSync(path.join(PROJECT_DIR, "test/fixtures/alloy-1.18.1.components.yaml"), "utf8"),
) as Record<string, ComponentDoc>;
export const COMPONENT_EXPORTS: Record<string, string[]> = Object.fromEntries(
  Object.entries(COMPONENTS).map(([c, doc]) => [c, doc.exports]),
);

/** Each top-level block's body: its attribute names outside nested blocks, and each nested block's attribute names. */
export function blockBodies(text: string): { component: string; attributes: string[]; blocks: [string, string[]][] }[] {
  return [...text.matchAll(/^([a-z_.]+) "[^"]*" \{\n([\s\S]*?)^\}$/gm)].map((m) => {
    const body = captured(m, 2, "block body");
    const blocks: [string, string[]][] = [...body.matchAll(/^ {2}([a-z_.]+) \{(?:\}|\n([\s\S]*?)^ {2}\})$/gm)].map(
      (b) => [
        captured(b, 1, "nested block"),
        [...(b[2] ?? "").matchAll(/^ {4}(\w+)\s+=/gm)].map((a) => captured(a, 1, "attribute")),
      ],
    );
    const attributes = [...body.matchAll(/^ {2}(\w+)\s+=/gm)].map((a) => captured(a, 1, "attribute"));
    return { component: captured(m, 1, "component"), attributes, blocks };
  });
}

export function parseAlloy(text: string): { blocks: Map<string, string>; references: string[] } {
  // Strings out first (their contents may hold braces or dots), then balance.
  const strings: string[] = [];
  const code = text.replace(/"(?:[^"\\\n]|\\.)*"/g, (s) => {
    strings.push(s);
    return `"#${strings.length - 1}"`;
  });
  assert.ok(!code.replace(/"#\d+"/g, "").includes('"'), "every string is closed on its line");
  let depth = 0;
  for (const ch of code) {
    if (ch === "{" || ch === "[") depth++;
    if (ch === "}" || ch === "]") depth--;
    assert.ok(depth >= 0, "no closing brace before its opening one");
  }
  assert.equal(depth, 0, "braces and brackets balanced");
  const blocks = new Map<string, string>();
  for (const match of code.matchAll(/^([a-z_.]+) "#(\d+)" \{$/gm)) {
    const component = captured(match, 1, "component");
    const label = JSON.parse(item(strings, Number(captured(match, 2, "label")), "strings")) as string;
    const id = `${component}.${label}`;
    assert.ok(component in COMPONENT_EXPORTS, `${component} is a known component`);
    assert.ok(!blocks.has(id), `${id} declared once`);
    blocks.set(id, component);
  }
  const references = [...code.matchAll(/=\s*\[?((?:discovery|local|loki)\.[a-z_.]+)\]?$/gm)].map((m) =>
    captured(m, 1, "reference"),
  );
  return { blocks, references };
}
