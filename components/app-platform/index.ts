import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_IMAGES } from "../images";
import { irsaRole } from "../irsa";

export const DUMP_SCRIPT = fs.readFileSync(path.join(__dirname, "db-dump.sh"), "utf8");
export const UPLOAD_SCRIPT = fs.readFileSync(path.join(__dirname, "db-upload.sh"), "utf8");
/** Restores a dump from the bucket into a new database and verifies it (docs/dr.md); run by an operator. */
export const RESTORE_SCRIPT = fs.readFileSync(path.join(__dirname, "db-restore.sh"), "utf8");

export interface AppPlatformArgs {
  /** The cluster's Kubernetes provider. */
  provider: k8s.Provider;
  /** Namespace of the application. Default `app`. */
  namespace?: string;
  /** The cluster's OIDC provider, for the service account's IAM role. */
  oidcProviderArn: pulumi.Input<string>;
  oidcProviderUrl: pulumi.Input<string>;
  database: {
    address: pulumi.Input<string>;
    port: pulumi.Input<number>;
    name: string;
    /** Secrets Manager secret with the master credentials (managed by RDS). */
    masterSecretArn: pulumi.Input<string>;
  };
  cache: {
    endpoint: pulumi.Input<string>;
    port: number;
    /** The AUTH token (secret), handed to the app as a Kubernetes Secret. */
    authToken: pulumi.Input<string>;
  };
  backup: {
    bucketName: pulumi.Input<string>;
    /** Prefix the dumps land under, e.g. `db/`. */
    prefix: string;
    /** IAM policy allowing writes under that prefix only. */
    writerPolicyArn: pulumi.Input<string>;
    region: string;
  };
  /** Cron schedule of the dump, UTC. Default `30 1 * * *`, before the RDS backup window. */
  dumpSchedule?: string;
}

/**
 * What the application needs on the cluster: its namespace; a service account whose IAM role
 * (IRSA) may read the database's managed secret and write the backup bucket's `db/` prefix;
 * a ConfigMap with the database and cache endpoints and a Secret with the cache token; and a
 * nightly CronJob that streams a compressed `pg_dump` to S3 through that role.
 */
export class AppPlatform extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly serviceAccountName = "app";
  readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: AppPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:app:AppPlatform", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    const namespaceName = args.namespace ?? "app";

    const namespace = new k8s.core.v1.Namespace(
      `${name}-app`,
      { metadata: { name: namespaceName, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } },
      k8sOpts,
    );
    const ns = namespace.metadata.name;

    const readSecret = new aws.iam.Policy(
      `${name}-app-db-secret`,
      {
        description: "Read the database's managed master secret",
        policy: pulumi.output(args.database.masterSecretArn).apply((arn) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                Resource: arn,
              },
            ],
          }),
        ),
      },
      { parent: this },
    );
    const role = irsaRole(this, `${name}-app`, {
      oidcProviderArn: args.oidcProviderArn,
      oidcProviderUrl: args.oidcProviderUrl,
      namespace: namespaceName,
      serviceAccount: this.serviceAccountName,
      policyArns: [readSecret.arn, args.backup.writerPolicyArn],
    });
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-app`,
      {
        metadata: {
          name: this.serviceAccountName,
          namespace: ns,
          annotations: { "eks.amazonaws.com/role-arn": role.arn },
        },
      },
      k8sOpts,
    );

    new k8s.core.v1.ConfigMap(
      `${name}-app-endpoints`,
      {
        metadata: { name: "app-endpoints", namespace: ns },
        data: {
          DATABASE_HOST: args.database.address,
          DATABASE_PORT: pulumi.output(args.database.port).apply(String),
          DATABASE_NAME: args.database.name,
          DATABASE_SECRET_ARN: args.database.masterSecretArn,
          DATABASE_SSLMODE: "require",
          REDIS_HOST: args.cache.endpoint,
          REDIS_PORT: String(args.cache.port),
          REDIS_TLS: "true",
          BACKUP_BUCKET: args.backup.bucketName,
          AWS_REGION: args.backup.region,
        },
      },
      k8sOpts,
    );
    new k8s.core.v1.Secret(
      `${name}-app-redis`,
      {
        metadata: { name: "redis-auth", namespace: ns },
        type: "Opaque",
        stringData: { REDIS_AUTH_TOKEN: pulumi.secret(args.cache.authToken) },
      },
      k8sOpts,
    );

    this.dumpCronJob(name, args, ns, serviceAccount);

    this.namespace = ns;
    this.roleArn = role.arn;
    this.registerOutputs({ namespace: this.namespace, roleArn: this.roleArn });
  }

  private dumpCronJob(
    name: string,
    args: AppPlatformArgs,
    ns: pulumi.Output<string>,
    serviceAccount: k8s.core.v1.ServiceAccount,
  ): void {
    const scripts = new k8s.core.v1.ConfigMap(
      `${name}-db-dump-scripts`,
      { metadata: { namespace: ns }, data: { "db-dump.sh": DUMP_SCRIPT, "db-upload.sh": UPLOAD_SCRIPT } },
      { parent: this, provider: args.provider },
    );
    const restricted = {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    };
    const volumeMounts = [
      { name: "work", mountPath: "/work" },
      { name: "scripts", mountPath: "/scripts", readOnly: true },
    ];
    const env = [
      { name: "DB_HOST", value: args.database.address },
      { name: "DB_PORT", value: pulumi.output(args.database.port).apply(String) },
      { name: "DB_NAME", value: args.database.name },
      { name: "BUCKET", value: args.backup.bucketName },
      { name: "PREFIX", value: args.backup.prefix },
      { name: "AWS_REGION", value: args.backup.region },
      { name: "HOME", value: "/work" },
    ];
    new k8s.batch.v1.CronJob(
      `${name}-db-dump`,
      {
        metadata: { name: "db-dump", namespace: ns },
        spec: {
          schedule: args.dumpSchedule ?? "30 1 * * *",
          timeZone: "Etc/UTC",
          concurrencyPolicy: "Forbid",
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            spec: {
              backoffLimit: 1,
              activeDeadlineSeconds: 3 * 3600,
              template: {
                spec: {
                  serviceAccountName: serviceAccount.metadata.name,
                  restartPolicy: "Never",
                  securityContext: {
                    runAsUser: 1000,
                    runAsGroup: 1000,
                    fsGroup: 1000,
                    seccompProfile: { type: "RuntimeDefault" },
                  },
                  volumes: [
                    { name: "work", emptyDir: { sizeLimit: "64Mi" } },
                    { name: "scripts", configMap: { name: scripts.metadata.name, defaultMode: 0o555 } },
                  ],
                  initContainers: [
                    {
                      name: "fetch-credentials",
                      image: CLUSTER_IMAGES.awsCli,
                      command: ["/bin/sh", "-ec"],
                      args: [
                        'aws secretsmanager get-secret-value --secret-id "$DB_SECRET_ARN" --query SecretString --output text > /work/secret.json\n' +
                          "chmod 600 /work/secret.json\nmkfifo -m 600 /work/dump.fifo",
                      ],
                      env: [...env, { name: "DB_SECRET_ARN", value: args.database.masterSecretArn }],
                      securityContext: restricted,
                      volumeMounts,
                      resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                    },
                  ],
                  containers: [
                    {
                      name: "dump",
                      image: CLUSTER_IMAGES.postgres,
                      command: ["/bin/sh", "/scripts/db-dump.sh"],
                      env,
                      securityContext: restricted,
                      volumeMounts,
                      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
                    },
                    {
                      name: "upload",
                      image: CLUSTER_IMAGES.awsCli,
                      command: ["/bin/sh", "/scripts/db-upload.sh"],
                      env,
                      securityContext: restricted,
                      volumeMounts,
                      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
                    },
                  ],
                },
              },
            },
          },
        },
      },
      { parent: this, provider: args.provider },
    );
  }
}
