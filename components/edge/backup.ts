import { EDGE_PATHS } from "./scripts";

/**
 * The backup unit's environment (not secret: the credentials are in their own file). Objects land
 * under `<prefix><site>/`, the one folder the site's identity may write.
 */
export function backupEnv(args: {
  bucketName: string;
  prefix: string;
  region: string;
  site: string;
  retentionDays: number;
  host: string;
  tiers: boolean;
  /** The certificate nginx serves, when not /etc/edge/tls/cert.pem (ACME's): pi-metrics.sh reads its expiry. */
  tlsCertificate?: string;
}): string {
  return [
    `EDGE_DB=${EDGE_PATHS.database}`,
    // The app's other files and the (non-secret) configuration go into the same archive.
    `EDGE_DATA_DIR=${EDGE_PATHS.data}`,
    `EDGE_CONFIG_DIR=${EDGE_PATHS.etc}`,
    `EDGE_BACKUP_DIR=${EDGE_PATHS.backups}`,
    `EDGE_BACKUP_RETENTION_DAYS=${args.retentionDays}`,
    `EDGE_BACKUP_BUCKET=${args.bucketName}`,
    `EDGE_BACKUP_PREFIX=${args.prefix}`,
    `EDGE_SITE=${args.site}`,
    // 1: upload under <site>/<daily|weekly|monthly>/, kept by the bucket's lifecycle for each tier's days.
    `EDGE_BACKUP_TIERS=${args.tiers ? 1 : 0}`,
    // The name nginx serves: pi-metrics.sh probes the app's /health through it.
    `EDGE_HOST=${args.host}`,
    `EDGE_TEXTFILE_DIR=${EDGE_PATHS.textfile}`,
    `AWS_DEFAULT_REGION=${args.region}`,
    ...(args.tlsCertificate ? [`EDGE_TLS_CERT=${args.tlsCertificate}`] : []),
    "",
  ].join("\n");
}
