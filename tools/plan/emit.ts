import * as fs from "node:fs";
import { DEFAULT_DATABASE_NAME, maxConnectionsFor } from "../../components/database";
import { DB_USERS_SCRIPT, DUMP_SCRIPT, RESTORE_SCRIPT, UPLOAD_SCRIPT } from "../../components/app-platform";
import { renderDbUsersSql } from "../../components/app-platform/db-users";
import { natInstanceUserData } from "../../components/nat-instance";
import { emitEdge } from "./emit-edge";
import { emitMonitoring } from "./emit-monitoring";
import type { CloudConfig, Config } from "../../config";
import { writeArtifact } from "./artifacts";

function emitCloud(dir: string, config: CloudConfig): string[] {
  return [
    writeArtifact(dir, "cluster/scripts/db-dump.sh", DUMP_SCRIPT, 0o755),
    writeArtifact(dir, "cluster/scripts/db-upload.sh", UPLOAD_SCRIPT, 0o755),
    writeArtifact(dir, "cluster/scripts/db-restore.sh", RESTORE_SCRIPT, 0o755),
    writeArtifact(dir, "cluster/scripts/db-users.sh", DB_USERS_SCRIPT, 0o755),
    writeArtifact(
      dir,
      "cluster/scripts/db-users.sql",
      renderDbUsersSql({
        database: DEFAULT_DATABASE_NAME,
        appUser: config.database.appUser,
        dumpUser: config.database.dumpUser,
      }),
    ),
    ...(config.network.natGateways === "instance"
      ? [writeArtifact(dir, "network/nat-instance-user-data.sh", natInstanceUserData(config.network.cidr), 0o755)]
      : []),
    ...(config.monitoring.enabled
      ? emitMonitoring(
          dir,
          config.edgeSites,
          config.monitoring.alerting,
          maxConnectionsFor(config.database.instanceClass),
        )
      : []),
  ];
}

/** Writes what the stack's kind renders (configs, scripts, rules, dashboards) for offline checks, with stable names. */
export function emitArtifacts(dir: string, config: Config): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return (config.kind === "cloud" ? emitCloud(dir, config) : emitEdge(dir, config)).sort();
}
