import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_IMAGES } from "../images";
import { irsaRole } from "../irsa";
import { APP_SCHEMA, renderDbUsersSql, sqlDigest } from "./db-users";
import { RDS_CA_BUNDLE, RDS_CA_CONFIGMAP, RDS_CA_KEY, RDS_CA_MOUNT_DIR, RDS_CA_PATH } from "./rds-ca";

export const DUMP_SCRIPT = fs.readFileSync(path.join(__dirname, "db-dump.sh"), "utf8");
export const UPLOAD_SCRIPT = fs.readFileSync(path.join(__dirname, "db-upload.sh"), "utf8");
/** Restores a dump from the bucket into a new database and verifies it (docs/dr.md); run by an operator. */
export const RESTORE_SCRIPT = fs.readFileSync(path.join(__dirname, "db-restore.sh"), "utf8");
/** Runs the users' SQL (db-users.ts) as the master user: the db-users Job's command. */
export const DB_USERS_SCRIPT = fs.readFileSync(path.join(__dirname, "db-users.sh"), "utf8");

/** The service accounts, each with its own IAM role. */
export const SERVICE_ACCOUNTS = {
  /** The application: connects as its own database user (IAM token); nothing on the bucket. */
  app: "app",
  /** The nightly dump: the read-only database user and the put-only `db/` writer. */
  dump: "db-dump",
  /** The job that creates the database users: the only reader of the master secret. */
  dbUsers: "db-users",
} as const;

export interface AppPlatformArgs {
  /** The cluster's Kubernetes provider. */
  provider: k8s.Provider;
  /** Namespace of the application. Default `app`. */
  namespace?: string;
  /** The cluster's OIDC provider, for the service accounts' IAM roles. */
  oidcProviderArn: pulumi.Input<string>;
  oidcProviderUrl: pulumi.Input<string>;
  database: {
    address: pulumi.Input<string>;
    port: pulumi.Input<number>;
    name: string;
    /** The instance's ARN and DbiResourceId: what `rds-db:connect` policies name. */
    arn: pulumi.Input<string>;
    resourceId: pulumi.Input<string>;
    /** Secrets Manager secret with the master credentials (managed by RDS); only the db-users Job reads it. */
    masterSecretArn: pulumi.Input<string>;
    /** `platform:database.appUser` and `dumpUser`. */
    appUser: string;
    dumpUser: string;
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
  /** What the db-users Job waits for besides the database: nodes to run on. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The ARN `rds-db:connect` names for one database user, from the instance's ARN and resource ID. */
export function dbUserArn(instanceArn: string, resourceId: string, user: string): string {
  const [, partition, service, region, account] = instanceArn.split(":");
  if (service !== "rds" || !partition || !region || !account)
    throw new Error(`not an RDS instance ARN: ${instanceArn}`);
  return `arn:${partition}:rds-db:${region}:${account}:dbuser:${resourceId}/${user}`;
}

const RESTRICTED = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};
const POD_SECURITY = { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } };
const SMALL = { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } };

/** What every pod that talks to the database shares: its namespace, connection settings and the RDS CA. */
interface DatabaseClientPod {
  namespace: pulumi.Output<string>;
  /** DB_HOST/PORT/NAME, region, `verify-full` against the mounted CA. */
  connection: k8s.types.input.core.v1.EnvVar[];
  caVolume: k8s.types.input.core.v1.Volume;
  caMount: k8s.types.input.core.v1.VolumeMount;
}

/**
 * What the application needs on the cluster: its namespace; one service account per workload,
 * each with its own IAM role (IRSA) — `app` may connect to the database as its own user and
 * nothing else, `db-dump` as the read-only dump user and write the backup bucket's `db/` prefix,
 * `db-users` may read the master secret; a Job that creates those database users (idempotent SQL,
 * re-run when it changes); the RDS CA bundle for `verify-full`; a ConfigMap with the database and
 * cache endpoints and a Secret with the cache token; and a nightly CronJob that streams a
 * compressed `pg_dump` to S3.
 */
export class AppPlatform extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly serviceAccountName = SERVICE_ACCOUNTS.app;
  /** The app's role: `rds-db:connect` as its database user, nothing else. */
  readonly roleArn: pulumi.Output<string>;
  readonly dumpRoleArn: pulumi.Output<string>;

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
    const identity = (key: string, serviceAccount: string, policyArns: pulumi.Input<string>[]) => {
      const role = irsaRole(this, `${name}-${key}`, {
        oidcProviderArn: args.oidcProviderArn,
        oidcProviderUrl: args.oidcProviderUrl,
        namespace: namespaceName,
        serviceAccount,
        policyArns,
      });
      const account = new k8s.core.v1.ServiceAccount(
        `${name}-${key}`,
        { metadata: { name: serviceAccount, namespace: ns, annotations: { "eks.amazonaws.com/role-arn": role.arn } } },
        k8sOpts,
      );
      return { role, account };
    };

    const app = identity("app", SERVICE_ACCOUNTS.app, [this.connectPolicy(name, "app", args, args.database.appUser)]);
    const dump = identity("db-dump", SERVICE_ACCOUNTS.dump, [
      this.connectPolicy(name, "db-dump", args, args.database.dumpUser),
      args.backup.writerPolicyArn,
    ]);
    const dbUsers = identity("db-users", SERVICE_ACCOUNTS.dbUsers, [this.masterSecretPolicy(name, args)]);

    const caBundle = new k8s.core.v1.ConfigMap(
      `${name}-rds-ca`,
      { metadata: { name: RDS_CA_CONFIGMAP, namespace: ns }, data: { [RDS_CA_KEY]: RDS_CA_BUNDLE } },
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
          DATABASE_USER: args.database.appUser,
          // No password: the app signs a 15-minute token per connection with its role (docs/ship-a-service.md).
          DATABASE_AUTH: "iam",
          DATABASE_SSLMODE: "verify-full",
          DATABASE_SSLROOTCERT: RDS_CA_PATH,
          // The same for libpq-based clients (psql, psycopg, node-postgres read PGSSL*).
          PGSSLMODE: "verify-full",
          PGSSLROOTCERT: RDS_CA_PATH,
          REDIS_HOST: args.cache.endpoint,
          REDIS_PORT: String(args.cache.port),
          REDIS_TLS: "true",
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

    const client: DatabaseClientPod = {
      namespace: ns,
      connection: [
        { name: "DB_HOST", value: args.database.address },
        { name: "DB_PORT", value: pulumi.output(args.database.port).apply(String) },
        { name: "DB_NAME", value: args.database.name },
        { name: "AWS_REGION", value: args.backup.region },
        { name: "PGSSLMODE", value: "verify-full" },
        { name: "PGSSLROOTCERT", value: RDS_CA_PATH },
        { name: "HOME", value: "/work" },
      ],
      caVolume: { name: "rds-ca", configMap: { name: caBundle.metadata.name } },
      caMount: { name: "rds-ca", mountPath: RDS_CA_MOUNT_DIR, readOnly: true },
    };
    this.dbUsersJob(name, args, client, dbUsers.account);
    this.dumpCronJob(name, args, client, dump.account);

    this.namespace = ns;
    this.roleArn = app.role.arn;
    this.dumpRoleArn = dump.role.arn;
    this.registerOutputs({ namespace: this.namespace, roleArn: this.roleArn, dumpRoleArn: this.dumpRoleArn });
  }

  /** `rds-db:connect` as one database user of this instance, and nothing else. */
  private connectPolicy(name: string, key: string, args: AppPlatformArgs, user: string): pulumi.Output<string> {
    return new aws.iam.Policy(
      `${name}-${key}-db-connect`,
      {
        description: `Connect to ${args.database.name} as ${user} with an IAM authentication token`,
        policy: pulumi.all([args.database.arn, args.database.resourceId]).apply(([arn, resourceId]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "rds-db:connect", Resource: dbUserArn(arn, resourceId, user) }],
          }),
        ),
      },
      { parent: this },
    ).arn;
  }

  /** Read the RDS-managed master secret: the db-users Job's role only. */
  private masterSecretPolicy(name: string, args: AppPlatformArgs): pulumi.Output<string> {
    return new aws.iam.Policy(
      `${name}-db-users-master-secret`,
      {
        description: "Read the database's managed master secret, to create the app's and the dump's users",
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
    ).arn;
  }

  /**
   * Creates the database users from inside the cluster (the Pulumi runner cannot reach the
   * isolated subnets): the SQL of db-users.ts run by db-users.sh as the master user. The Job's
   * name carries a digest of both, so a change runs a new Job and an unchanged one never re-runs;
   * `pulumi up` waits for it and fails when it fails.
   */
  private dbUsersJob(
    name: string,
    args: AppPlatformArgs,
    { namespace: ns, connection, caVolume, caMount }: DatabaseClientPod,
    serviceAccount: k8s.core.v1.ServiceAccount,
  ): void {
    const sql = renderDbUsersSql({
      database: args.database.name,
      appUser: args.database.appUser,
      dumpUser: args.database.dumpUser,
    });
    const files = new k8s.core.v1.ConfigMap(
      `${name}-db-users-sql`,
      { metadata: { namespace: ns }, data: { "db-users.sql": sql, "db-users.sh": DB_USERS_SCRIPT } },
      { parent: this, provider: args.provider },
    );
    const volumeMounts = [
      { name: "work", mountPath: "/work" },
      { name: "sql", mountPath: "/sql", readOnly: true },
      caMount,
    ];
    new k8s.batch.v1.Job(
      `${name}-db-users`,
      {
        metadata: {
          name: `db-users-${sqlDigest(sql + DB_USERS_SCRIPT)}`,
          namespace: ns,
          // A Job that failed (the database still starting, say) is replaced by the next `up`, not awaited again.
          annotations: { "pulumi.com/replaceUnready": "true" },
        },
        spec: {
          backoffLimit: 3,
          activeDeadlineSeconds: 900,
          template: {
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              restartPolicy: "Never",
              securityContext: POD_SECURITY,
              volumes: [
                { name: "work", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
                { name: "sql", configMap: { name: files.metadata.name, defaultMode: 0o555 } },
                caVolume,
              ],
              initContainers: [
                {
                  name: "fetch-master-secret",
                  image: CLUSTER_IMAGES.awsCli,
                  command: ["/bin/sh", "-ec"],
                  args: [
                    "umask 077\n" +
                      'aws secretsmanager get-secret-value --secret-id "$DB_SECRET_ARN" --query SecretString --output text > /work/secret.json',
                  ],
                  env: [...connection, { name: "DB_SECRET_ARN", value: args.database.masterSecretArn }],
                  securityContext: RESTRICTED,
                  volumeMounts,
                  resources: SMALL,
                },
              ],
              containers: [
                {
                  name: "db-users",
                  image: CLUSTER_IMAGES.postgres,
                  command: ["/bin/sh", "/sql/db-users.sh"],
                  env: [...connection, { name: "SQL_FILE", value: "/sql/db-users.sql" }],
                  securityContext: RESTRICTED,
                  volumeMounts,
                  resources: SMALL,
                },
              ],
            },
          },
        },
      },
      {
        parent: this,
        provider: args.provider,
        dependsOn: args.dependsOn,
        customTimeouts: { create: "20m", update: "20m" },
      },
    );
  }

  private dumpCronJob(
    name: string,
    args: AppPlatformArgs,
    { namespace: ns, connection, caVolume, caMount }: DatabaseClientPod,
    serviceAccount: k8s.core.v1.ServiceAccount,
  ): void {
    const scripts = new k8s.core.v1.ConfigMap(
      `${name}-db-dump-scripts`,
      { metadata: { namespace: ns }, data: { "db-dump.sh": DUMP_SCRIPT, "db-upload.sh": UPLOAD_SCRIPT } },
      { parent: this, provider: args.provider },
    );
    const volumeMounts = [
      { name: "work", mountPath: "/work" },
      { name: "scripts", mountPath: "/scripts", readOnly: true },
      caMount,
    ];
    const env = [
      ...connection,
      { name: "DB_USER", value: args.database.dumpUser },
      { name: "DB_SCHEMA", value: APP_SCHEMA },
      { name: "BUCKET", value: args.backup.bucketName },
      { name: "PREFIX", value: args.backup.prefix },
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
                  securityContext: POD_SECURITY,
                  volumes: [
                    { name: "work", emptyDir: { sizeLimit: "64Mi" } },
                    { name: "scripts", configMap: { name: scripts.metadata.name, defaultMode: 0o555 } },
                    caVolume,
                  ],
                  initContainers: [
                    {
                      // The token is valid for 15 minutes: enough for pg_dump to connect, once.
                      name: "db-auth-token",
                      image: CLUSTER_IMAGES.awsCli,
                      command: ["/bin/sh", "-ec"],
                      args: [
                        "umask 077\n" +
                          'aws rds generate-db-auth-token --hostname "$DB_HOST" --port "$DB_PORT" --username "$DB_USER" --region "$AWS_REGION" > /work/db-token\n' +
                          "mkfifo -m 600 /work/dump.fifo",
                      ],
                      env,
                      securityContext: RESTRICTED,
                      volumeMounts,
                      resources: SMALL,
                    },
                  ],
                  containers: [
                    {
                      name: "dump",
                      image: CLUSTER_IMAGES.postgres,
                      command: ["/bin/sh", "/scripts/db-dump.sh"],
                      env,
                      securityContext: RESTRICTED,
                      volumeMounts,
                      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
                    },
                    {
                      name: "upload",
                      image: CLUSTER_IMAGES.awsCli,
                      command: ["/bin/sh", "/scripts/db-upload.sh"],
                      env,
                      securityContext: RESTRICTED,
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
