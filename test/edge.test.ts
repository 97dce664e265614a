import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import {
  CONTAINER_CAPABILITIES,
  CONTAINER_NAMES,
  READ_ONLY_ROOT,
  REDIS_CONF_HOST_PATH,
  checkMemoryBudget,
  EDGE_SCRIPTS,
  preDeployBackupCommand,
  EDGE_UNITS,
  knownHostsLine,
  redisMaxMemoryMb,
  resolveAppImage,
} from "../components/edge";
import { GATE_IN_PREVIEW } from "../components/edge/gate";
import { connection, shellQuote } from "../components/edge/host";
import { renderSshdConfig } from "../components/edge/sshd";
import { environmentDefaults } from "../config";
import { EDGE_OS_RESERVE_MB } from "../config/schema";
import { CLOUD_STACK_REFERENCE } from "../stacks/edge";
import { entry, item } from "./helpers/assert";
import { edgeConfigWith } from "./helpers/config";
import {
  asList,
  asString,
  input,
  inputJson,
  inputNumber,
  inputRecords,
  inputString,
  inputStrings,
} from "./helpers/inputs";
import {
  CLOUD_STACK_OF,
  EDGE_STACKS,
  ofType,
  one,
  planFor,
  PROJECT_DIR,
  STACKS,
  type Plan,
  type PlannedResource,
} from "./helpers/program";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const DIGEST = /@sha256:[a-f0-9]{64}$/;

function stackEdge(stack: string): { site: string; host: string; hostKey: string; appImage?: string } {
  const file = parse(fs.readFileSync(`${PROJECT_DIR}/Pulumi.${stack}.yaml`, "utf8")) as {
    config: Record<string, { site: string; host: string; hostKey: string; appImage?: string }>;
  };
  return entry(file.config, "platform:edge", `Pulumi.${stack}.yaml config`);
}

/** The Edge component keeps the names it had in the cloud stack: platform-<environment>. */
const componentName = (stack: (typeof EDGE_STACKS)[number]) => `platform-${CLOUD_STACK_OF[stack]}`;
const edgeResources = (plan: Plan, stack: (typeof EDGE_STACKS)[number]) =>
  plan.resources.filter((r) => r.parent === `platform:edge:Edge::${componentName(stack)}`);
const containers = (plan: Plan) => ofType(plan, "docker:index/container:Container");
const commands = (plan: Plan) => ofType(plan, "command:remote:Command");

const edgeConfig = (edge: Record<string, unknown>, secrets: Record<string, string> = {}) =>
  edgeConfigWith({ ...edge, ...secrets });

describe("cloud stacks never contact a Pi", () => {
  for (const stack of STACKS) {
    it(`${stack}: no docker: or command: resource, no Docker or Command provider, no stack reference`, () => {
      const plan = planFor(stack);
      const touching = plan.resources.filter(
        (r) =>
          /^(docker|command):/.test(r.type) ||
          /^pulumi:providers:(docker|command)$/.test(r.type) ||
          r.type === "pulumi:pulumi:StackReference",
      );
      assert.deepEqual(
        touching.map((r) => `${r.type}::${r.name}`),
        [],
      );
      assert.equal(ofType(plan, "platform:edge:Edge").length, 0);
    });
  }
});

describe("edge stacks", () => {
  for (const stack of EDGE_STACKS) {
    const name = componentName(stack);
    describe(stack, () => {
      it("is one platform:edge:Edge component whose children are all parented to it", () => {
        const plan = planFor(stack);
        one(plan, "platform:edge:Edge", name);
        for (const r of [
          ...containers(plan),
          ...commands(plan),
          ...ofType(plan, "docker:index/remoteImage:RemoteImage"),
        ])
          assert.equal(r.parent, `platform:edge:Edge::${name}`, r.name);
      });

      it("reads its environment's cloud stack through exactly one StackReference, and creates no AWS network, cluster, database or cache", () => {
        const plan = planFor(stack);
        const ref = one(plan, "pulumi:pulumi:StackReference", CLOUD_STACK_REFERENCE);
        assert.equal(ref.inputs.name, `organization/platform/${CLOUD_STACK_OF[stack]}`);
        const forbidden = /^(aws:(ec2|eks|rds|elasticache|s3|kms|iam|ecr)\/|awsx:|eks:|kubernetes:)/;
        assert.deepEqual(
          plan.resources.filter((r) => forbidden.test(r.type)).map((r) => r.type),
          [],
        );
        // Only the provider that looks up the newest image when none is pinned (prod pins it).
        const pinned = stackEdge(stack).appImage !== undefined;
        assert.equal(
          pinned,
          environmentDefaults[CLOUD_STACK_OF[stack]].edge.requirePinnedAppImage,
          "the stack file pins the image exactly where the environment requires it",
        );
        assert.deepEqual(
          plan.resources
            .filter((r) => r.type.startsWith("aws:") || r.type === "pulumi:providers:aws")
            .map((r) => r.type),
          pinned ? [] : ["pulumi:providers:aws"],
        );
        // The plan says which image it took.
        assert.equal(plan.outputs.edgeAppImageSource, pinned ? "pinned" : "newest");
        assert.equal(plan.outputs.site, stackEdge(stack).site);
      });

      it("stores nothing machine-specific: no agent socket path, no home directory", () => {
        const plan = planFor(stack);
        const text = JSON.stringify(edgeResources(plan, stack).map((r) => r.inputs));
        assert.doesNotMatch(text, /agentSocketPath|SSH_AUTH_SOCK/);
        assert.ok(!text.includes(`${os.userInfo().homedir}/`), "no home directory");
      });

      it("pins the host key for the remote commands and for the Docker provider's ssh", () => {
        const plan = planFor(stack);
        const { host, hostKey } = stackEdge(stack);
        // The command provider holds the whole connection (it carries the private key) as a secret.
        for (const c of commands(plan)) assert.equal(c.inputs.connection, "[secret]", `${c.name} connection is secret`);
        const provider = one(plan, "pulumi:providers:docker", `${name}-edge-docker`);
        assert.equal(provider.inputs.host, `ssh://pi@${host}:22`);
        const sshOpts = inputJson(provider, "sshOpts") as string[];
        assert.ok(sshOpts.includes("StrictHostKeyChecking=yes"));
        // The pinned key travels in the options: no known_hosts file is read or written.
        assert.ok(sshOpts.includes(`KnownHostsCommand=/bin/echo ${host} ${hostKey}`), sshOpts.join(" "));
        assert.ok(
          sshOpts.includes("UserKnownHostsFile=none") && sshOpts.includes("GlobalKnownHostsFile=none"),
          sshOpts.join(" "),
        );
        assert.ok(
          !fs.existsSync(path.join(os.userInfo().homedir, `.ssh/pulumi-edge/${stack}`)),
          "the plan wrote nothing under ~/.ssh",
        );
        // A registry token in the provider would change on every run: a diff in every preview.
        assert.equal(provider.inputs.registryAuth, undefined, "the provider holds no registry credentials");
      });

      it("runs host preparation and installs scripts again only when their content changes", () => {
        const plan = planFor(stack);
        const prep = one(plan, "command:remote:Command", `${name}-edge-host-prep`);
        assert.equal(prep.inputs.stdin, EDGE_SCRIPTS["host-prep.sh"], "the script travels on stdin");
        assert.deepEqual(prep.inputs.triggers, [sha256(EDGE_SCRIPTS["host-prep.sh"])]);
        const edge = environmentDefaults[CLOUD_STACK_OF[stack]].edge;
        assert.equal(
          prep.inputs.create,
          `sudo env EDGE_USER=pi EDGE_APP_UID=1000 EDGE_SSH_PORT=22 EDGE_SSH_ALLOW_FROM=${shellQuote(edge.sshAllowFrom.join(" "))} ` +
            `EDGE_SSHD_CONFIG=${shellQuote(renderSshdConfig({ user: "pi", port: 22 }))} EDGE_REBOOT_TIME=${edge.rebootTime} JOURNAL_MAX=${edge.journalMaxMb}M bash -s`,
          "SSH admitted from the configured networks; the sshd drop-in for the stack's user and port",
        );
        const installed = {
          "edge-backup.sh": "backup-script",
          "edge-restore.sh": "restore-script",
          "pi-metrics.sh": "metrics-script",
        } as const;
        for (const [file, key] of Object.entries(installed)) {
          const c = one(plan, "command:remote:Command", `${name}-edge-${key}`);
          assert.equal(c.inputs.stdin, EDGE_SCRIPTS[file as keyof typeof EDGE_SCRIPTS]);
          assert.deepEqual(c.inputs.triggers, [sha256(c.inputs.stdin)]);
          assert.match(
            inputString(c, "create"),
            new RegExp(`chmod 0755 /usr/local/lib/edge/${file.replace(".", "\\.")}\\.new`),
          );
        }
        for (const [unit, content] of Object.entries(EDGE_UNITS)) {
          const c = one(plan, "command:remote:Command", `${name}-edge-unit-${unit.replace(".", "-")}`);
          assert.equal(c.inputs.stdin, content);
          assert.deepEqual(c.inputs.triggers, [sha256(content)]);
        }
        for (const c of commands(plan)) {
          // A secret file's trigger (the hash of its content) is itself secret.
          assert.ok(
            (Array.isArray(c.inputs.triggers) && c.inputs.triggers.length > 0) || c.inputs.triggers === "[secret]",
            `${c.name} has triggers`,
          );
          // A trigger change replaces the command; create-before-delete would undo the new file or timer.
          if (c.inputs.delete)
            assert.equal(c.options.deleteBeforeReplace, true, `${c.name} deletes before it replaces`);
        }
        for (const c of commands(plan))
          assert.doesNotMatch(JSON.stringify(c.inputs.triggers), /\d{4}-\d{2}-\d{2}T/, "no timestamps");
      });

      it("every container: limit from config, health check, unless-stopped, arm64 image by digest", () => {
        const plan = planFor(stack);
        const m = environmentDefaults[CLOUD_STACK_OF[stack]].edge.memoryMb;
        const limits = {
          "edge-app": m.app,
          "edge-redis": m.redis,
          "edge-nginx": m.nginx,
          "edge-node-exporter": m.nodeExporter,
          "edge-metrics-agent": m.metricsAgent,
          "edge-log-agent": m.logAgent,
        };
        assert.deepEqual(
          containers(plan)
            .map((c) => c.inputs.name)
            .sort(),
          Object.keys(limits).sort(),
        );
        for (const c of containers(plan)) {
          assert.equal(c.inputs.memory, limits[c.inputs.name as keyof typeof limits], `${c.inputs.name} memory`);
          assert.equal(c.inputs.restart, "unless-stopped");
          assert.ok(
            asList(input(c, "healthcheck.tests") ?? []).length > 1 &&
              ["CMD", "CMD-SHELL"].includes(asString(input(c, "healthcheck.tests.0"))),
            `${c.inputs.name} health check`,
          );
          assert.match(inputString(c, "image"), DIGEST, `${c.inputs.name} image by digest`);
          assert.equal(c.inputs.platform, "linux/arm64");
          assert.deepEqual(c.inputs.securityOpts, ["no-new-privileges:true"]);
          assert.equal(
            c.options.deleteBeforeReplace,
            true,
            `${c.inputs.name}: a fixed name and ports cannot exist twice`,
          );
        }
        for (const image of ofType(plan, "docker:index/remoteImage:RemoteImage")) {
          assert.match(inputString(image, "name"), DIGEST);
          assert.equal(image.inputs.platform, "linux/arm64");
        }
        const total = Object.values(limits).reduce((a, b) => a + b, 0);
        assert.ok(environmentDefaults[CLOUD_STACK_OF[stack]].edge.hostMemoryMb - total >= EDGE_OS_RESERVE_MB);
        const app = containers(plan).find((c) => c.inputs.name === "edge-app") as PlannedResource;
        assert.equal(app.inputs.memoryReservation, 256);
        assert.match(
          inputString(app, "image"),
          /^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/edge-app@sha256:/,
          "the stack's ECR repository",
        );
        assert.deepEqual(app.inputs.volumes, [{ hostPath: "/srv/edge/data", containerPath: "/data" }]);
        const redis = containers(plan).find((c) => c.inputs.name === "edge-redis") as PlannedResource;
        const command = inputStrings(redis, "command");
        const flag = (name: string) => command[command.indexOf(name) + 1];
        assert.equal(flag("--appendonly"), "yes");
        assert.equal(flag("--maxmemory"), `${redisMaxMemoryMb(m.redis)}mb`);
        assert.ok(redisMaxMemoryMb(m.redis) < m.redis);
        assert.equal(flag("--maxmemory-policy"), "allkeys-lru");
      });

      it("every container drops all capabilities but nginx's five; read-only root where the image allows", () => {
        const plan = planFor(stack);
        const byName = Object.fromEntries(containers(plan).map((c) => [c.inputs.name, c]));
        for (const [key, containerName] of Object.entries(CONTAINER_NAMES) as [
          keyof typeof CONTAINER_NAMES,
          string,
        ][]) {
          const c = byName[containerName];
          assert.deepEqual(input(c, "capabilities.drops"), ["ALL"], `${containerName} drops every capability`);
          assert.deepEqual(
            input(c, "capabilities.adds") ?? [],
            CONTAINER_CAPABILITIES[key],
            `${containerName} keeps only what it needs`,
          );
          assert.equal(c.inputs.readOnly, READ_ONLY_ROOT[key], `${containerName} read-only root`);
          // A read-only root filesystem and an upload into the container cannot go together (Docker refuses the copy).
          if (c.inputs.readOnly)
            assert.equal(c.inputs.uploads, undefined, `${containerName}: no upload into a read-only root`);
        }
        assert.deepEqual([...CONTAINER_CAPABILITIES.nginx].sort(), [
          "CHOWN",
          "DAC_OVERRIDE",
          "NET_BIND_SERVICE",
          "SETGID",
          "SETUID",
        ]);
        for (const key of ["app", "redis", "nodeExporter"] as const) assert.equal(READ_ONLY_ROOT[key], true, key);
        // The app writes only its data volume and a small tmpfs.
        assert.deepEqual(byName["edge-app"].inputs.tmpfs, { "/tmp": "rw,noexec,nosuid,nodev,size=64m" });
        assert.equal(byName["edge-redis"].inputs.user, "999:999", "Redis runs as its own user from the start");
      });

      it("backs up before a deploy that changes the app image: the app waits for the backup, which waits for the backup unit", () => {
        const plan = planFor(stack);
        const backup = one(plan, "command:remote:Command", `${name}-edge-pre-deploy-backup`);
        assert.equal(backup.inputs.create, preDeployBackupCommand());
        const app = containers(plan).find((c) => c.inputs.name === "edge-app") as PlannedResource;
        assert.deepEqual(backup.inputs.triggers, [app.inputs.image], "runs again exactly when the app image changes");
        assert.ok(
          app.options.dependsOn?.includes(`command:remote:Command::${name}-edge-pre-deploy-backup`),
          "the app container is replaced only after the backup",
        );
        assert.ok(
          backup.options.dependsOn?.includes(`command:remote:Command::${name}-edge-timers`),
          "the backup unit is installed and loaded first",
        );
      });

      it("Redis asks for a generated password, kept secret: a 0400 config file on the Pi, never in the plan or a health check", () => {
        const plan = planFor(stack);
        const password = one(plan, "random:index/randomPassword:RandomPassword", `${name}-edge-redis-password`);
        assert.equal(password.inputs.length, 32);
        const conf = one(plan, "command:remote:Command", `${name}-edge-redis-conf`);
        assert.equal(conf.inputs.stdin, "[secret]", "the config travels as a secret on stdin");
        assert.equal(conf.inputs.logging, "none");
        assert.match(
          inputString(conf, "create"),
          new RegExp(`chown 999:999 ${REDIS_CONF_HOST_PATH}\\.new && chmod 0400 `),
        );
        const redis = containers(plan).find((c) => c.inputs.name === "edge-redis") as PlannedResource;
        assert.ok(
          inputRecords(redis, "volumes").some((v) => v.hostPath === REDIS_CONF_HOST_PATH && v.readOnly),
          "mounted read-only",
        );
        assert.ok(inputStrings(redis, "command").includes("/usr/local/etc/redis/redis.conf"), "redis-server reads it");
        assert.doesNotMatch(JSON.stringify(redis.inputs.healthcheck), /-a |REDISCLI_AUTH|requirepass/);
        assert.ok(
          redis.options.dependsOn?.includes(`command:remote:Command::${name}-edge-redis-conf`),
          "Redis starts after its config file is written",
        );
        const app = containers(plan).find((c) => c.inputs.name === "edge-app") as PlannedResource;
        assert.equal(app.inputs.envs, "[secret]", "REDIS_URL carries the password: the app's environment is secret");
        assert.doesNotMatch(JSON.stringify(plan), /requirepass [A-Za-z0-9]{32}/);
      });

      it("only nginx publishes ports (80 and 443); everything else is on the internal network only", () => {
        const plan = planFor(stack);
        for (const c of containers(plan)) {
          if (c.inputs.name === "edge-nginx")
            assert.deepEqual(
              inputRecords(c, "ports").map((p) => [p.internal, p.external]),
              [
                [80, 80],
                [443, 443],
              ],
            );
          else assert.equal(c.inputs.ports, undefined, `${c.inputs.name} publishes nothing`);
          assert.ok(!c.inputs.networkMode, `${c.inputs.name} is not on the host network`);
        }
        const internal = one(plan, "docker:index/network:Network", `${name}-edge-internal`);
        assert.equal(internal.inputs.internal, true);
        const networks = Object.fromEntries(
          containers(plan).map((c) => [
            c.inputs.name,
            inputRecords(c, "networksAdvanced")
              .map((n) => asString(n.name))
              .sort(),
          ]),
        );
        assert.deepEqual(networks, {
          "edge-app": ["edge-internal"],
          "edge-redis": ["edge-internal"],
          "edge-node-exporter": ["edge-internal"],
          "edge-nginx": ["edge-egress", "edge-internal"],
          "edge-metrics-agent": ["edge-egress", "edge-internal"],
          // Talks to the cluster only; nothing on the Pi talks to it.
          "edge-log-agent": ["edge-egress"],
        });
        const nginx = containers(plan).find((c) => c.inputs.name === "edge-nginx") as PlannedResource;
        assert.match(
          inputString(nginx, "uploads.0.content"),
          new RegExp(`server_name ${stackEdge(stack).host.replace(/\./g, "\\.")};`),
        );
      });

      it("backs up under edge/<site>/ with the identity the cloud stack made for the site (its key a 0600 secret on the Pi)", () => {
        const plan = planFor(stack);
        const key = one(plan, "command:remote:Command", `${name}-edge-identity-key`);
        assert.equal(key.inputs.logging, "none");
        assert.equal(key.inputs.stdin, "[secret]", "the identity's key is never plain text in the plan");
        assert.match(
          inputString(key, "create"),
          /umask 077 .*chown root:root .*chmod 0600 \/etc\/edge\/identity\/key\.pem\.new/,
        );
        const env = one(plan, "command:remote:Command", `${name}-edge-backup-env`);
        const cloud = planFor(CLOUD_STACK_OF[stack]);
        assert.match(inputString(env, "stdin"), new RegExp(`^EDGE_BACKUP_BUCKET=${cloud.outputs.backupBucket}$`, "m"));
        // The script writes under <prefix><site>/: exactly the prefix the cloud stack gave the site.
        const prefix = /^EDGE_BACKUP_PREFIX=(.*)$/m.exec(inputString(env, "stdin"))?.[1];
        const site = /^EDGE_SITE=(.*)$/m.exec(inputString(env, "stdin"))?.[1];
        assert.equal(
          `${prefix}${site}/`,
          entry(cloud.outputs.edgeSites as Record<string, { backupPrefix: string }>, stackEdge(stack).site, "edgeSites")
            .backupPrefix,
        );
        assert.match(
          inputString(env, "stdin"),
          new RegExp(
            `^EDGE_BACKUP_RETENTION_DAYS=${environmentDefaults[CLOUD_STACK_OF[stack]].edge.backupRetentionDays}$`,
            "m",
          ),
        );
        assert.match(inputString(env, "stdin"), /^AWS_DEFAULT_REGION=us-east-1$/m);
        // Tiers are the cloud stack's decision (its weekly/monthly retention outliving the daily one).
        const tiers = entry(
          cloud.outputs.edgeSites as Record<string, { backupTiers: boolean }>,
          stackEdge(stack).site,
          "edgeSites",
        ).backupTiers;
        assert.match(inputString(env, "stdin"), new RegExp(`^EDGE_BACKUP_TIERS=${tiers ? 1 : 0}$`, "m"));
        assert.equal(tiers, CLOUD_STACK_OF[stack] === "prod", "prod keeps weekly and monthly copies; dev does not");
        const tlsKey = one(plan, "command:remote:Command", `${name}-edge-tls-key`);
        assert.equal(tlsKey.inputs.logging, "none");
        assert.equal(tlsKey.inputs.stdin, "[secret]", "never plain text in the plan");
      });

      it("pulls the app image on the Pi, by digest, with the site's identity; the provider pulls only public images", () => {
        const plan = planFor(stack);
        const app = containers(plan).find((c) => c.inputs.name === "edge-app") as PlannedResource;
        const awsConfig = one(plan, "command:remote:Command", `${name}-edge-aws-config`);
        const pull = one(plan, "command:remote:Command", `${name}-edge-app-pull`);
        assert.equal(pull.inputs.stdin, EDGE_SCRIPTS["ecr-pull.sh"]);
        assert.deepEqual(
          pull.inputs.triggers,
          [sha256(EDGE_SCRIPTS["ecr-pull.sh"]), app.inputs.image],
          "pulls again exactly when the image changes",
        );
        assert.equal(
          pull.inputs.create,
          `sudo env EDGE_IMAGE=${app.inputs.image} EDGE_ECR_REGION=us-east-1 AWS_CONFIG_FILE=/etc/edge/aws-config bash -s`,
        );
        assert.ok(pull.options.dependsOn?.includes(`command:remote:Command::${awsConfig.name}`));
        assert.ok(
          app.options.dependsOn?.includes(`command:remote:Command::${pull.name}`),
          "the container waits for the pull",
        );
        const images = ofType(plan, "docker:index/remoteImage:RemoteImage").map((i) => i.inputs.name as string);
        assert.equal(images.length, 5);
        assert.ok(!images.some((i) => i.includes(".dkr.ecr.")), "no private image goes through the provider");
      });

      it("remote-writes with a bearer token and the cluster CA as files in the agent container", () => {
        const plan = planFor(stack);
        const agent = containers(plan).find((c) => c.inputs.name === "edge-metrics-agent") as PlannedResource;
        const uploads = agent.inputs.uploads as { file: string; content: unknown }[];
        const config = parse(uploads.find((u) => u.file === "/etc/prometheus/agent.yml")?.content as string) as {
          remote_write?: Record<string, unknown>[];
        };
        assert.ok(config.remote_write, "the cloud stack has monitoring: the agent remote-writes");
        const rw = item(config.remote_write, 0, "remote_write");
        assert.match(
          rw.url as string,
          /^https:\/\/[^/]+\/api\/v1\/namespaces\/monitoring\/services\/edge-write-gateway:8080\/proxy\/api\/v1\/write$/,
        );
        assert.deepEqual(rw.authorization, { type: "Bearer", credentials_file: "/etc/prometheus/secrets/token" });
        assert.deepEqual(rw.tls_config, { ca_file: "/etc/prometheus/secrets/ca.pem" });
        assert.deepEqual(
          uploads.map((u) => u.file),
          ["/etc/prometheus/agent.yml"],
          "no secret in the container's inputs",
        );
        // The token and CA are files on the Pi (the token the agent user's, 0400), mounted read-only.
        const token = one(plan, "command:remote:Command", `${name}-edge-metrics-token`);
        assert.equal(token.inputs.stdin, "[secret]", "the token is never plain text in the plan");
        assert.equal(token.inputs.logging, "none");
        assert.match(inputString(token, "create"), /chown 65534:65534 \/etc\/edge\/metrics\/token\.new && chmod 0400/);
        const ca = one(plan, "command:remote:Command", `${name}-edge-metrics-ca`);
        assert.match(ca.inputs.stdin as string, /-----BEGIN CERTIFICATE-----/);
        assert.deepEqual(
          inputRecords(agent, "volumes").find((v) => v.containerPath === "/etc/prometheus/secrets"),
          {
            hostPath: "/etc/edge/metrics",
            containerPath: "/etc/prometheus/secrets",
            readOnly: true,
          },
        );
        for (const file of [token, ca])
          assert.ok(agent.options.dependsOn?.includes(`command:remote:Command::${file.name}`));
        // Every series carries the site's label, which the cloud's EdgeSilent alert for the site watches.
        assert.deepEqual((config as { global: { external_labels: Record<string, string> } }).global.external_labels, {
          site: stackEdge(stack).site,
        });
      });

      it("nginx rate-limits /health too, and sends no HSTS with the self-signed certificate", () => {
        const plan = planFor(stack);
        const nginx = containers(plan).find((c) => c.inputs.name === "edge-nginx") as PlannedResource;
        const conf = input(nginx, "uploads.0.content") as string;
        assert.match(
          item(conf.slice(conf.indexOf("location = /health {")).split("}"), 0, "location"),
          /limit_req zone=per_client/,
        );
        assert.doesNotMatch(conf, /Strict-Transport-Security/);
      });

      it("self-signs an ECDSA P-256 certificate for the host, renewed before it expires", () => {
        const plan = planFor(stack);
        const key = one(plan, "tls:index/privateKey:PrivateKey", `${name}-edge-tls`);
        assert.deepEqual([key.inputs.algorithm, key.inputs.ecdsaCurve], ["ECDSA", "P256"]);
        const cert = one(plan, "tls:index/selfSignedCert:SelfSignedCert", `${name}-edge-tls`);
        assert.deepEqual(cert.inputs.dnsNames, [stackEdge(stack).host]);
        assert.ok(inputNumber(cert, "validityPeriodHours") >= 24 * 365 && inputNumber(cert, "earlyRenewalHours") > 0);
      });

      it("leaves the health gate to `up` (an invoke, nothing in the state, so previews stay empty)", () => {
        const plan = planFor(stack);
        assert.equal(ofType(plan, "command:remote:Command").filter((c) => /gate/.test(c.name)).length, 0);
        assert.equal(plan.outputs.edgeHealthCheck, GATE_IN_PREVIEW);
        assert.equal(plan.outputs.edgeUrl, `https://${stackEdge(stack).host}`);
      });
    });
  }

  it("edge-dev and edge-prod differ only by configuration (names, keys, sites, the cloud stack's names)", () => {
    const shape = (stack: (typeof EDGE_STACKS)[number]) => {
      const { site, host, hostKey } = stackEdge(stack);
      const env = CLOUD_STACK_OF[stack];
      // The same pinned image in both: prod's stack file pins one, dev follows the newest push.
      return (
        edgeResources(planFor(stack, { "platform:edge": { appImage: `edge-app@sha256:${"c".repeat(64)}` } }), stack)
          .map((r) => JSON.stringify({ type: r.type, name: r.name, inputs: r.inputs, options: r.options }))
          .map((s) =>
            s.split(`platform-${env}`).join("platform-ENV").split(host).join("HOST").split(hostKey).join("HOSTKEY"),
          )
          // Tiers follow the cloud stack's retention (prod keeps weekly and monthly copies): config.
          .map((s) => s.replace(/EDGE_BACKUP_TIERS=[01]/, "EDGE_BACKUP_TIERS=T"))
          .map((s) =>
            s
              .split(`EDGE_SITE=${site}`)
              .join("EDGE_SITE=SITE")
              .split(`site: ${site}`)
              .join("site: SITE")
              .split(`instance: ${site}`)
              .join("instance: SITE")
              // The site's Roles Anywhere profile, role and certificate are named after it.
              .split(`-site-${site}`)
              .join("-site-SITE"),
          )
          .map((s) => s.replace(/"triggers":\["[a-f0-9]{64}"\]/g, '"triggers":["HASH"]'))
          // The log agent's labels and the site's own gateway port (a function of the site's name).
          .map((s) =>
            s
              .split(`site        = \\"${site}\\"`)
              .join("site = SITE")
              .split(`environment = \\"${env}\\"`)
              .join("environment = ENV")
              .replace(/edge-write-gateway:\d+\/proxy\/loki/g, "edge-write-gateway:PORT/proxy/loki"),
          )
          .sort()
      );
    };
    assert.deepEqual(shape("edge-prod"), shape("edge-dev"));
  });

  it("sends HSTS once a provided certificate replaces the self-signed one", () => {
    const pem = (kind: string) => `-----BEGIN ${kind}-----\nMIIB\n-----END ${kind}-----\n`;
    const plan = planFor("edge-dev", {
      "platform:edge": { tlsCertificate: pem("CERTIFICATE"), tlsPrivateKey: pem("PRIVATE KEY") },
    });
    assert.equal(ofType(plan, "tls:index/selfSignedCert:SelfSignedCert").length, 0);
    const nginx = containers(plan).find((c) => c.inputs.name === "edge-nginx") as PlannedResource;
    assert.match(
      inputString(nginx, "uploads.0.content"),
      /^ {4}add_header Strict-Transport-Security "max-age=31536000" always;$/m,
    );
  });

  it("refuses container limits that leave the Pi's OS under 1 GB (plan exits with the problem)", () => {
    assert.throws(
      () =>
        planFor("edge-dev", {
          "platform:edge": { memoryMb: { app: 2560, redis: 192, nginx: 128, nodeExporter: 64, metricsAgent: 192 } },
        }),
      (error: Error) =>
        /exited 2/.test(error.message) && /platform:edge\.memoryMb/.test(error.message) && /1024/.test(error.message),
    );
  });

  it("the component checks the memory budget itself too", () => {
    assert.equal(
      checkMemoryBudget({
        hostMemoryMb: 4096,
        memoryMb: { app: 512, redis: 192, nginx: 128, nodeExporter: 64, metricsAgent: 192, logAgent: 192 },
      }),
      2816,
    );
    assert.throws(
      () =>
        checkMemoryBudget({
          hostMemoryMb: 2048,
          memoryMb: { app: 512, redis: 192, nginx: 128, nodeExporter: 64, metricsAgent: 192, logAgent: 192 },
        }),
      /leaving 768 MB; the OS needs at least 1024 MB/,
    );
  });

  it("connects with the secret private key when configured, the SSH agent otherwise; host key pinned either way", async () => {
    const withKey = connection(
      edgeConfig(
        { port: 2222 },
        { sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----" },
      ),
    );
    assert.equal(withKey.hostKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEqgoCoy/93QeHl3TKWzzLwL4WMKnYfRTYkC9wfr2Hb");
    assert.equal(withKey.port, 2222);
    assert.ok(pulumi.Output.isInstance(withKey.privateKey));
    assert.equal(await pulumi.isSecret(withKey.privateKey as pulumi.Output<string>), true);
    assert.equal(withKey.agentSocketPath, undefined);
    const withAgent = connection(edgeConfig({}));
    assert.equal(withAgent.privateKey, undefined);
    // The provider reads $SSH_AUTH_SOCK itself: a path in the inputs would differ on every machine.
    assert.equal(withAgent.agentSocketPath, undefined);
    assert.equal(withAgent.hostKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEqgoCoy/93QeHl3TKWzzLwL4WMKnYfRTYkC9wfr2Hb");
    assert.equal(
      knownHostsLine("pi.example.net", 2222, "ssh-ed25519 AAAA comment"),
      "[pi.example.net]:2222 ssh-ed25519 AAAA\n",
    );
  });

  it("a pinned app image needs no AWS provider in the edge stack", () => {
    const plan = planFor("edge-prod", { "platform:edge": { appImage: `edge-app@sha256:${"a".repeat(64)}` } });
    assert.equal(ofType(plan, "pulumi:providers:aws").length, 0);
    const app = containers(plan).find((c) => c.inputs.name === "edge-app") as PlannedResource;
    assert.equal(app.inputs.image, `123456789012.dkr.ecr.us-east-1.amazonaws.com/edge-app@sha256:${"a".repeat(64)}`);
  });

  it("refuses a site its cloud stack does not serve (plan exits 2 naming the key and the sites there are)", () => {
    assert.throws(
      () => planFor("edge-dev", { "platform:edge": { site: "garage" } }),
      (error: Error) =>
        /exited 2/.test(error.message) &&
        /platform:edge\.site: got "garage"; expected a site that stack organization\/platform\/dev serves \(its platform:edgeSites: lab\)/.test(
          error.message,
        ),
    );
  });

  it("resolves edge.appImage: a bare edge-app digest means the stack's ECR repository", () => {
    const ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/edge-app";
    const digest = `sha256:${"a".repeat(64)}`;
    assert.equal(resolveAppImage(`edge-app@${digest}`, ecr), `${ecr}@${digest}`);
    assert.equal(resolveAppImage(`ghcr.io/acme/edge-app@${digest}`, ecr), `ghcr.io/acme/edge-app@${digest}`);
    assert.equal(resolveAppImage(undefined, ecr), undefined);
    assert.throws(() => resolveAppImage("edge-app:latest", ecr), /sha256/);
  });
});
