import { writeArtifact } from "../../tools/plan/artifacts";
import type { Config } from "../../config";
import { backupEnv } from "./backup";
import { renderPrometheusAgentConfig } from "./metrics";
import { renderNginxConf } from "./nginx";
import { EDGE_SCRIPTS, EDGE_UNITS } from "./scripts";

/**
 * Writes what the edge sends to the Pi under `dir/edge/`: nginx.conf, every script, the systemd
 * units, the agent config (without remote_write: the URL is known only to the deployed stack)
 * and the backup environment with a placeholder bucket. Nothing when the edge is disabled.
 */
export function emitEdge(dir: string, config: Config): string[] {
  const edge = config.edge;
  if (!edge.enabled || !edge.host) return [];
  const host = edge.host;
  return [
    writeArtifact(dir, "edge/nginx.conf", renderNginxConf({ serverName: host, hsts: edge.tlsCertificate !== undefined })),
    writeArtifact(dir, "edge/prometheus-agent.yml", renderPrometheusAgentConfig({ site: host })),
    writeArtifact(
      dir,
      "edge/backup.env",
      backupEnv({ bucketName: "<backup-bucket>", prefix: "edge/", region: config.region, site: host, retentionDays: edge.backupRetentionDays }),
    ),
    ...Object.entries(EDGE_SCRIPTS).map(([file, content]) => writeArtifact(dir, `edge/scripts/${file}`, content, 0o755)),
    ...Object.entries(EDGE_UNITS).map(([file, content]) => writeArtifact(dir, `edge/systemd/${file}`, content)),
  ];
}
