import * as aws from "@pulumi/aws";
import { remote } from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { EDGE_OS_RESERVE_MB, edgeMemoryBudget } from "../../config/schema";
import { backupCredentials, backupEnv, type EdgeBackupTarget } from "./backup";
import { CONTAINER_NAMES, createContainers } from "./containers";
import { ecrPullCredentials, parseEcrRepositoryUrl } from "./ecr";
import { connection, dockerSshOpts, remoteFile, remoteScript, target, type Connection, type EdgeConfig } from "./host";
import { resolveAppImage } from "./images";
import { renderPrometheusAgentConfig } from "./metrics";
import { renderNginxConf } from "./nginx";
import { EDGE_PATHS, EDGE_SCRIPTS, EDGE_UNITS, sha256 } from "./scripts";
import { edgeCertificate } from "./tls";
import { healthGate } from "./gate";

export { CONTAINER_NAMES, redisMaxMemoryMb } from "./containers";
export { EDGE_IMAGES, EDGE_PLATFORM, resolveAppImage } from "./images";
export { ecrPullPolicy, ecrRepositoryArn } from "./ecr";
export { knownHostsLine } from "./host";
export { AGENT_SECRET_FILES, renderPrometheusAgentConfig } from "./metrics";
export { renderNginxConf } from "./nginx";
export { EDGE_PATHS, EDGE_SCRIPTS, EDGE_UNITS } from "./scripts";
export type { EdgeBackupTarget } from "./backup";

/** The pull identity's credentials on the Pi (root-only); the backup identity has its own file. */
const ECR_CREDENTIALS = `${EDGE_PATHS.etc}/ecr-credentials`;

export interface EdgeArgs {
  /** `platform:edge`; construct the component only when `enabled` is true. */
  config: EdgeConfig;
  /** The backup bucket and the `edge/` writer policy, from the Backups component. */
  backup: EdgeBackupTarget;
  /** URL of the stack's ECR `edge-app` repository (`<account>.dkr.ecr.<region>.amazonaws.com/edge-app`). */
  appRepositoryUrl: pulumi.Input<string>;
  /**
   * Where the Pi's metrics go (Monitoring): the cluster API server's proxy URL of Prometheus'
   * remote-write receiver, a service-account token it accepts (secret), and the cluster CA that
   * signs the API server's certificate. Default undefined: metrics stay on the Pi.
   */
  remoteWrite?: {
    /** `https://<api server>/api/v1/namespaces/<ns>/services/<prometheus>:9090/proxy/api/v1/write`. */
    url: pulumi.Input<string>;
    /** Bearer token for the API server (secret). */
    bearerToken: pulumi.Input<string>;
    /** PEM of the CA that signs the API server's certificate. */
    caPem: pulumi.Input<string>;
  };
  /** uid and gid the app image runs as; it owns the SQLite directory. Default 1000. */
  appUid?: number;
  /** Memory the app is guaranteed under contention, MB. Default 256. */
  appReservationMb?: number;
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
 * The Raspberry Pi: host prepared over SSH (Docker, firewall, swap, SD-card settings, backup and
 * metrics timers), the app, Redis, nginx, node exporter and a Prometheus agent as containers
 * through the Docker API over SSH, nightly SQLite backups to S3 with a put-only identity, and a
 * health check through nginx that fails the deploy when the app does not answer.
 */
export class Edge extends pulumi.ComponentResource {
  /** https://<host> */
  readonly url: string;
  /** The deploy gate's output (the /health answer through nginx); a placeholder in preview. */
  readonly healthCheck: pulumi.Output<string>;
  /** The app image that runs, by digest. */
  readonly appImage: pulumi.Output<string>;
  /** nginx's certificate (PEM); self-signed unless configured. */
  readonly certificatePem: pulumi.Output<string>;
  /** The IAM user the Pi uploads backups as. */
  readonly backupUserArn: pulumi.Output<string>;
  /** The IAM user the Pi pulls the app image as. */
  readonly pullUserArn: pulumi.Output<string>;
  /** Docker container ids by name. */
  readonly containerIds: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:edge:Edge", name, {}, opts);
    const { config } = args;
    if (!config.enabled) throw new Error("Edge: edge.enabled is false; do not create the component");
    checkMemoryBudget(config);
    const { host } = target(config);
    const conn = connection(config);
    const appUid = args.appUid ?? 1000;

    const hostPrep = remoteScript(this, `${name}-edge-host-prep`, {
      connection: conn,
      script: EDGE_SCRIPTS["host-prep.sh"],
      env: { EDGE_USER: config.user, EDGE_APP_UID: String(appUid), EDGE_SSH_PORT: String(config.port) },
    });
    const prepared = [hostPrep];

    const tls = edgeCertificate(this, name, { host, certificatePem: config.tlsCertificate, privateKeyPem: config.tlsPrivateKey });
    const tlsFiles = [
      remoteFile(this, `${name}-edge-tls-cert`, { connection: conn, path: `${EDGE_PATHS.tls}/cert.pem`, content: tls.certificatePem, mode: "0644", dependsOn: prepared }),
      remoteFile(this, `${name}-edge-tls-key`, { connection: conn, path: `${EDGE_PATHS.tls}/key.pem`, content: tls.privateKeyPem, mode: "0600", secret: true, dependsOn: prepared }),
    ];

    const backupUser = this.backupJob(name, args, conn, prepared);

    const appImage = this.appImageRef(args);
    const pull = this.appImagePull(name, args, conn, appImage, prepared);
    // Computed once: it writes the pinned known_hosts (and key) the provider's and the gate's ssh read.
    const sshOptions = dockerSshOpts(config, pulumi.getStack());
    const provider = this.dockerProvider(name, config, sshOptions);
    const remoteWrite = args.remoteWrite;
    const containers = createContainers(this, name, {
      provider,
      appImage,
      appImagePulled: pull.command,
      memoryMb: config.memoryMb,
      appReservationMb: args.appReservationMb ?? 256,
      appUid,
      nginxConf: renderNginxConf({ serverName: host, hsts: !tls.selfSigned }),
      agentConfig: remoteWrite
        ? pulumi.output(remoteWrite.url).apply((url) => renderPrometheusAgentConfig({ site: host, remoteWrite: { url } }))
        : renderPrometheusAgentConfig({ site: host }),
      agentSecrets: remoteWrite ? { token: pulumi.secret(remoteWrite.bearerToken), caPem: remoteWrite.caPem } : undefined,
      tlsHash: pulumi.secret(pulumi.all([tls.certificatePem, tls.privateKeyPem]).apply(([c, k]) => sha256(`${c ?? ""}${k ?? ""}`))),
      dependsOn: [...prepared, ...tlsFiles],
    });

    const containerIds = pulumi.all(Object.fromEntries(Object.entries(containers).map(([k, c]) => [CONTAINER_NAMES[k as keyof typeof CONTAINER_NAMES], c.id])));
    const healthCheck = healthGate(this, config, sshOptions, Object.values(containers));

    this.url = `https://${host}`;
    this.healthCheck = healthCheck;
    this.appImage = pulumi.output(appImage);
    this.certificatePem = tls.certificatePem;
    this.backupUserArn = backupUser.arn;
    this.pullUserArn = pull.user.arn;
    this.containerIds = containerIds;
    this.registerOutputs({
      url: this.url,
      healthCheck: this.healthCheck,
      appImage: this.appImage,
      certificatePem: this.certificatePem,
      backupUserArn: this.backupUserArn,
      pullUserArn: this.pullUserArn,
      containerIds: this.containerIds,
    });
  }

  /** Backup and restore scripts, their identity and environment, and the systemd timers. */
  private backupJob(name: string, args: EdgeArgs, conn: Connection, prepared: pulumi.Resource[]) {
    const { host } = target(args.config);
    const credentials = backupCredentials(this, name, args.backup);
    const file = (key: string, path: string, content: pulumi.Input<string>, mode: string, secret = false) =>
      remoteFile(this, `${name}-edge-${key}`, { connection: conn, path, content, mode, secret, dependsOn: prepared });
    const env = pulumi
      .output(args.backup.bucketName)
      .apply((bucketName) =>
        backupEnv({ bucketName, prefix: args.backup.prefix, region: args.backup.region, site: host, retentionDays: args.config.backupRetentionDays }),
      );
    const files = [
      file("backup-script", `${EDGE_PATHS.bin}/edge-backup.sh`, EDGE_SCRIPTS["edge-backup.sh"], "0755"),
      file("restore-script", `${EDGE_PATHS.bin}/edge-restore.sh`, EDGE_SCRIPTS["edge-restore.sh"], "0755"),
      file("metrics-script", `${EDGE_PATHS.bin}/pi-metrics.sh`, EDGE_SCRIPTS["pi-metrics.sh"], "0755"),
      file("backup-env", `${EDGE_PATHS.etc}/backup.env`, env, "0644"),
      file("aws-credentials", `${EDGE_PATHS.etc}/aws-credentials`, credentials.credentialsFile, "0600", true),
      ...Object.entries(EDGE_UNITS).map(([unit, content]) => file(`unit-${unit.replace(".", "-")}`, `/etc/systemd/system/${unit}`, content, "0644")),
    ];
    const timers = "edge-backup.timer pi-metrics.timer";
    new remote.Command(
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
    return credentials.user;
  }

  /** `edge.appImage`, or the ECR repository's most recently pushed image, both by digest. */
  private appImageRef(args: EdgeArgs): pulumi.Output<string> {
    return pulumi.output(args.appRepositoryUrl).apply((repositoryUrl) => {
      const configured = resolveAppImage(args.config.appImage, repositoryUrl);
      if (configured) return pulumi.output(configured);
      const repositoryName = repositoryUrl.split("/").slice(1).join("/");
      return aws.ecr
        .getImageOutput({ repositoryName, mostRecent: true }, { parent: this })
        .apply((image) => `${repositoryUrl}@${image.imageDigest}`);
    });
  }

  /**
   * The app image pulled on the Pi, by digest, with the Pi's pull-only identity: the Docker
   * provider then holds no registry token, whose daily change would be a diff in every preview.
   * Runs again exactly when the image reference changes.
   */
  private appImagePull(name: string, args: EdgeArgs, conn: Connection, appImage: pulumi.Output<string>, prepared: pulumi.Resource[]) {
    const credentials = ecrPullCredentials(this, name, { repositoryUrl: args.appRepositoryUrl });
    const credentialsFile = remoteFile(this, `${name}-edge-ecr-credentials`, {
      connection: conn,
      path: ECR_CREDENTIALS,
      content: credentials.credentialsFile,
      mode: "0600",
      secret: true,
      dependsOn: prepared,
    });
    const command = remoteScript(this, `${name}-edge-app-pull`, {
      connection: conn,
      script: EDGE_SCRIPTS["ecr-pull.sh"],
      env: {
        EDGE_IMAGE: appImage,
        // A non-ECR image (edge.appImage naming another registry) is pulled without logging in.
        EDGE_ECR_REGION: appImage.apply((ref) => parseEcrRepositoryUrl(ref.split("@")[0])?.region ?? ""),
        AWS_SHARED_CREDENTIALS_FILE: ECR_CREDENTIALS,
      },
      triggers: [appImage],
      dependsOn: [...prepared, credentialsFile],
    });
    return { user: credentials.user, command };
  }

  /** Docker over SSH; no registry credentials (see appImagePull). */
  private dockerProvider(name: string, config: EdgeConfig, sshOptions: pulumi.Output<string[]>): docker.Provider {
    const { host } = target(config);
    return new docker.Provider(
      `${name}-edge-docker`,
      { host: `ssh://${config.user}@${host}:${config.port}`, sshOpts: sshOptions },
      { parent: this },
    );
  }
}
