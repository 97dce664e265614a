import * as aws from "@pulumi/aws";
import { remote } from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { EDGE_OS_RESERVE_MB, edgeMemoryBudget } from "../../config/schema";
import { BACKUP_PREFIXES } from "../backups";
import type { EdgeSiteCredentials } from "../edge-sites";
import { backupEnv } from "./backup";
import { CONTAINER_NAMES, createContainers, REDIS_CONF_HOST_PATH, REDIS_UID, renderRedisConf } from "./containers";
import { parseEcrRepositoryUrl } from "./ecr";
import { connection, dockerSshOpts, remoteFile, remoteScript, type Connection, type EdgeConfig } from "./host";
import { resolveAppImage } from "./images";
import { describeAppImage } from "./app-image";
import { AGENT_UID, renderPrometheusAgentConfig } from "./metrics";
import { createLogAgent, renderEdgeAlloyConfig } from "./logs";
import { siteLogsPushUrl } from "../monitoring/remote-write";
import { nginxConfArgs, renderNginxConf } from "./nginx";
import { ACME_PATHS, acmeCertificate, nginxTlsArgs } from "./acme";
import { renderSshdConfig } from "./sshd";
import { EDGE_PATHS, EDGE_SCRIPTS, EDGE_UNITS, sha256 } from "./scripts";
import { edgeCertificate } from "./tls";
import { APP_ROLLBACK_SCRIPT, gateStateFiles, healthGate, PREVIOUS_APP_IMAGE_FILE } from "./gate";
import { IDENTITY_PATHS, renderAwsConfig, SIGNING_HELPER, type SiteIdentity } from "./identity";

export {
  CONTAINER_CAPABILITIES,
  CONTAINER_NAMES,
  READ_ONLY_ROOT,
  REDIS_CONF_HOST_PATH,
  redisMaxMemoryMb,
} from "./containers";
export { EDGE_IMAGES, EDGE_PLATFORM, resolveAppImage } from "./images";
export { ecrPullStatements, ecrRepositoryArn } from "./ecr";
export { knownHostsLine } from "./host";
export { AGENT_SECRET_FILES, renderPrometheusAgentConfig } from "./metrics";
export { LOG_AGENT_CONTAINER, renderEdgeAlloyConfig } from "./logs";
export { nginxConfArgs, renderNginxConf } from "./nginx";
export { renderSshdConfig, SSHD_DROP_IN } from "./sshd";
export { EDGE_PATHS, EDGE_SCRIPTS, EDGE_UNITS } from "./scripts";
export { IDENTITY_PATHS, renderAwsConfig, SIGNING_HELPER } from "./identity";

/** Where the Pi's metrics go: the cluster API server's proxy URL of Prometheus' remote-write receiver, and the CA that signs the API server's certificate. */
export interface EdgeMetricsTarget {
  /** `https://<api server>/api/v1/namespaces/<ns>/services/<prometheus>:9090/proxy/api/v1/write`. */
  url: string;
  caPem: string;
}

/** What the cloud stack gives this site, read through the edge stack's StackReference. */
export interface EdgeCloudInputs {
  /** The cloud stack's AWS region (the bucket's and the registry's). */
  region: pulumi.Input<string>;
  /** The S3 backup bucket; this site may only put objects under `edge/<site>/`. */
  backupBucket: pulumi.Input<string>;
  /** URL of the cloud stack's ECR `edge-app` repository (`<account>.dkr.ecr.<region>.amazonaws.com/edge-app`). */
  appRepositoryUrl: pulumi.Input<string>;
  /** The site's Roles Anywhere private key and metrics token (secret). */
  credentials: pulumi.Input<EdgeSiteCredentials>;
  /** The site's Roles Anywhere trust anchor, profile, role and client certificate. */
  identity: pulumi.Input<SiteIdentity>;
  /** Whether the bucket keeps weekly and monthly copies apart: the Pi then uploads under `<site>/<daily|weekly|monthly>/`. */
  backupTiers: pulumi.Input<boolean>;
  /** The remote-write receiver; undefined when the cloud stack has no monitoring (metrics stay on the Pi). */
  metrics: pulumi.Input<EdgeMetricsTarget | undefined>;
}

export interface EdgeArgs {
  /** `platform:edge`, validated: site, host and host key are always set. */
  config: EdgeConfig;
  /** What the cloud stack gives this site. */
  cloud: EdgeCloudInputs;
  /**
   * The AWS provider (cloud stack's region) for looking up the newest `edge-app` image when
   * `edge.appImage` is unset. Default: none, which requires `edge.appImage`.
   */
  awsProvider?: aws.Provider;
  /** uid and gid the app image runs as; it owns the SQLite directory. Default 1000. */
  appUid?: number;
  /** Memory the app is guaranteed under contention, MB. Default 256. */
  appReservationMb?: number;
  /** `dev` or `prod`: the `environment` label on the Pi's logs. Default: the label is `unknown`. */
  environment?: string;
}

/**
 * The pre-deploy command on the Pi: records the image the app runs now (the deploy gate rolls back
 * to it when the new one fails), marks the new image unverified until it passes the gate, then
 * runs the backup unit to completion when there is a database. After an automatic rollback it
 * then removes the rolled-back container, which Pulumi does not know, so that it can create the
 * configured one under the same name.
 */
export function preDeployBackupCommand(
  database: string = EDGE_PATHS.database,
  previousImageFile: string = PREVIOUS_APP_IMAGE_FILE,
): string {
  const tmp = `${previousImageFile}.new`;
  const { unverifiedImage, rollbackState } = gateStateFiles(previousImageFile);
  return (
    `{ sudo docker inspect -f '{{.Config.Image}}' ${CONTAINER_NAMES.app} 2>/dev/null | sudo tee ${tmp} >/dev/null; ` +
    `if sudo test -s ${tmp}; then sudo mv ${tmp} ${previousImageFile}; else sudo rm -f ${tmp}; fi; } && ` +
    `sudo touch ${unverifiedImage} && ` +
    `if sudo test -f ${database}; then sudo systemctl start edge-backup.service && echo "pre-deploy backup done"; ` +
    `else echo "no database at ${database} yet: nothing to back up"; fi && ` +
    // Tolerant of a container already gone (removed by hand): the marker is what matters.
    `if sudo test -e ${rollbackState}; then sudo docker rm --force ${CONTAINER_NAMES.app} >/dev/null 2>&1; sudo rm -f ${rollbackState} && ` +
    `echo "removed the rolled-back ${CONTAINER_NAMES.app} container: this deploy creates the configured one"; fi`
  );
}

/** Throws unless the container limits leave the Pi's OS at least EDGE_OS_RESERVE_MB. */
export function checkMemoryBudget(config: Pick<EdgeConfig, "hostMemoryMb" | "memoryMb">): number {
  const { total, left } = edgeMemoryBudget(config.hostMemoryMb, config.memoryMb);
  if (left < EDGE_OS_RESERVE_MB)
    throw new Error(
      `edge.memoryMb: the container limits sum to ${total} MB of the Pi's ${config.hostMemoryMb} MB, leaving ${left} MB; ` +
        `the OS needs at least ${EDGE_OS_RESERVE_MB} MB`,
    );
  return left;
}

/**
 * One Raspberry Pi site, the whole of an edge stack: host prepared over SSH (Docker, firewall,
 * swap, SD-card settings, backup and metrics timers), the app, Redis, nginx, node exporter and a
 * Prometheus agent as containers through the Docker API over SSH, nightly SQLite backups to S3
 * with the site's put-only identity, and a health check through nginx that fails the deploy when
 * the app does not answer. It creates no AWS resource: the site's identity and metrics token come
 * from the cloud stack (EdgeSiteAccess), through `args.cloud`.
 */
export class Edge extends pulumi.ComponentResource {
  /** https://<host> */
  readonly url: string;
  /** The deploy gate's output (the /health answer through nginx); a placeholder in preview. */
  readonly healthCheck: pulumi.Output<string>;
  /** The app image that runs, by digest. */
  readonly appImage: pulumi.Output<string>;
  /** Where appImage came from: `pinned` (edge.appImage) or `newest` (the repository's latest push, dev). */
  readonly appImageSource: "pinned" | "newest";
  /** Which app image this run took, in a sentence: pinned, or the newest push with its tags, digest and push time. */
  readonly appImageChoice: pulumi.Output<string>;
  /** nginx's certificate (PEM); self-signed unless configured. */
  readonly certificatePem: pulumi.Output<string>;
  /** Docker container ids by name. */
  readonly containerIds: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:edge:Edge", name, {}, opts);
    const { config, cloud } = args;
    checkMemoryBudget(config);
    const { host, site } = config;
    const conn = connection(config);
    const appUid = args.appUid ?? 1000;

    const hostPrep = remoteScript(this, `${name}-edge-host-prep`, {
      connection: conn,
      script: EDGE_SCRIPTS["host-prep.sh"],
      env: {
        EDGE_USER: config.user,
        EDGE_APP_UID: String(appUid),
        EDGE_SSH_PORT: String(config.port),
        EDGE_SSH_ALLOW_FROM: config.sshAllowFrom.join(" "),
        EDGE_SSHD_CONFIG: renderSshdConfig({ user: config.user, port: config.port }),
        EDGE_REBOOT_TIME: config.rebootTime,
        JOURNAL_MAX: `${config.journalMaxMb}M`,
      },
    });
    const prepared = [hostPrep];

    const credentials = pulumi.output(cloud.credentials);
    const awsIdentity = this.awsIdentity(name, conn, cloud, credentials, prepared);
    const tls = this.certificate(name, conn, config, prepared, [...prepared, ...awsIdentity]);
    const timers = this.backupJob(name, args, conn, [...prepared, ...awsIdentity]);

    const { ref: appImage, choice: appImageChoice } = this.appImageRef(args);
    const preDeployBackup = this.preDeployBackup(name, conn, appImage, [timers]);
    const pull = this.appImagePull(name, conn, appImage, [...prepared, ...awsIdentity]);
    // Computed once: the provider's and the gate's ssh take the same options.
    const sshOptions = dockerSshOpts(config, pulumi.getStack());
    const provider = new docker.Provider(
      `${name}-edge-docker`,
      { host: `ssh://${config.user}@${host}:${config.port}`, sshOpts: sshOptions },
      { parent: this },
    );
    const metrics = pulumi.output(cloud.metrics);
    // Both files exist either way (empty without remote write); the agent config names them only with it.
    const agentSecretFiles = [
      remoteFile(this, `${name}-edge-metrics-token`, {
        connection: conn,
        path: `${EDGE_PATHS.metricsSecrets}/token`,
        content: pulumi.secret(
          pulumi.all([metrics, credentials]).apply(([target, c]) => (target ? (c.metricsToken ?? "") : "")),
        ),
        mode: "0400",
        owner: `${AGENT_UID}:${AGENT_UID}`,
        secret: true,
        dependsOn: prepared,
      }),
      remoteFile(this, `${name}-edge-metrics-ca`, {
        connection: conn,
        path: `${EDGE_PATHS.metricsSecrets}/ca.pem`,
        content: metrics.apply((target) => target?.caPem ?? ""),
        mode: "0644",
        dependsOn: prepared,
      }),
    ];
    // Redis asks for a password although only the internal network reaches it: a compromised
    // container there gets no free key-value store. Generated once, kept in the state (secret).
    const redisPassword = new random.RandomPassword(
      `${name}-edge-redis-password`,
      { length: 32, special: false },
      { parent: this },
    ).result;
    const redisConfFile = remoteFile(this, `${name}-edge-redis-conf`, {
      connection: conn,
      path: REDIS_CONF_HOST_PATH,
      content: pulumi.secret(redisPassword.apply(renderRedisConf)),
      mode: "0400",
      owner: `${REDIS_UID}:${REDIS_UID}`,
      secret: true,
      dependsOn: prepared,
    });
    const containers = createContainers(this, name, {
      appDependsOn: [preDeployBackup],
      redisPassword,
      redisConfFile,
      provider,
      appImage,
      appImagePulled: pull,
      memoryMb: config.memoryMb,
      appReservationMb: args.appReservationMb ?? 256,
      appUid,
      nginxConf: renderNginxConf({ ...nginxConfArgs(config, tls.trusted), ...nginxTlsArgs(config) }),
      agentConfig: metrics.apply((target) =>
        renderPrometheusAgentConfig({ site, remoteWrite: target ? { url: target.url } : undefined }),
      ),
      agentSecretFiles,
      tlsHash: tls.hash,
      dependsOn: [...prepared, ...tls.files],
    });

    const containerIds = pulumi.all(
      Object.fromEntries(
        Object.entries(containers).map(([k, c]) => [CONTAINER_NAMES[k as keyof typeof CONTAINER_NAMES], c.id]),
      ),
    );
    // The journal and the containers' logs to the cloud's Loki, with the metrics' credential and CA.
    // Not in the deploy gate: a log agent problem must not roll back the app.
    createLogAgent(this, name, {
      provider,
      memoryMb: config.memoryMb.logAgent,
      config: metrics.apply((target) =>
        target
          ? renderEdgeAlloyConfig({
              site,
              environment: args.environment ?? "unknown",
              pushUrl: siteLogsPushUrl(target.url, site),
            })
          : "// No cloud receiver (the cloud stack has no monitoring): the logs stay on the Pi.\n",
      ),
      dependsOn: [...agentSecretFiles, containers.metricsAgent],
    });
    const rollbackScript = remoteFile(this, `${name}-edge-rollback-script`, {
      connection: conn,
      path: APP_ROLLBACK_SCRIPT,
      content: EDGE_SCRIPTS["app-rollback.sh"],
      mode: "0755",
      dependsOn: prepared,
    });
    const healthCheck = healthGate(this, config, sshOptions, Object.values(containers), {
      preDeploy: preDeployBackup,
      after: [rollbackScript],
    });

    this.url = `https://${host}`;
    this.healthCheck = healthCheck;
    this.appImage = pulumi.output(appImage);
    this.appImageSource = config.appImage ? "pinned" : "newest";
    this.appImageChoice = appImageChoice;
    this.certificatePem = tls.certificatePem;
    this.containerIds = containerIds;
    this.registerOutputs({
      url: this.url,
      healthCheck: this.healthCheck,
      appImage: this.appImage,
      appImageSource: this.appImageSource,
      appImageChoice: this.appImageChoice,
      certificatePem: this.certificatePem,
      containerIds: this.containerIds,
    });
  }

  /**
   * The site's AWS identity on the Pi, without a long-lived key: AWS's credential helper (pinned
   * by checksum), the site's certificate and its key (0600 root: the backup unit and the image
   * pull run as root) and the AWS CLI config whose credential_process trades them for one-hour
   * session credentials through IAM Roles Anywhere. A new certificate from the cloud stack (every
   * 60 days at most) is written by the next `up`, and used by the next AWS call.
   */
  private awsIdentity(
    name: string,
    conn: Connection,
    cloud: EdgeCloudInputs,
    credentials: pulumi.Output<EdgeSiteCredentials>,
    prepared: pulumi.Resource[],
  ): remote.Command[] {
    const identity = pulumi.output(cloud.identity);
    const helper = remoteScript(this, `${name}-edge-signing-helper`, {
      connection: conn,
      script: EDGE_SCRIPTS["signing-helper.sh"],
      env: {
        EDGE_SIGNING_HELPER_URL: SIGNING_HELPER.url,
        EDGE_SIGNING_HELPER_SHA256: SIGNING_HELPER.sha256,
        EDGE_SIGNING_HELPER_PATH: SIGNING_HELPER.path,
      },
      dependsOn: prepared,
    });
    const file = (key: string, path: string, content: pulumi.Input<string>, mode: string, secret = false) =>
      remoteFile(this, `${name}-edge-${key}`, { connection: conn, path, content, mode, secret, dependsOn: prepared });
    return [
      helper,
      file(
        "identity-cert",
        IDENTITY_PATHS.certificate,
        identity.apply((i) => i.certificatePem),
        "0644",
      ),
      file(
        "identity-key",
        IDENTITY_PATHS.privateKey,
        pulumi.secret(credentials.apply((c) => c.identityKeyPem)),
        "0600",
        true,
      ),
      file(
        "aws-config",
        IDENTITY_PATHS.awsConfig,
        pulumi
          .all([identity, cloud.region])
          .apply(([i, region]) => renderAwsConfig({ region, ...i, acmeRoleArn: i.acme?.roleArn })),
        "0644",
      ),
    ];
  }

  /**
   * nginx's certificate and where nginx finds it: with edge.acme, certbot's on the Pi (obtained
   * after the site's identity is in place, renewed by certbot, nginx reloaded by its hook);
   * otherwise edge.tlsCertificate or a self-signed one, written by `up`. `trusted` turns HSTS on.
   */
  private certificate(
    name: string,
    conn: Connection,
    config: EdgeConfig,
    prepared: pulumi.Resource[],
    identityReady: pulumi.Resource[],
  ): {
    certificatePem: pulumi.Output<string>;
    files: remote.Command[];
    trusted: boolean;
    hash: pulumi.Output<string>;
  } {
    const { host } = config;
    if (config.acme) {
      const staging = config.acme.staging === true;
      const acme = acmeCertificate(this, name, {
        connection: conn,
        domain: host,
        email: config.acme.email,
        staging,
        dependsOn: identityReady,
      });
      // Renewals reload nginx (SIGHUP from the hook): the container is not recreated for them.
      const hash = pulumi.output(sha256(`acme:${host}:${staging}`));
      return {
        certificatePem: acme.certificatePem,
        files: acme.ready,
        trusted: !staging,
        hash,
      };
    }
    const tls = edgeCertificate(this, name, {
      host,
      certificatePem: config.tlsCertificate,
      privateKeyPem: config.tlsPrivateKey,
    });
    const tlsFiles = [
      remoteFile(this, `${name}-edge-tls-cert`, {
        connection: conn,
        path: `${EDGE_PATHS.tls}/cert.pem`,
        content: tls.certificatePem,
        mode: "0644",
        dependsOn: prepared,
      }),
      remoteFile(this, `${name}-edge-tls-key`, {
        connection: conn,
        path: `${EDGE_PATHS.tls}/key.pem`,
        content: tls.privateKeyPem,
        mode: "0600",
        secret: true,
        dependsOn: prepared,
      }),
    ];

    return {
      certificatePem: tls.certificatePem,
      files: tlsFiles,
      trusted: !tls.selfSigned,
      hash: pulumi.secret(
        pulumi.all([tls.certificatePem, tls.privateKeyPem]).apply(([c, k]) => sha256(`${c ?? ""}${k ?? ""}`)),
      ),
    };
  }

  /** Backup and restore scripts, their environment, and the systemd timers. */
  private backupJob(name: string, args: EdgeArgs, conn: Connection, prepared: pulumi.Resource[]): remote.Command {
    const { site, backupRetentionDays } = args.config;
    const file = (key: string, path: string, content: pulumi.Input<string>, mode: string) =>
      remoteFile(this, `${name}-edge-${key}`, { connection: conn, path, content, mode, dependsOn: prepared });
    const env = pulumi
      .all([args.cloud.backupBucket, args.cloud.region, args.cloud.backupTiers])
      .apply(([bucketName, region, tiers]) =>
        backupEnv({
          bucketName,
          prefix: BACKUP_PREFIXES.edge,
          region,
          site,
          retentionDays: backupRetentionDays,
          host: args.config.host,
          tiers,
          // pi-metrics.sh exports the expiry of the certificate nginx serves.
          ...(args.config.acme ? { tlsCertificate: ACME_PATHS.certificate } : {}),
        }),
      );
    const files = [
      file("backup-script", `${EDGE_PATHS.bin}/edge-backup.sh`, EDGE_SCRIPTS["edge-backup.sh"], "0755"),
      file("restore-script", `${EDGE_PATHS.bin}/edge-restore.sh`, EDGE_SCRIPTS["edge-restore.sh"], "0755"),
      file("metrics-script", `${EDGE_PATHS.bin}/pi-metrics.sh`, EDGE_SCRIPTS["pi-metrics.sh"], "0755"),
      file("backup-env", `${EDGE_PATHS.etc}/backup.env`, env, "0644"),
      ...Object.entries(EDGE_UNITS).map(([unit, content]) =>
        file(`unit-${unit.replace(".", "-")}`, `/etc/systemd/system/${unit}`, content, "0644"),
      ),
    ];
    const timers = "edge-backup.timer pi-metrics.timer edge-image-prune.timer";
    return new remote.Command(
      `${name}-edge-timers`,
      {
        connection: conn,
        create: `sudo systemctl daemon-reload && sudo systemctl enable --now ${timers} && sudo systemctl start pi-metrics.service`,
        delete: `sudo systemctl disable --now ${timers} || true`,
        triggers: [sha256(Object.values(EDGE_UNITS).join("\n") + EDGE_SCRIPTS["pi-metrics.sh"])],
        addPreviousOutputInEnv: false,
      },
      // Disable-then-enable on a change; the other order would leave the timers disabled.
      { parent: this, dependsOn: files, deleteBeforeReplace: true },
    );
  }

  /**
   * A backup to S3 before a deploy that changes the app image, while the old app still runs: the
   * app container waits for it, and a failed backup fails the deploy before anything is replaced.
   * `systemctl start` of the oneshot returns when the backup has finished, with its status. A Pi
   * without a database yet (the first deploy) has nothing to back up.
   */
  private preDeployBackup(
    name: string,
    conn: Connection,
    appImage: pulumi.Output<string>,
    after: pulumi.Resource[],
  ): remote.Command {
    return new remote.Command(
      `${name}-edge-pre-deploy-backup`,
      {
        connection: conn,
        create: preDeployBackupCommand(),
        triggers: [appImage],
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: after },
    );
  }

  /** `edge.appImage`, or the ECR repository's most recently pushed image, both by digest; and which it was. */
  private appImageRef(args: EdgeArgs): { ref: pulumi.Output<string>; choice: pulumi.Output<string> } {
    const resolved = pulumi.output(args.cloud.appRepositoryUrl).apply((repositoryUrl) => {
      const configured = resolveAppImage(args.config.appImage, repositoryUrl);
      if (configured) return pulumi.output({ ref: configured, choice: describeAppImage({ pinned: configured }) });
      if (!args.awsProvider)
        throw new pulumi.RunError(
          "platform:edge.appImage: unset, and no AWS provider to look up the newest image; pin the image by digest",
        );
      const repositoryName = repositoryUrl.split("/").slice(1).join("/");
      // The stack output edgeAppImageSource says "newest": an unpinned stack deploys whatever was pushed last.
      return aws.ecr
        .getImageOutput({ repositoryName, mostRecent: true }, { parent: this, provider: args.awsProvider })
        .apply((image) => ({
          ref: `${repositoryUrl}@${image.imageDigest}`,
          choice: describeAppImage({
            newest: { repositoryUrl, digest: image.imageDigest, tags: image.imageTags, pushedAt: image.imagePushedAt },
          }),
        }));
    });
    return { ref: resolved.apply((r) => r.ref), choice: resolved.apply((r) => r.choice) };
  }

  /**
   * The app image pulled on the Pi, by digest, with the site's identity (pull-only on the edge
   * repository): the Docker provider then holds no registry token, whose daily change would be a
   * diff in every preview. Runs again exactly when the image reference changes.
   */
  private appImagePull(
    name: string,
    conn: Connection,
    appImage: pulumi.Output<string>,
    prepared: pulumi.Resource[],
  ): remote.Command {
    return remoteScript(this, `${name}-edge-app-pull`, {
      connection: conn,
      script: EDGE_SCRIPTS["ecr-pull.sh"],
      env: {
        EDGE_IMAGE: appImage,
        // A non-ECR image (edge.appImage naming another registry) is pulled without logging in.
        EDGE_ECR_REGION: appImage.apply((ref) => parseEcrRepositoryUrl(ref.split("@")[0] ?? ref)?.region ?? ""),
        AWS_CONFIG_FILE: IDENTITY_PATHS.awsConfig,
      },
      triggers: [appImage],
      dependsOn: prepared,
    });
  }
}
