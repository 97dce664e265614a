import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { ConfigError, loadConfig } from "../config";
import { EDGE_SCRIPTS, EDGE_UNITS } from "../components/edge";
import { ACME_NGINX_PATHS, ACME_PATHS, acmeEnv } from "../components/edge/acme";
import { backupEnv } from "../components/edge/backup";
import { ACME_AWS_PROFILE, renderAwsConfig, siteCommonName, type SiteIdentity } from "../components/edge/identity";
import { renderNginxConf } from "../components/edge/nginx";
import { sourceFor } from "./helpers/config";
import { ofType, one, planFor, PROJECT_DIR, runPlanInProcess, stackDirWith, type Plan } from "./helpers/program";
import { requireTool } from "./helpers/tools";
import { asRecord, input, inputJson, inputString, valueAt } from "./helpers/inputs";
import { selfSignedCert } from "./helpers/certs";

/**
 * The Pi's publicly trusted certificate (platform:edge.acme, platform:edgeDns): the ACME role's
 * scoping in the cloud plan, the edge plan, configuration errors, certbot's run and deploy hook
 * against shims (certbot needs Let's Encrypt and Route 53), and nginx -t with the ACME paths.
 */
const ZONE = "example.com";
const NAME = `lab.${ZONE}`;
const FIXTURES = path.join(PROJECT_DIR, "test/fixtures/edge/acme");
const SCRIPTS = path.join(PROJECT_DIR, "components/edge/scripts");
const nginx = requireTool("nginx");
const openssl = requireTool("openssl");
/** Temporary directories, all removed when the file's tests are done. */
const made: string[] = [];
const tmpdir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: "utf8", env: { ...process.env, ...env } });
}

/** A plan with extra CLI flags (a config dir, the cloud plan to read), in this process. */
function plan(stack: string, args: string[]): Plan {
  const result = runPlanInProcess(["--stack", stack, "--json", ...args]);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Plan;
}

const planFiles = tmpdir("edge-acme-plans-");
/** A cloud plan saved for an edge stack's --cloud-plan (what the plan computes from its stack file, given instead). */
function saved(cloudPlan: Plan, name: string): string {
  const file = path.join(planFiles, `${name}.json`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, JSON.stringify(cloudPlan));
  return file;
}

/** dev with the Pis' zone, and its plan saved for the edge stack's --cloud-plan. */
function cloudWithZone(): { plan: Plan; file: string } {
  const cloud = planFor("dev", { "platform:edgeDns": { zoneName: ZONE } });
  return { plan: cloud, file: saved(cloud, "dev-with-zone") };
}

const ACME = { acme: { email: "ops@example.com" } };

describe("the ACME role in the cloud stack (platform:edgeDns)", () => {
  it("may change only the TXT record _acme-challenge.<site>.<zone> in that zone, through the site's certificate", () => {
    const { plan: p } = cloudWithZone();
    const role = one(p, "aws:iam/role:Role", "platform-dev-site-lab-acme");
    const backupRole = one(p, "aws:iam/role:Role", "platform-dev-site-lab");
    assert.equal(
      role.inputs.assumeRolePolicy,
      backupRole.inputs.assumeRolePolicy,
      "the same certificate, the same trust",
    );
    const trust = valueAt(inputJson(role, "assumeRolePolicy"), "Statement.0.Condition.StringEquals");
    assert.equal(asRecord(trust)["aws:PrincipalTag/x509Subject/CN"], siteCommonName("lab"));
    const statements = asRecord(
      inputJson(one(p, "aws:iam/rolePolicy:RolePolicy", "platform-dev-site-lab-acme"), "policy"),
    ).Statement as { Sid: string; Action: string; Resource: string; Condition?: Record<string, unknown> }[];
    assert.deepEqual(
      statements.map((s) => [s.Action, s.Resource]),
      [
        ["route53:ListHostedZones", "*"],
        ["route53:GetChange", "arn:aws:route53:::change/*"],
        ["route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z0123456789MOCKZONE"],
      ],
    );
    assert.deepEqual(statements[2]?.Condition, {
      "ForAllValues:StringEquals": {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [`_acme-challenge.${NAME}`],
        "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
        "route53:ChangeResourceRecordSetsActions": ["UPSERT", "DELETE"],
      },
    });
    const backupPolicy = one(p, "aws:iam/rolePolicy:RolePolicy", "platform-dev-site-lab").inputs.policy as string;
    assert.doesNotMatch(backupPolicy, /route53/, "the backup role cannot touch DNS");
    const identity = (p.outputs.edgeSites as Record<string, { identity: SiteIdentity }>).lab?.identity;
    assert.deepEqual(identity?.acme, {
      name: NAME,
      roleArn: "arn:aws:iam::123456789012:role/platform-dev-site-lab-acme",
    });
    const profile = one(p, "aws:rolesanywhere/profile:Profile", "platform-dev-site-lab");
    assert.deepEqual(profile.inputs.roleArns, [identity?.roleArn, identity?.acme?.roleArn]);
  });

  it("without a zone no site has an ACME role", () => {
    const p = planFor("dev");
    assert.deepEqual(
      ofType(p, "aws:iam/role:Role").filter((r) => r.name.endsWith("-acme")),
      [],
    );
  });
});

describe("an edge stack with platform:edge.acme", () => {
  it("runs certbot under the ACME profile, serves certbot's certificate with HSTS, exports its expiry, and writes no other certificate", () => {
    const { plan: cloudPlan, file } = cloudWithZone();
    const p = plan("edge-dev", [
      "--config-dir",
      stackDirWith("edge-dev", { "platform:edge": { host: NAME, ...ACME } }),
      "--cloud-plan",
      file,
    ]);
    const name = "platform-dev";
    assert.deepEqual(ofType(p, "tls:index/selfSignedCert:SelfSignedCert"), []);
    const commands = ofType(p, "command:remote:Command").map((c) => c.name);
    assert.ok(!commands.includes(`${name}-edge-tls-cert`) && !commands.includes(`${name}-edge-tls-key`));
    const certbot = one(p, "command:remote:Command", `${name}-edge-acme`);
    assert.equal(certbot.inputs.stdin, EDGE_SCRIPTS["acme-certbot.sh"]);
    for (const [key, value] of Object.entries(acmeEnv({ domain: NAME, email: "ops@example.com", staging: false })))
      assert.match(
        inputString(certbot, "create"),
        new RegExp(`\\b${key}=${value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\b`),
      );
    for (const needed of ["aws-config", "identity-key", "identity-cert", "signing-helper", "acme-hook"])
      assert.ok(certbot.options.dependsOn?.includes(`command:remote:Command::${name}-edge-${needed}`), needed);
    const identity = (cloudPlan.outputs.edgeSites as Record<string, { identity: SiteIdentity }>).lab
      ?.identity as SiteIdentity;
    const awsConfig = one(p, "command:remote:Command", `${name}-edge-aws-config`).inputs.stdin as string;
    assert.equal(awsConfig, renderAwsConfig({ region: "us-east-1", ...identity, acmeRoleArn: identity.acme?.roleArn }));
    assert.match(awsConfig, new RegExp(`^\\[profile ${ACME_AWS_PROFILE}\\]$`, "m"));
    const nginxContainer = ofType(p, "docker:index/container:Container").find((c) => c.inputs.name === "edge-nginx");
    const conf = nginxContainer ? inputString(nginxContainer, "uploads.0.content") : "";
    assert.match(conf, new RegExp(`ssl_certificate ${ACME_NGINX_PATHS.certificatePath};`));
    assert.match(conf, new RegExp(`ssl_certificate_key ${ACME_NGINX_PATHS.keyPath};`));
    assert.match(conf, /Strict-Transport-Security "max-age=31536000"/);
    // The containers wait for their images, and the images for the certificate (and host preparation).
    const nginxImage = one(p, "docker:index/remoteImage:RemoteImage", `${name}-edge-nginx`);
    assert.ok(nginxImage.options.dependsOn?.includes(`command:remote:Command::${certbot.name}`));
    const env = one(p, "command:remote:Command", `${name}-edge-backup-env`).inputs.stdin as string;
    assert.match(env, new RegExp(`^EDGE_TLS_CERT=${ACME_PATHS.certificate}$`, "m"));
    assert.match(EDGE_UNITS["pi-metrics.service"], /^EnvironmentFile=-\/etc\/edge\/backup\.env$/m);
  });

  it("staging: certbot's staging CA and no HSTS (its certificate is not trusted)", () => {
    const { file } = cloudWithZone();
    const p = plan("edge-dev", [
      "--config-dir",
      stackDirWith("edge-dev", { "platform:edge": { host: NAME, acme: { email: "ops@example.com", staging: true } } }),
      "--cloud-plan",
      file,
    ]);
    assert.match(
      inputString(one(p, "command:remote:Command", "platform-dev-edge-acme"), "create"),
      /EDGE_ACME_STAGING=1/,
    );
    const nginx = ofType(p, "docker:index/container:Container").find((c) => input(c, "name") === "edge-nginx");
    const conf = nginx ? inputString(nginx, "uploads.0.content") : "";
    assert.doesNotMatch(conf, /Strict-Transport-Security/);
  });

  it("is refused (exit 2, naming the key) without a zone in the cloud stack, or for another host name", () => {
    const noZone = runPlanInProcess([
      "--stack",
      "edge-dev",
      "--config-dir",
      stackDirWith("edge-dev", { "platform:edge": { host: NAME, ...ACME } }),
      "--cloud-plan",
      saved(planFor("dev"), "dev"),
    ]);
    assert.equal(noZone.status, 2, noZone.stderr);
    assert.match(
      noZone.stderr,
      /platform:edge\.acme: .*names no zone for its Pis: set platform:edgeDns\.zoneName there/,
    );
    const otherHost = runPlanInProcess([
      "--stack",
      "edge-dev",
      "--config-dir",
      stackDirWith("edge-dev", { "platform:edge": { host: "pi.example.net", ...ACME } }),
      "--cloud-plan",
      cloudWithZone().file,
    ]);
    assert.equal(otherHost.status, 2, otherHost.stderr);
    assert.match(otherHost.stderr, new RegExp(`platform:edge\\.host: got "pi\\.example\\.net"; expected "${NAME}"`));
  });
});

describe("ACME configuration", () => {
  const problems = (edge: Record<string, unknown>): string[] => {
    const source = sourceFor("edge-dev");
    const current = JSON.parse(source.values["platform:edge"] as string) as Record<string, unknown>;
    try {
      loadConfig({ ...source, values: { ...source.values, "platform:edge": JSON.stringify({ ...current, ...edge }) } });
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return [...error.problems];
    }
    return [];
  };

  it("needs the contact email, and refuses a provided certificate as well: every problem at once", () => {
    const found = problems({
      acme: { staging: "yes" },
      tlsCertificate: "-----BEGIN CERTIFICATE-----",
      tlsPrivateKey: "-----BEGIN PRIVATE KEY-----",
    });
    assert.ok(
      found.some((p) => /^platform:edge\.acme\.email: got nothing; expected an email address/.test(p)),
      found.join("\n"),
    );
    assert.ok(
      found.some((p) => /^platform:edge\.acme\.staging: got "yes"; expected true or false/.test(p)),
      found.join("\n"),
    );
    assert.ok(
      found.some((p) => /^platform:edge\.acme: got .*; expected unset while edge\.tlsCertificate is set/.test(p)),
      found.join("\n"),
    );
  });

  it("the plan exits 2 naming platform:edge.acme.email", () => {
    const result = runPlanInProcess([
      "--stack",
      "edge-dev",
      "--config-dir",
      stackDirWith("edge-dev", { "platform:edge": { host: NAME, acme: {} } }),
    ]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /platform:edge\.acme\.email: got nothing; expected an email address/);
  });

  it("a cloud zone must be a DNS name", () => {
    const source = sourceFor("dev", { "platform:edgeDns": { zoneName: "Example.COM." } });
    assert.throws(() => loadConfig(source), /platform:edgeDns\.zoneName: got "Example\.COM\."; expected a DNS name/);
  });
});

describe("certbot on the Pi (acme-certbot.sh and the deploy hook, against shims)", () => {
  const pem = (kind: string, body: string) => `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;

  function setup() {
    const dir = tmpdir("edge-acme-run-");
    const certs = path.join(dir, "issued");
    fs.mkdirSync(certs);
    fs.writeFileSync(path.join(certs, "fullchain.pem"), pem("CERTIFICATE", "issued"));
    fs.writeFileSync(path.join(certs, "privkey.pem"), pem("PRIVATE KEY", "issued"));
    const hook = path.join(dir, "acme-deploy-hook.sh");
    fs.copyFileSync(path.join(SCRIPTS, "acme-deploy-hook.sh"), hook);
    fs.chmodSync(hook, 0o755);
    const env = {
      ...acmeEnv({ domain: NAME, email: "ops@example.com", staging: false }),
      PATH: `${FIXTURES}:${process.env.PATH}`,
      SYSROOT: dir,
      // Installed 0755 on the Pi (remoteFile); the repository keeps scripts 0644.
      EDGE_ACME_DEPLOY_HOOK: hook,
      EDGE_ACME_TLS_DIR: path.join(dir, "etc/edge/tls/acme"),
      EDGE_LETSENCRYPT_DIR: path.join(dir, "etc/letsencrypt"),
      FAKE_CERT_DIR: certs,
      FAKE_CERTBOT_LOG: path.join(dir, "certbot.log"),
      FAKE_SYSTEMCTL_LOG: path.join(dir, "systemctl.log"),
      FAKE_DOCKER_LOG: path.join(dir, "docker.log"),
    };
    return { dir, env, certbot: () => run("bash", [path.join(SCRIPTS, "acme-certbot.sh")], env) };
  }
  const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : []);

  it("obtains the certificate once with the ACME profile, installs it for nginx, and sets certbot's renewal up", () => {
    const { dir, env, certbot } = setup();
    const first = certbot();
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, pem("CERTIFICATE", "issued"), "prints the installed certificate");
    assert.deepEqual(lines(env.FAKE_CERTBOT_LOG), [
      `AWS_CONFIG_FILE=/etc/edge/aws-config AWS_PROFILE=${ACME_AWS_PROFILE} certonly --non-interactive --agree-tos ` +
        `--email ops@example.com --dns-route53 --domain ${NAME} --cert-name ${NAME} --key-type ecdsa ` +
        `--keep-until-expiring --deploy-hook ${env.EDGE_ACME_DEPLOY_HOOK}`,
    ]);
    const installed = env.EDGE_ACME_TLS_DIR;
    assert.equal(fs.statSync(path.join(installed, "privkey.pem")).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(installed, "fullchain.pem")).mode & 0o777, 0o644);
    assert.equal(
      fs.readFileSync(path.join(dir, "etc/systemd/system/certbot.service.d/edge-acme.conf"), "utf8"),
      `[Service]\nEnvironment=AWS_CONFIG_FILE=/etc/edge/aws-config\nEnvironment=AWS_PROFILE=${ACME_AWS_PROFILE}\n`,
    );
    assert.deepEqual(lines(env.FAKE_SYSTEMCTL_LOG), [
      "daemon-reload",
      "is-enabled --quiet certbot.timer",
      "enable --now certbot.timer",
    ]);
    assert.deepEqual(lines(env.FAKE_DOCKER_LOG), ["inspect -f {{.State.Running}} edge-nginx"], "nginx not running yet");

    // Again: certbot keeps the certificate, the hook does not run, the drop-in is not rewritten.
    const again = run("bash", [path.join(SCRIPTS, "acme-certbot.sh")], { ...env, FAKE_TIMER_ENABLED: "1" });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(lines(env.FAKE_CERTBOT_LOG).length, 2);
    assert.deepEqual(lines(env.FAKE_SYSTEMCTL_LOG).slice(3), ["is-enabled --quiet certbot.timer"]);
    assert.equal(lines(env.FAKE_DOCKER_LOG).length, 1, "no second install");
  });

  it("a renewal (the deploy hook) replaces the files and reloads a running nginx with SIGHUP", () => {
    const { dir, env, certbot } = setup();
    assert.equal(certbot().status, 0);
    const lineage = path.join(env.EDGE_LETSENCRYPT_DIR, "live", NAME);
    fs.writeFileSync(path.join(lineage, "fullchain.pem"), pem("CERTIFICATE", "renewed"));
    const hook = run("bash", [env.EDGE_ACME_DEPLOY_HOOK], {
      ...env,
      RENEWED_LINEAGE: lineage,
      FAKE_NGINX_RUNNING: "1",
    });
    assert.equal(hook.status, 0, hook.stderr);
    assert.equal(
      fs.readFileSync(path.join(env.EDGE_ACME_TLS_DIR, "fullchain.pem"), "utf8"),
      pem("CERTIFICATE", "renewed"),
    );
    assert.deepEqual(lines(env.FAKE_DOCKER_LOG).slice(-2), [
      "inspect -f {{.State.Running}} edge-nginx",
      "kill --signal HUP edge-nginx",
    ]);
    assert.deepEqual(
      fs.readdirSync(env.EDGE_ACME_TLS_DIR).sort(),
      ["fullchain.pem", "privkey.pem"],
      "no temporary file left",
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    "nginx -t accepts the configuration with the ACME certificate's paths",
    { skip: nginx.skip ?? openssl.skip },
    () => {
      const dir = tmpdir("edge-acme-nginx-");
      const tlsDir = path.join(dir, "acme");
      fs.mkdirSync(tlsDir);
      selfSignedCert(tlsDir, { commonName: NAME, days: 1, certFile: "fullchain.pem", keyFile: "privkey.pem" });
      // The container's paths, moved under the test directory as nginx would see them through the mount.
      const conf = renderNginxConf({
        serverName: NAME,
        hsts: true,
        certificatePath: ACME_NGINX_PATHS.certificatePath.replace("/etc/nginx/tls", dir),
        keyPath: ACME_NGINX_PATHS.keyPath.replace("/etc/nginx/tls", dir),
        user: "",
        pidPath: path.join(dir, "nginx.pid"),
        tempDir: dir,
        logDir: dir,
      });
      fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
      fs.mkdirSync(path.join(dir, "logs"));
      const result = run("nginx", [
        "-t",
        "-p",
        dir,
        "-e",
        path.join(dir, "error.log"),
        "-c",
        path.join(dir, "nginx.conf"),
      ]);
      assert.equal(result.status, 0, result.stderr);
    },
  );

  it(
    "pi-metrics.sh exports the expiry of the certificate named by EDGE_TLS_CERT (backup.env, ACME's)",
    {
      skip: openssl.skip,
    },
    () => {
      assert.match(
        backupEnv({
          bucketName: "b",
          prefix: "edge/",
          region: "us-east-1",
          site: "lab",
          retentionDays: 7,
          host: NAME,
          tiers: false,
          tlsCertificate: ACME_PATHS.certificate,
        }),
        new RegExp(`^EDGE_TLS_CERT=${ACME_PATHS.certificate}$`, "m"),
      );
      const dir = tmpdir("edge-acme-metrics-");
      const { cert, notAfter: enddate } = selfSignedCert(dir, {
        commonName: NAME,
        days: 90,
        certFile: "fullchain.pem",
        keyFile: "privkey.pem",
      });
      const result = run("bash", [path.join(SCRIPTS, "pi-metrics.sh")], {
        EDGE_TLS_CERT: cert,
        EDGE_TEXTFILE_DIR: dir,
        PI_THERMAL_FILE: path.join(dir, "none"),
        PI_VCGENCMD: "false",
        EDGE_HOST: "",
      });
      assert.equal(result.status, 0, result.stderr);
      assert.match(
        fs.readFileSync(path.join(dir, "pi.prom"), "utf8"),
        new RegExp(`^edge_tls_certificate_expiry_timestamp_seconds ${Math.floor(Date.parse(enddate) / 1000)}$`, "m"),
      );
    },
  );
});
