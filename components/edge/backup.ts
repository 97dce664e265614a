import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EDGE_PATHS } from "./scripts";

/** Where the Pi's backups go, from the Backups component. */
export interface EdgeBackupTarget {
  bucketName: pulumi.Input<string>;
  /** Prefix of the edge writer, e.g. `edge/`; objects land under `<prefix><site>/`. */
  prefix: string;
  /** The IAM policy that may only put objects under `prefix`. */
  writerPolicyArn: pulumi.Input<string>;
  region: string;
}

/**
 * The Pi's own AWS identity: an IAM user whose only permission is the edge writer policy
 * (put under `edge/`, no read, no delete), and its access key. The credentials file is a secret
 * and lands on the Pi as root-only 0600. Rotate with `pulumi up --replace` on the access key.
 */
export function backupCredentials(parent: pulumi.Resource, name: string, target: EdgeBackupTarget) {
  const user = new aws.iam.User(`${name}-edge-backup`, { path: "/edge/", forceDestroy: true }, { parent });
  new aws.iam.UserPolicyAttachment(`${name}-edge-backup`, { user: user.name, policyArn: target.writerPolicyArn }, { parent });
  const key = new aws.iam.AccessKey(`${name}-edge-backup`, { user: user.name }, { parent, additionalSecretOutputs: ["secret"] });
  const credentialsFile = pulumi.secret(
    pulumi.interpolate`[default]\naws_access_key_id = ${key.id}\naws_secret_access_key = ${key.secret}\nregion = ${target.region}\n`,
  );
  return { user, accessKeyId: key.id, credentialsFile };
}

/** The backup unit's environment (not secret: the credentials are in their own file). */
export function backupEnv(args: { bucketName: string; prefix: string; region: string; site: string; retentionDays: number }): string {
  return [
    `EDGE_DB=${EDGE_PATHS.database}`,
    `EDGE_BACKUP_DIR=${EDGE_PATHS.backups}`,
    `EDGE_BACKUP_RETENTION_DAYS=${args.retentionDays}`,
    `EDGE_BACKUP_BUCKET=${args.bucketName}`,
    `EDGE_BACKUP_PREFIX=${args.prefix}`,
    `EDGE_SITE=${args.site}`,
    `EDGE_TEXTFILE_DIR=${EDGE_PATHS.textfile}`,
    `AWS_DEFAULT_REGION=${args.region}`,
    "",
  ].join("\n");
}
