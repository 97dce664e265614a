import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { EDGE_SCRIPTS, EDGE_UNITS } from "../components/edge";
import { IDENTITY_PATHS, renderAwsConfig, SIGNING_HELPER, type SiteIdentity } from "../components/edge/identity";
import { CLOUD_STACK_OF, EDGE_STACKS, ofType, one, planFor, PROJECT_DIR } from "./helpers/program";
import { requireTool } from "./helpers/tools";
import { inputString } from "./helpers/inputs";
import { selfSignedCert } from "./helpers/certs";
import { tempDir } from "./helpers/temp-dir";

/**
 * The Pi's AWS identity (IAM Roles Anywhere): the AWS CLI config it gets, read by the real AWS CLI
 * with a stand-in helper (the real aws_signing_helper needs AWS to answer); the helper's install
 * script run against a shimmed download; and the edge stack's plan.
 */
const FIXTURES = path.join(PROJECT_DIR, "test/fixtures/edge/identity");
const aws = requireTool("aws");
const sha256 = (content: string | Buffer) => createHash("sha256").update(content).digest("hex");

const IDENTITY = {
  trustAnchorArn: "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
  profileArn: "arn:aws:rolesanywhere:eu-west-1:111122223333:profile/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
  roleArn: "arn:aws:iam::111122223333:role/edge/platform-dev-site-lab-1234567",
};

/** Runs with `env` over this process's environment, without any AWS_ variable of ours (no key or profile leaks in). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  return spawnSync(command, args, { encoding: "utf8", env: { ...inherited, ...env } });
}

describe("the Pi's AWS config (credential_process)", () => {
  it("names the pinned helper, the site's certificate and key, the trust anchor, profile and role", () => {
    const config = renderAwsConfig({ region: "eu-west-1", ...IDENTITY });
    assert.equal(
      config,
      "[default]\nregion = eu-west-1\n" +
        `credential_process = ${SIGNING_HELPER.path} credential-process --certificate ${IDENTITY_PATHS.certificate} ` +
        `--private-key ${IDENTITY_PATHS.privateKey} --trust-anchor-arn ${IDENTITY.trustAnchorArn} ` +
        `--profile-arn ${IDENTITY.profileArn} --role-arn ${IDENTITY.roleArn} --region eu-west-1\n`,
    );
    assert.doesNotMatch(config, /aws_access_key_id|aws_secret_access_key/);
  });

  it("refuses a value that would change the command the CLI runs", () => {
    for (const [field, value] of [
      ["trustAnchorArn", `${IDENTITY.trustAnchorArn} --no-verify-ssl`],
      ["profileArn", "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/x"],
      ["roleArn", "arn:aws:iam::111122223333:role/x;reboot"],
      ["region", "eu-west-1\ncredential_process = /bin/sh"],
    ] as const)
      assert.throws(
        () => renderAwsConfig({ region: "eu-west-1", ...IDENTITY, [field]: value }),
        /renderAwsConfig: .* is not valid/,
        field,
      );
  });

  it(
    "the real AWS CLI runs the helper with exactly those arguments and takes its session credentials",
    {
      skip: aws.skip,
    },
    () => {
      const dir = tempDir("edge-aws-config-");
      const configFile = path.join(dir, "aws-config");
      const log = path.join(dir, "helper.log");
      fs.writeFileSync(
        configFile,
        renderAwsConfig({ region: "eu-west-1", ...IDENTITY, helperPath: path.join(FIXTURES, "aws_signing_helper") }),
      );
      const env = {
        AWS_CONFIG_FILE: configFile,
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "none"),
        HOME: dir,
        FAKE_HELPER_LOG: log,
      };
      const list = run("aws", ["configure", "list"], env);
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /access_key\s+\*+HERE\s+custom-process/);
      assert.match(list.stdout, /region\s+eu-west-1\s+config-file/);
      assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), [
        "credential-process",
        "--certificate",
        IDENTITY_PATHS.certificate,
        "--private-key",
        IDENTITY_PATHS.privateKey,
        "--trust-anchor-arn",
        IDENTITY.trustAnchorArn,
        "--profile-arn",
        IDENTITY.profileArn,
        "--role-arn",
        IDENTITY.roleArn,
        "--region",
        "eu-west-1",
      ]);
    },
  );

  it("the backup unit and the image pull read it (AWS_CONFIG_FILE), and no credentials file", () => {
    assert.match(EDGE_UNITS["edge-backup.service"], /^Environment=AWS_CONFIG_FILE=\/etc\/edge\/aws-config$/m);
    assert.doesNotMatch(EDGE_UNITS["edge-backup.service"], /AWS_SHARED_CREDENTIALS_FILE/);
    assert.match(
      EDGE_SCRIPTS["ecr-pull.sh"],
      /^export AWS_CONFIG_FILE=\$\{AWS_CONFIG_FILE:-\/etc\/edge\/aws-config\}$/m,
    );
  });
});

describe("the identity certificate's expiry (pi-metrics.sh)", () => {
  const openssl = requireTool("openssl");
  it("is exported from the certificate's notAfter, and only when the Pi has one", { skip: openssl.skip }, () => {
    const dir = tempDir("edge-identity-metrics-");
    const { cert, notAfter } = selfSignedCert(dir, { commonName: "edge-site-lab", days: 90 });
    const metrics = (identity: string) => {
      const result = run("bash", [path.join(PROJECT_DIR, "components/edge/scripts/pi-metrics.sh")], {
        EDGE_IDENTITY_CERT: identity,
        EDGE_TLS_CERT: cert,
        EDGE_TEXTFILE_DIR: dir,
        PI_THERMAL_FILE: path.join(PROJECT_DIR, "test/fixtures/edge/thermal_zone0_temp"),
        PI_VCGENCMD: path.join(PROJECT_DIR, "test/fixtures/edge/vcgencmd"),
        EDGE_HOST: "",
      });
      assert.equal(result.status, 0, result.stderr);
      return fs.readFileSync(path.join(dir, "pi.prom"), "utf8");
    };
    assert.match(
      metrics(cert),
      new RegExp(`^edge_identity_certificate_expiry_timestamp_seconds ${Date.parse(notAfter) / 1000}$`, "m"),
    );
    const without = metrics(path.join(dir, "none.pem"));
    assert.doesNotMatch(without, /edge_identity_certificate_expiry_timestamp_seconds/);
  });
});

describe("signing-helper.sh installs the pinned aws_signing_helper", () => {
  const install = (dir: string, download: string, sha: string) =>
    run("bash", [path.join(PROJECT_DIR, "components/edge/scripts/signing-helper.sh")], {
      PATH: `${FIXTURES}:${process.env.PATH}`,
      SYSROOT: dir,
      EDGE_SIGNING_HELPER_URL: SIGNING_HELPER.url,
      EDGE_SIGNING_HELPER_SHA256: sha,
      FAKE_DOWNLOAD: download,
      FAKE_CURL_LOG: path.join(dir, "curl.log"),
    });

  it("installs a download with the published checksum 0755, and the second run fetches nothing", () => {
    const dir = tempDir("edge-helper-");
    const download = path.join(dir, "download");
    fs.writeFileSync(download, "#!/bin/sh\necho helper\n");
    const sha = sha256(fs.readFileSync(download));
    const first = install(dir, download, sha);
    assert.equal(first.status, 0, first.stderr);
    const installed = path.join(dir, SIGNING_HELPER.path);
    assert.equal(sha256(fs.readFileSync(installed)), sha);
    assert.equal(fs.statSync(installed).mode & 0o777, 0o755);
    const again = install(dir, download, sha);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /already the pinned release/);
    assert.deepEqual(fs.readFileSync(path.join(dir, "curl.log"), "utf8").trim().split("\n"), [SIGNING_HELPER.url]);
    assert.deepEqual(fs.readdirSync(path.dirname(installed)), ["aws_signing_helper"], "no temporary file left");
  });

  it("refuses a download whose checksum differs, and installs nothing", () => {
    const dir = tempDir("edge-helper-bad-");
    const download = path.join(dir, "download");
    fs.writeFileSync(download, "tampered\n");
    const result = install(dir, download, SIGNING_HELPER.sha256);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /does not have SHA-256 c01ae381.*; nothing installed/);
    assert.deepEqual(fs.readdirSync(path.join(dir, path.dirname(SIGNING_HELPER.path))), []);
  });

  it("replaces an installed helper that is not the pinned one", () => {
    const dir = tempDir("edge-helper-old-");
    const download = path.join(dir, "download");
    fs.writeFileSync(download, "new release\n");
    fs.mkdirSync(path.join(dir, path.dirname(SIGNING_HELPER.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, SIGNING_HELPER.path), "old release\n", { mode: 0o755 });
    const result = install(dir, download, sha256("new release\n"));
    assert.equal(result.status, 0, result.stderr);
    assert.equal(fs.readFileSync(path.join(dir, SIGNING_HELPER.path), "utf8"), "new release\n");
  });
});

describe("edge stacks: the site's identity on the Pi", () => {
  for (const stack of EDGE_STACKS) {
    const name = `platform-${CLOUD_STACK_OF[stack]}`;
    it(`${stack}: the key 0600 root and secret, the AWS config from the cloud stack's identity, the pinned helper, no access key`, () => {
      const plan = planFor(stack);
      const cloud = planFor(CLOUD_STACK_OF[stack]);
      const commands = ofType(plan, "command:remote:Command");
      assert.ok(!commands.some((c) => /aws-credentials|ecr-credentials/.test(JSON.stringify(c.inputs))));
      const site = Object.keys(cloud.outputs.edgeSites as object)[0] as string;
      const { identity } = (cloud.outputs.edgeSites as Record<string, { identity: SiteIdentity }>)[site] as {
        identity: SiteIdentity;
      };
      const config = one(plan, "command:remote:Command", `${name}-edge-aws-config`);
      assert.equal(config.inputs.stdin, renderAwsConfig({ region: cloud.outputs.region as string, ...identity }));
      const cert = one(plan, "command:remote:Command", `${name}-edge-identity-cert`);
      assert.equal(cert.inputs.stdin, identity.certificatePem);
      const key = one(plan, "command:remote:Command", `${name}-edge-identity-key`);
      assert.equal(key.inputs.stdin, "[secret]");
      assert.equal(key.inputs.logging, "none");
      assert.match(
        inputString(key, "create"),
        /umask 077 && cat > \/etc\/edge\/identity\/key\.pem\.new && chown root:root \S+ && chmod 0600 /,
      );
      const helper = one(plan, "command:remote:Command", `${name}-edge-signing-helper`);
      assert.equal(helper.inputs.stdin, EDGE_SCRIPTS["signing-helper.sh"]);
      assert.match(inputString(helper, "create"), new RegExp(`EDGE_SIGNING_HELPER_SHA256=${SIGNING_HELPER.sha256}`));
      // The backup timers and the image pull wait for the identity.
      for (const user of [`${name}-edge-app-pull`, `${name}-edge-backup-env`]) {
        const dependsOn = one(plan, "command:remote:Command", user).options.dependsOn ?? [];
        for (const needed of [config, key, helper])
          assert.ok(dependsOn.includes(`command:remote:Command::${needed.name}`), `${user} after ${needed.name}`);
      }
    });
  }
});
