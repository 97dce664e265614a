import * as aws from "@pulumi/aws";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { edgeSitePrefix, writerStatements } from "./backups";
import { ecrPullStatements, ecrRepositoryArn } from "./edge/ecr";
import { siteRemoteWriteToken, type RemoteWriteReceiver } from "./monitoring";

/** What one Pi site holds, secret: its AWS access key and, with a metrics receiver, its remote-write token. */
export interface EdgeSiteCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Bearer token for the cluster's remote-write proxy; absent when the cloud stack has no monitoring. */
  metricsToken?: string;
}

export interface EdgeSiteAccessArgs {
  /** The site's name (`platform:edgeSites`), a DNS label. */
  site: string;
  /** The backup bucket and its KMS key, from the Backups component. */
  backup: { bucketArn: pulumi.Input<string>; kmsKeyArn: pulumi.Input<string> };
  /** URL of the `edge-app` ECR repository the Pi pulls from. */
  appRepositoryUrl: pulumi.Input<string>;
  /** The metrics receiver and the cluster's provider; undefined when the stack has no monitoring. */
  remoteWrite?: { receiver: RemoteWriteReceiver; provider: k8s.Provider };
}

/** The IAM policy of one site: put under its own backup folder, pull the edge app image; nothing else. */
export function siteAccessPolicy(args: {
  bucketArn: string;
  kmsKeyArn: string;
  repositoryArn: string;
  site: string;
}): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      ...writerStatements(args.bucketArn, args.kmsKeyArn, edgeSitePrefix(args.site)),
      ...ecrPullStatements(args.repositoryArn),
    ],
  });
}

/**
 * Everything the cloud stack gives one Pi site, created in the cloud stack so that an edge stack
 * needs no IAM or cluster rights: an IAM user that may only put objects under `edge/<site>/` of
 * the backup bucket and pull the edge app image, its access key, and (with monitoring) a service
 * account token allowed only to remote-write. Removing the site from `platform:edgeSites` deletes
 * all of it, which revokes that Pi alone; rotate a key with `pulumi up --replace` on it.
 */
export class EdgeSiteAccess extends pulumi.ComponentResource {
  readonly site: string;
  /** `edge/<site>/`: the only prefix of the backup bucket this site may write. */
  readonly backupPrefix: string;
  readonly userArn: pulumi.Output<string>;
  /** The site's credentials (secret). */
  readonly credentials: pulumi.Output<EdgeSiteCredentials>;

  constructor(name: string, args: EdgeSiteAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:edge:SiteAccess", name, {}, opts);
    const { site } = args;
    const user = new aws.iam.User(
      name,
      { path: "/edge/", forceDestroy: true, tags: { "edge-site": site } },
      { parent: this },
    );
    new aws.iam.UserPolicy(
      name,
      {
        user: user.name,
        policy: pulumi
          .all([args.backup.bucketArn, args.backup.kmsKeyArn, args.appRepositoryUrl])
          .apply(([bucketArn, kmsKeyArn, url]) =>
            siteAccessPolicy({ bucketArn, kmsKeyArn, repositoryArn: ecrRepositoryArn(url), site }),
          ),
      },
      { parent: this },
    );
    const key = new aws.iam.AccessKey(name, { user: user.name }, { parent: this, additionalSecretOutputs: ["secret"] });
    const metricsToken = args.remoteWrite
      ? siteRemoteWriteToken(name, site, args.remoteWrite.receiver, {
          parent: this,
          provider: args.remoteWrite.provider,
        })
      : pulumi.output(undefined);

    this.site = site;
    this.backupPrefix = edgeSitePrefix(site);
    this.userArn = user.arn;
    this.credentials = pulumi.secret(
      pulumi.all([key.id, key.secret, metricsToken]).apply(([accessKeyId, secretAccessKey, token]) => ({
        accessKeyId,
        secretAccessKey,
        ...(token === undefined ? {} : { metricsToken: token }),
      })),
    );
    this.registerOutputs({
      site,
      backupPrefix: this.backupPrefix,
      userArn: this.userArn,
      credentials: this.credentials,
    });
  }
}
