import * as fs from "node:fs";
import * as path from "node:path";
import { DUMP_SCRIPT, UPLOAD_SCRIPT } from "../../components/app-platform";
import type { Config } from "../../config";

/** Writes one rendered artifact under `dir` and returns its path relative to `dir`. */
export function writeArtifact(dir: string, relative: string, content: string, mode = 0o644): string {
  const file = path.join(dir, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  return relative;
}

function emitClusterArtifacts(dir: string): string[] {
  return [
    writeArtifact(dir, "cluster/scripts/db-dump.sh", DUMP_SCRIPT, 0o755),
    writeArtifact(dir, "cluster/scripts/db-upload.sh", UPLOAD_SCRIPT, 0o755),
  ];
}

/** Every emitter, each writing the files its part of the program renders, with stable names. */
const EMITTERS: ((dir: string, config: Config) => string[])[] = [emitClusterArtifacts];

/** Writes what the program renders (configs, scripts, rules, dashboards) for offline checks. */
export function emitArtifacts(dir: string, config: Config): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return EMITTERS.flatMap((emit) => emit(dir, config)).sort();
}
