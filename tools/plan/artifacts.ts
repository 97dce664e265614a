import * as fs from "node:fs";
import * as path from "node:path";

/** Writes one rendered artifact under `dir` and returns its path relative to `dir`. */
export function writeArtifact(dir: string, relative: string, content: string, mode = 0o644): string {
  const file = path.join(dir, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  return relative;
}
