import * as fs from "node:fs";
import { DUMP_SCRIPT, UPLOAD_SCRIPT } from "../../components/app-platform";
import { emitEdge } from "../../components/edge/emit";
import { emitMonitoring } from "../../components/monitoring/emit";
import type { Config } from "../../config";
import { writeArtifact } from "./artifacts";


function emitClusterArtifacts(dir: string): string[] {
  return [
    writeArtifact(dir, "cluster/scripts/db-dump.sh", DUMP_SCRIPT, 0o755),
    writeArtifact(dir, "cluster/scripts/db-upload.sh", UPLOAD_SCRIPT, 0o755),
  ];
}

/** Every emitter, each writing the files its part of the program renders, with stable names. */
const EMITTERS: ((dir: string, config: Config) => string[])[] = [emitClusterArtifacts, emitMonitoring, emitEdge];

/** Writes what the program renders (configs, scripts, rules, dashboards) for offline checks. */
export function emitArtifacts(dir: string, config: Config): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return EMITTERS.flatMap((emit) => emit(dir, config)).sort();
}
