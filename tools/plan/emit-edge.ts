import { writeArtifact } from "./artifacts";
import type { EdgeStackConfig } from "../../config";
import { BACKUP_PREFIXES } from "../../components/backups";
import { backupEnv } from "../../components/edge/backup";
import { renderPrometheusAgentConfig } from "../../components/edge/metrics";
import { emitEdgeAlloyConfig } from "../../components/edge/logs";
import { nginxConfArgs, renderNginxConf } from "../../components/edge/nginx";
import { ACME_PATHS, nginxTlsArgs } from "../../components/edge/acme";
import { renderSshdConfig } from "../../components/edge/sshd";
import { EDGE_SCRIPTS, EDGE_UNITS } from "../../components/edge/scripts";

/**
 * Writes what the edge stack sends to its Pi under `dir/edge/`: nginx.conf, every script, the
 * systemd units, the sshd drop-in, the agent config (without remote_write: the URL comes from the cloud stack) and
 * the backup environment with placeholders for what the cloud stack gives.
 */
export function emitEdge(dir: string, config: EdgeStackConfig): string[] {
  const { edge } = config;
  return [
    writeArtifact(
      dir,
      "edge/nginx.conf",
      renderNginxConf({ ...nginxConfArgs(edge, edge.tlsCertificate !== undefined), ...nginxTlsArgs(edge) }),
    ),
    writeArtifact(dir, "edge/sshd_config.d/10-edge.conf", renderSshdConfig({ user: edge.user, port: edge.port })),
    writeArtifact(dir, "edge/prometheus-agent.yml", renderPrometheusAgentConfig({ site: edge.site })),
    // The log agent's config with the site's real gateway port; the API server is a placeholder.
    writeArtifact(dir, "edge/alloy/config.alloy", emitEdgeAlloyConfig(edge.site, config.environment)),
    writeArtifact(
      dir,
      "edge/backup.env",
      backupEnv({
        bucketName: "<backup-bucket>",
        prefix: BACKUP_PREFIXES.edge,
        region: "<cloud-stack-region>",
        site: edge.site,
        retentionDays: edge.backupRetentionDays,
        host: edge.host,
        tiers: false,
        ...(edge.acme ? { tlsCertificate: ACME_PATHS.certificate } : {}),
      }),
    ),
    ...Object.entries(EDGE_SCRIPTS).map(([file, content]) =>
      writeArtifact(dir, `edge/scripts/${file}`, content, 0o755),
    ),
    ...Object.entries(EDGE_UNITS).map(([file, content]) => writeArtifact(dir, `edge/systemd/${file}`, content)),
  ];
}
