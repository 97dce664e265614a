import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { checkMemoryBudget, EDGE_SCRIPTS, EDGE_UNITS, knownHostsLine, redisMaxMemoryMb, resolveAppImage } from "../components/edge";
import { GATE_IN_PREVIEW } from "../components/edge/gate";
import { connection } from "../components/edge/host";
import { loadConfig } from "../config";
import { EDGE_OS_RESERVE_MB } from "../config/schema";
import { ofType, one, planFor, PROJECT_DIR, STACKS, type Plan, type PlannedResource } from "./helpers/program";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const DIGEST = /@sha256:[a-f0-9]{64}$/;

function stackEdge(stack: string): { host: string; hostKey: string } {
  const file = parse(fs.readFileSync(`${PROJECT_DIR}/Pulumi.${stack}.yaml`, "utf8")) as { config: Record<string, { host: string; hostKey: string }> };
  return file.config["platform:edge"];
}

const edgeResources = (plan: Plan, stack: string) => plan.resources.filter((r) => r.parent === `platform:edge:Edge::platform-${stack}`);
const containers = (plan: Plan) => ofType(plan, "docker:index/container:Container");
const commands = (plan: Plan) => ofType(plan, "command:remote:Command");

function edgeConfig(edge: Record<string, unknown>, secrets: Record<string, string> = {}) {
  return loadConfig({
    values: {
      "aws:region": "eu-west-1",
      "platform:environment": "dev",
      "platform:edge": JSON.stringify({ enabled: true, host: "pi.example.net", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEqgoCoy/93QeHl3TKWzzLwL4WMKnYfRTYkC9wfr2Hb", ...edge, ...secrets }),
    },
    project: "platform",
    stack: "dev",
  }).edge;
}

describe("edge", () => {
  for (const stack of STACKS) {
    describe(stack, () => {
      it("is one platform:edge:Edge component whose children are all parented to it", () => {
        const plan = planFor(stack);
        one(plan, "platform:edge:Edge", `platform-${stack}`);
        for (const r of [...containers(plan), ...commands(plan), ...ofType(plan, "docker:index/remoteImage:RemoteImage")])
          assert.equal(r.parent, `platform:edge:Edge::platform-${stack}`, r.name);
      });

      it("pins the host key for the remote commands and for the Docker provider's ssh", () => {
        const plan = planFor(stack);
        const { host, hostKey } = stackEdge(stack);
        // The command provider holds the whole connection (it carries the private key) as a secret.
        for (const c of commands(plan)) assert.equal(c.inputs.connection, "[secret]", `${c.name} connection is secret`);
        const provider = one(plan, "pulumi:providers:docker", `platform-${stack}-edge-docker`);
        assert.equal(provider.inputs.host, `ssh://pi@${host}:22`);
        const sshOpts = JSON.parse(provider.inputs.sshOpts) as string[];
        assert.ok(sshOpts.includes("StrictHostKeyChecking=yes"));
        // The same inputs on every machine: ssh expands ~ (from the passwd entry) itself.
        assert.ok(sshOpts.includes(`UserKnownHostsFile=~/.ssh/pulumi-edge/${stack}/known_hosts`), sshOpts.join(" "));
        const knownHostsFile = path.join(os.userInfo().homedir, `.ssh/pulumi-edge/${stack}/known_hosts`);
        assert.equal(fs.readFileSync(knownHostsFile, "utf8"), `${host} ${hostKey}\n`, "the known_hosts file trusts exactly the pinned key");
        assert.equal(fs.statSync(knownHostsFile).mode & 0o777, 0o600);
        assert.equal(fs.statSync(path.dirname(knownHostsFile)).mode & 0o777, 0o700);
        // A registry token in the provider would change on every run: a diff in every preview.
        assert.equal(provider.inputs.registryAuth, undefined, "the provider holds no registry credentials");
      });

      it("runs host preparation and installs scripts again only when their content changes", () => {
        const plan = planFor(stack);
        const prep = one(plan, "command:remote:Command", `platform-${stack}-edge-host-prep`);
        assert.equal(prep.inputs.stdin, EDGE_SCRIPTS["host-prep.sh"], "the script travels on stdin");
        assert.deepEqual(prep.inputs.triggers, [sha256(EDGE_SCRIPTS["host-prep.sh"])]);
        assert.match(prep.inputs.create, /^sudo env EDGE_USER=pi EDGE_APP_UID=\d+ EDGE_SSH_PORT=22 bash -s$/);
        const installed = { "edge-backup.sh": "backup-script", "edge-restore.sh": "restore-script", "pi-metrics.sh": "metrics-script" } as const;
        for (const [file, key] of Object.entries(installed)) {
          const c = one(plan, "command:remote:Command", `platform-${stack}-edge-${key}`);
          assert.equal(c.inputs.stdin, EDGE_SCRIPTS[file as keyof typeof EDGE_SCRIPTS]);
          assert.deepEqual(c.inputs.triggers, [sha256(c.inputs.stdin)]);
          assert.match(c.inputs.create, new RegExp(`chmod 0755 /usr/local/lib/edge/${file.replace(".", "\\.")}\\.new`));
        }
        for (const [unit, content] of Object.entries(EDGE_UNITS)) {
          const c = one(plan, "command:remote:Command", `platform-${stack}-edge-unit-${unit.replace(".", "-")}`);
          assert.equal(c.inputs.stdin, content);
          assert.deepEqual(c.inputs.triggers, [sha256(content)]);
        }
        for (const c of commands(plan)) {
          assert.ok(Array.isArray(c.inputs.triggers) && c.inputs.triggers.length > 0, `${c.name} has triggers`);
          // A trigger change replaces the command; create-before-delete would undo the new file or timer.
          if (c.inputs.delete) assert.equal(c.options.deleteBeforeReplace, true, `${c.name} deletes before it replaces`);
        }
        for (const c of commands(plan)) assert.doesNotMatch(JSON.stringify(c.inputs.triggers), /\d{4}-\d{2}-\d{2}T/, "no timestamps");
      });

      it("every container: limit from config, health check, unless-stopped, arm64 image by digest", () => {
        const plan = planFor(stack);
        const limits = { "edge-app": 512, "edge-redis": 192, "edge-nginx": 128, "edge-node-exporter": 64, "edge-metrics-agent": 192 };
        assert.deepEqual(containers(plan).map((c) => c.inputs.name).sort(), Object.keys(limits).sort());
        for (const c of containers(plan)) {
          assert.equal(c.inputs.memory, limits[c.inputs.name as keyof typeof limits], `${c.inputs.name} memory`);
          assert.equal(c.inputs.restart, "unless-stopped");
          assert.ok(c.inputs.healthcheck?.tests?.length > 1 && c.inputs.healthcheck.tests[0] === "CMD", `${c.inputs.name} health check`);
          assert.match(c.inputs.image, DIGEST, `${c.inputs.name} image by digest`);
          assert.equal(c.inputs.platform, "linux/arm64");
          assert.deepEqual(c.inputs.securityOpts, ["no-new-privileges:true"]);
          assert.equal(c.options.deleteBeforeReplace, true, `${c.inputs.name}: a fixed name and ports cannot exist twice`);
        }
        for (const image of ofType(plan, "docker:index/remoteImage:RemoteImage")) {
          assert.match(image.inputs.name, DIGEST);
          assert.equal(image.inputs.platform, "linux/arm64");
        }
        const total = Object.values(limits).reduce((a, b) => a + b, 0);
        assert.ok(4096 - total >= EDGE_OS_RESERVE_MB);
        const app = containers(plan).find((c) => c.inputs.name === "edge-app") as PlannedResource;
        assert.equal(app.inputs.memoryReservation, 256);
        assert.match(app.inputs.image, /^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/edge-app@sha256:/, "the stack's ECR repository");
        assert.deepEqual(app.inputs.volumes, [{ hostPath: "/srv/edge/data", containerPath: "/data" }]);
        const redis = containers(plan).find((c) => c.inputs.name === "edge-redis") as PlannedResource;
        const flag = (name: string) => redis.inputs.command[redis.inputs.command.indexOf(name) + 1];
        assert.equal(flag("--appendonly"), "yes");
        assert.equal(flag("--maxmemory"), `${redisMaxMemoryMb(192)}mb`);
        assert.ok(redisMaxMemoryMb(192) < 192);
        assert.equal(flag("--maxmemory-policy"), "allkeys-lru");
      });

      it("only nginx publishes ports (80 and 443); everything else is on the internal network only", () => {
        const plan = planFor(stack);
        for (const c of containers(plan)) {
          if (c.inputs.name === "edge-nginx") assert.deepEqual(c.inputs.ports.map((p: { internal: number; external: number }) => [p.internal, p.external]), [[80, 80], [443, 443]]);
          else assert.equal(c.inputs.ports, undefined, `${c.inputs.name} publishes nothing`);
          assert.ok(!c.inputs.networkMode, `${c.inputs.name} is not on the host network`);
        }
        const internal = one(plan, "docker:index/network:Network", `platform-${stack}-edge-internal`);
        assert.equal(internal.inputs.internal, true);
        const networks = Object.fromEntries(containers(plan).map((c) => [c.inputs.name, c.inputs.networksAdvanced.map((n: { name: string }) => n.name).sort()]));
        assert.deepEqual(networks, {
          "edge-app": ["edge-internal"],
          "edge-redis": ["edge-internal"],
          "edge-node-exporter": ["edge-internal"],
          "edge-nginx": ["edge-egress", "edge-internal"],
          "edge-metrics-agent": ["edge-egress", "edge-internal"],
        });
        const nginx = containers(plan).find((c) => c.inputs.name === "edge-nginx") as PlannedResource;
        assert.match(nginx.inputs.uploads[0].content, new RegExp(`server_name ${stackEdge(stack).host.replace(/\./g, "\\.")};`));
      });

      it("backs up as an IAM user that has the edge writer policy only; the key reaches the Pi as a 0600 secret", () => {
        const plan = planFor(stack);
        const user = one(plan, "aws:iam/user:User", `platform-${stack}-edge-backup`);
        const attached = plan.resources.filter((r) => r.type === "aws:iam/userPolicyAttachment:UserPolicyAttachment" && r.inputs.user === user.name);
        assert.deepEqual(attached.map((a) => a.inputs.policyArn), [`arn:aws:iam::123456789012:policy/platform-${stack}-edge-writer`]);
        assert.equal(ofType(plan, "aws:iam/userPolicy:UserPolicy").filter((p) => p.inputs.user === user.name).length, 0, "no inline policy");
        one(plan, "aws:iam/accessKey:AccessKey", `platform-${stack}-edge-backup`);
        const credentials = one(plan, "command:remote:Command", `platform-${stack}-edge-aws-credentials`);
        assert.equal(credentials.inputs.logging, "none");
        assert.notEqual(typeof credentials.inputs.stdin, "string", "the credentials file is never plain text in the plan");
        assert.match(credentials.inputs.create, /umask 077 .*chmod 0600 \/etc\/edge\/aws-credentials\.new/);
        const env = one(plan, "command:remote:Command", `platform-${stack}-edge-backup-env`);
        assert.match(env.inputs.stdin, new RegExp(`^EDGE_BACKUP_BUCKET=${plan.outputs.backupBucket}$`, "m"));
        assert.match(env.inputs.stdin, /^EDGE_BACKUP_PREFIX=edge\/$/m);
        assert.match(env.inputs.stdin, /^EDGE_BACKUP_RETENTION_DAYS=7$/m);
        const key = one(plan, "command:remote:Command", `platform-${stack}-edge-tls-key`);
        assert.equal(key.inputs.logging, "none");
        assert.notEqual(typeof key.inputs.stdin, "string");
      });

      it("pulls the app image on the Pi, by digest, as a pull-only IAM user; the provider pulls only public images", () => {
        const plan = planFor(stack);
        const repositoryArn = "arn:aws:ecr:us-east-1:123456789012:repository/edge-app";
        const user = one(plan, "aws:iam/user:User", `platform-${stack}-edge-ecr-pull`);
        const policy = one(plan, "aws:iam/userPolicy:UserPolicy", `platform-${stack}-edge-ecr-pull`);
        assert.equal(policy.inputs.user, user.name);
        assert.deepEqual(JSON.parse(policy.inputs.policy).Statement, [
          { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
          { Sid: "PullEdgeApp", Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: repositoryArn },
        ]);
        assert.equal(plan.resources.filter((r) => r.type === "aws:iam/userPolicyAttachment:UserPolicyAttachment" && r.inputs.user === user.name).length, 0);
        one(plan, "aws:iam/accessKey:AccessKey", `platform-${stack}-edge-ecr-pull`);
        const credentials = one(plan, "command:remote:Command", `platform-${stack}-edge-ecr-credentials`);
        assert.equal(credentials.inputs.logging, "none");
        assert.notEqual(typeof credentials.inputs.stdin, "string", "the credentials file is never plain text in the plan");
        assert.match(credentials.inputs.create, /umask 077 .*chmod 0600 \/etc\/edge\/ecr-credentials\.new/);

        const app = containers(plan).find((c) => c.inputs.name === "edge-app") as PlannedResource;
        const pull = one(plan, "command:remote:Command", `platform-${stack}-edge-app-pull`);
        assert.equal(pull.inputs.stdin, EDGE_SCRIPTS["ecr-pull.sh"]);
        assert.deepEqual(pull.inputs.triggers, [sha256(EDGE_SCRIPTS["ecr-pull.sh"]), app.inputs.image], "pulls again exactly when the image changes");
        assert.equal(pull.inputs.create, `sudo env EDGE_IMAGE=${app.inputs.image} EDGE_ECR_REGION=us-east-1 AWS_SHARED_CREDENTIALS_FILE=/etc/edge/ecr-credentials bash -s`);
        assert.ok(pull.options.dependsOn?.includes(`command:remote:Command::${credentials.name}`));
        assert.ok(app.options.dependsOn?.includes(`command:remote:Command::${pull.name}`), "the container waits for the pull");
        const images = ofType(plan, "docker:index/remoteImage:RemoteImage").map((i) => i.inputs.name as string);
        assert.equal(images.length, 4);
        assert.ok(!images.some((i) => i.includes(".dkr.ecr.")), "no private image goes through the provider");
      });

      it("remote-writes with a bearer token and the cluster CA as files in the agent container", () => {
        const plan = planFor(stack);
        const agent = containers(plan).find((c) => c.inputs.name === "edge-metrics-agent") as PlannedResource;
        const uploads = agent.inputs.uploads as { file: string; content: unknown }[];
        const config = parse(uploads.find((u) => u.file === "/etc/prometheus/agent.yml")?.content as string) as { remote_write?: Record<string, unknown>[] };
        if (!config.remote_write) {
          assert.deepEqual(uploads.map((u) => u.file), ["/etc/prometheus/agent.yml"], "no credentials without remote write");
          return;
        }
        const [rw] = config.remote_write;
        assert.match(rw.url as string, /^https:\/\/[^/]+\/api\/v1\/namespaces\/monitoring\/services\/[\w-]+:9090\/proxy\/api\/v1\/write$/);
        assert.deepEqual(rw.authorization, { type: "Bearer", credentials_file: "/etc/prometheus/secrets/token" });
        assert.deepEqual(rw.tls_config, { ca_file: "/etc/prometheus/secrets/ca.pem" });
        const token = uploads.find((u) => u.file === "/etc/prometheus/secrets/token");
        const ca = uploads.find((u) => u.file === "/etc/prometheus/secrets/ca.pem");
        assert.ok(token && typeof token.content !== "string", "the token is uploaded, never plain text in the plan");
        assert.match(ca?.content as string, /-----BEGIN CERTIFICATE-----/);
      });

      it("nginx rate-limits /health too, and sends no HSTS with the self-signed certificate", () => {
        const plan = planFor(stack);
        const nginx = containers(plan).find((c) => c.inputs.name === "edge-nginx") as PlannedResource;
        const conf = nginx.inputs.uploads[0].content as string;
        assert.match(conf.slice(conf.indexOf("location = /health {")).split("}")[0], /limit_req zone=per_client/);
        assert.doesNotMatch(conf, /Strict-Transport-Security/);
      });

      it("self-signs an ECDSA P-256 certificate for the host, renewed before it expires", () => {
        const plan = planFor(stack);
        const key = one(plan, "tls:index/privateKey:PrivateKey", `platform-${stack}-edge-tls`);
        assert.deepEqual([key.inputs.algorithm, key.inputs.ecdsaCurve], ["ECDSA", "P256"]);
        const cert = one(plan, "tls:index/selfSignedCert:SelfSignedCert", `platform-${stack}-edge-tls`);
        assert.deepEqual(cert.inputs.dnsNames, [stackEdge(stack).host]);
        assert.ok(cert.inputs.validityPeriodHours >= 24 * 365 && cert.inputs.earlyRenewalHours > 0);
      });

      it("leaves the health gate to `up` (an invoke, nothing in the state, so previews stay empty)", () => {
        const plan = planFor(stack);
        assert.equal(ofType(plan, "command:remote:Command").filter((c) => /gate/.test(c.name)).length, 0);
        assert.equal(plan.outputs.edgeHealthCheck, GATE_IN_PREVIEW);
        assert.equal(plan.outputs.edgeUrl, `https://${stackEdge(stack).host}`);
      });
    });
  }

  it("dev and prod differ only by configuration (host names and keys)", () => {
    const shape = (stack: string) => {
      const { host, hostKey } = stackEdge(stack);
      return edgeResources(planFor(stack), stack)
        .map((r) => JSON.stringify({ type: r.type, name: r.name, inputs: r.inputs, options: r.options }))
        .map((s) => s.split(`platform-${stack}`).join("platform-STACK").split(host).join("HOST").split(hostKey).join("HOSTKEY"))
        .map((s) => s.replace(/"triggers":\["[a-f0-9]{64}"\]/g, '"triggers":["HASH"]').replace(/pulumi-edge\/\w+\//g, "pulumi-edge/STACK/"))
        .sort();
    };
    assert.deepEqual(shape("prod"), shape("dev"));
  });

  it("sends HSTS once a provided certificate replaces the self-signed one", () => {
    const pem = (kind: string) => `-----BEGIN ${kind}-----\nMIIB\n-----END ${kind}-----\n`;
    const plan = planFor("dev", { "platform:edge": { tlsCertificate: pem("CERTIFICATE"), tlsPrivateKey: pem("PRIVATE KEY") } });
    assert.equal(ofType(plan, "tls:index/selfSignedCert:SelfSignedCert").length, 0);
    const nginx = containers(plan).find((c) => c.inputs.name === "edge-nginx") as PlannedResource;
    assert.match(nginx.inputs.uploads[0].content, /^ {4}add_header Strict-Transport-Security "max-age=31536000" always;$/m);
  });

  it("refuses container limits that leave the Pi's OS under 1 GB (plan exits with the problem)", () => {
    assert.throws(
      () => planFor("dev", { "platform:edge": { memoryMb: { app: 2560, redis: 192, nginx: 128, nodeExporter: 64, metricsAgent: 192 } } }),
      (error: Error) => /exited 2/.test(error.message) && /platform:edge\.memoryMb/.test(error.message) && /1024/.test(error.message),
    );
  });

  it("the component checks the memory budget itself too", () => {
    assert.equal(checkMemoryBudget({ hostMemoryMb: 4096, memoryMb: { app: 512, redis: 192, nginx: 128, nodeExporter: 64, metricsAgent: 192 } }), 3008);
    assert.throws(
      () => checkMemoryBudget({ hostMemoryMb: 2048, memoryMb: { app: 512, redis: 192, nginx: 128, nodeExporter: 64, metricsAgent: 192 } }),
      /leaving 960 MB; the OS needs at least 1024 MB/,
    );
  });

  it("connects with the secret private key when configured, the SSH agent otherwise; host key pinned either way", async () => {
    const withKey = connection(edgeConfig({ port: 2222 }, { sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----" }));
    assert.equal(withKey.hostKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEqgoCoy/93QeHl3TKWzzLwL4WMKnYfRTYkC9wfr2Hb");
    assert.equal(withKey.port, 2222);
    assert.ok(pulumi.Output.isInstance(withKey.privateKey));
    assert.equal(await pulumi.isSecret(withKey.privateKey as pulumi.Output<string>), true);
    assert.equal(withKey.agentSocketPath, undefined);
    const withAgent = connection(edgeConfig({}));
    assert.equal(withAgent.privateKey, undefined);
    assert.equal(withAgent.agentSocketPath, process.env.SSH_AUTH_SOCK);
    assert.equal(withAgent.hostKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEqgoCoy/93QeHl3TKWzzLwL4WMKnYfRTYkC9wfr2Hb");
    assert.equal(knownHostsLine("pi.example.net", 2222, "ssh-ed25519 AAAA comment"), "[pi.example.net]:2222 ssh-ed25519 AAAA\n");
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
