import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { EDGE_SCRIPTS, preDeployBackupCommand } from "../components/edge";
import { healthGateCommand, PREVIOUS_APP_IMAGE_FILE } from "../components/edge/gate";
import { dockerSshOpts, installFileCommand, privateDir } from "../components/edge/host";
import { probeSsh } from "../components/edge/reachability";
import { edgeConfigWith } from "./helpers/config";
import { loopbackSshdSkip, startLoopbackSshd, type LoopbackSshd } from "./helpers/loopback-sshd";

/**
 * The SSH side against a real sshd on loopback: the Docker provider's ssh options (the pinned
 * key given inline by KnownHostsCommand, StrictHostKeyChecking=yes, no known_hosts file) accept
 * the right host key and refuse a different one, the reachability probe accepts a real server,
 * and the commands the remote.Command resources run install files as intended.
 * The one stand-in is `sudo` (the test runs as root; a PATH shim that just runs the command).
 * The command provider's own SSH client (Go) is not run: that needs the Pulumi engine.
 */
const skip = loopbackSshdSkip();

function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

describe("edge SSH against a loopback sshd", { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-ssh-"));
  let server: LoopbackSshd | undefined;
  let port = 0;
  let hostKey = "";
  let clientKey = "";

  before(async () => {
    // A second host key: what a Pi that is not the pinned one would present.
    assert.equal(
      spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "other_host_key")]).status,
      0,
    );
    const shims = path.join(dir, "bin");
    fs.mkdirSync(shims);
    fs.writeFileSync(path.join(shims, "sudo"), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
    server = await startLoopbackSshd(dir, { PATH: `${shims}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin` });
    ({ port, hostKey, clientKey } = server);
  });

  after(() => {
    server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.join(os.userInfo().homedir, `.ssh/pulumi-edge/ssh-test-${process.pid}`), {
      recursive: true,
      force: true,
    });
  });

  function edgeConfig(pinned: string, extra: Record<string, string> = {}) {
    return edgeConfigWith(
      { host: "127.0.0.1", port, user: "root", hostKey: pinned, ...extra },
      `ssh-test-${process.pid}`,
    );
  }

  function sshWith(opts: string[], command: string, input?: string) {
    if (!server) throw new Error("sshd is not running");
    return server.ssh(opts, command, input);
  }

  it("the Docker provider's ssh options trust the pinned host key", async () => {
    const opts = await outputValue(dockerSshOpts(edgeConfig(hostKey), `ssh-test-${process.pid}`));
    const result = sshWith(opts, "echo connected");
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), "connected");
  });

  it("write no known_hosts anywhere, name the key file as ~/.ssh/pulumi-edge/<stack>/id_edge (no machine path), and ssh finds it there", async () => {
    const stack = `ssh-test-${process.pid}`;
    const opts = await outputValue(
      dockerSshOpts(edgeConfig(hostKey, { sshPrivateKey: fs.readFileSync(clientKey, "utf8") }), stack),
    );
    assert.ok(opts.includes("UserKnownHostsFile=none") && opts.includes("GlobalKnownHostsFile=none"), opts.join(" "));
    assert.ok(
      opts.includes(`KnownHostsCommand=/bin/echo [127.0.0.1]:${port} ${hostKey.split(" ").slice(0, 2).join(" ")}`),
      opts.join(" "),
    );
    assert.equal(opts[opts.indexOf("-i") + 1], `~/.ssh/pulumi-edge/${stack}/id_edge`);
    assert.ok(
      !opts.some((o) => o.includes(os.userInfo().homedir) || o.includes(os.tmpdir())),
      "nothing machine-specific",
    );
    const dirOnDisk = path.join(os.userInfo().homedir, ".ssh/pulumi-edge", stack);
    assert.equal(fs.statSync(dirOnDisk).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(dirOnDisk, "id_edge")).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dirOnDisk), ["id_edge"], "only the key: no known_hosts, no temporary files");
    // No -i of the test's own: ssh itself expands ~ in -i.
    const result = spawnSync("ssh", [...opts, "-p", String(port), "root@127.0.0.1", "echo connected"], {
      encoding: "utf8",
      timeout: 20000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), "connected");
  });

  it("without a private key, write nothing at all (the agent holds the key)", async () => {
    const stack = `ssh-test-agent-${process.pid}`;
    const opts = await outputValue(dockerSshOpts(edgeConfigWith({ host: "127.0.0.1", port, hostKey }, stack), stack));
    assert.ok(!opts.includes("-i"));
    assert.ok(
      !fs.existsSync(path.join(os.userInfo().homedir, ".ssh/pulumi-edge", stack)),
      "no directory for this stack",
    );
  });

  it("the reachability probe accepts a real SSH server", async () => {
    const started = Date.now();
    await probeSsh("127.0.0.1", port, { timeoutMs: 5000 });
    assert.ok(Date.now() - started < 5000);
  });

  it("the key directory is reset to 0700, and refused when it is a symlink or someone else's", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "edge-home-"));
    fs.mkdirSync(path.join(home, ".ssh/pulumi-edge/dev"), { recursive: true, mode: 0o755 });
    fs.chmodSync(path.join(home, ".ssh/pulumi-edge/dev"), 0o755);
    assert.equal(privateDir(home, ".ssh/pulumi-edge/dev"), path.join(home, ".ssh/pulumi-edge/dev"));
    assert.equal(fs.statSync(path.join(home, ".ssh/pulumi-edge/dev")).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(home, ".ssh/pulumi-edge")).mode & 0o777, 0o700);
    fs.mkdirSync(path.join(home, "elsewhere"));
    fs.symlinkSync(path.join(home, "elsewhere"), path.join(home, ".ssh/pulumi-edge/prod"));
    assert.throws(() => privateDir(home, ".ssh/pulumi-edge/prod"), /symlink/);
    fs.mkdirSync(path.join(home, ".ssh/pulumi-edge/other"));
    fs.chownSync(path.join(home, ".ssh/pulumi-edge/other"), 4242, 4242);
    assert.throws(() => privateDir(home, ".ssh/pulumi-edge/other"), /owned by uid 4242/);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("and refuse a host that presents another key", async () => {
    const other = fs.readFileSync(path.join(dir, "other_host_key.pub"), "utf8").trim();
    const opts = await outputValue(dockerSshOpts(edgeConfig(other), `ssh-test-${process.pid}`));
    const result = sshWith(opts, "echo connected");
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i);
  });

  it("the file-install command writes stdin atomically with the mode, and is repeatable", async () => {
    const opts = await outputValue(dockerSshOpts(edgeConfig(hostKey), `ssh-test-${process.pid}`));
    const target = path.join(dir, "etc/edge/aws-credentials");
    for (const content of ["[default]\naws_access_key_id = AKIA1\n", "[default]\naws_access_key_id = AKIA2\n"]) {
      const result = sshWith(opts, installFileCommand(target, "0600"), content);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(fs.readFileSync(target, "utf8"), content);
      assert.equal(fs.statSync(target).mode & 0o777, 0o600);
      assert.ok(!fs.existsSync(`${target}.new`));
    }
  });

  it("the file-install command leaves an existing directory's mode alone and creates a missing one 0755", async () => {
    const opts = await outputValue(dockerSshOpts(edgeConfig(hostKey), `ssh-test-${process.pid}`));
    const tlsDir = path.join(dir, "etc/edge/tls");
    fs.mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
    fs.chmodSync(tlsDir, 0o700);
    const installed = sshWith(opts, installFileCommand(path.join(tlsDir, "key.pem"), "0600"), "KEY\n");
    assert.equal(installed.status, 0, installed.stderr);
    assert.equal(fs.statSync(tlsDir).mode & 0o777, 0o700, "/etc/edge/tls stays 0700");
    assert.equal(fs.readFileSync(path.join(tlsDir, "key.pem"), "utf8"), "KEY\n");
    const fresh = path.join(dir, "usr/local/lib/edge");
    const created = sshWith(opts, installFileCommand(path.join(fresh, "tool.sh"), "0755"), "#!/bin/sh\n");
    assert.equal(created.status, 0, created.stderr);
    assert.equal(fs.statSync(fresh).mode & 0o777, 0o755);
  });

  it("the deploy gate's command reaches the Pi with the pinned key and fails with the app's log lines", async () => {
    const config = edgeConfig(hostKey);
    const opts = await outputValue(dockerSshOpts(config, `ssh-test-${process.pid}`));
    const command = healthGateCommand(config, [...opts, "-i", clientKey], { attempts: 2, delaySeconds: 0 });
    // Nothing listens on 443 here: the gate must fail, naming the URL and printing the docker log section.
    const result = spawnSync("sh", ["-c", command], {
      encoding: "utf8",
      input: EDGE_SCRIPTS["health-gate.sh"],
      timeout: 20000,
    });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /health-gate: https:\/\/127\.0\.0\.1\/health failed 2 times; last log lines:/);
    assert.match(result.stderr, /--- docker logs --tail 50 edge-app/);
  });

  it("the pre-deploy backup runs the backup unit to completion when there is a database, fails the deploy when it fails, and skips a Pi without one", async () => {
    const opts = await outputValue(dockerSshOpts(edgeConfig(hostKey), `ssh-test-${process.pid}`));
    // systemctl stand-in: logs its call; exits with $(cat systemctl.status) like `systemctl start` of a oneshot that ends so.
    const calls = path.join(dir, "systemctl.calls");
    const status = path.join(dir, "systemctl.status");
    fs.writeFileSync(path.join(dir, "bin/systemctl"), `#!/bin/sh\necho "$*" >>${calls}\nexit "$(cat ${status})"\n`, {
      mode: 0o755,
    });
    const database = path.join(dir, "srv/edge/data/app.db");
    const previous = path.join(dir, "etc/edge/previous-app-image");
    fs.mkdirSync(path.dirname(previous), { recursive: true });
    // docker stand-in: no app container (inspect fails), so nothing is recorded.
    fs.writeFileSync(path.join(dir, "bin/docker"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const none = sshWith(opts, preDeployBackupCommand(database, previous));
    fs.rmSync(path.join(dir, "bin/docker"));
    assert.ok(!fs.existsSync(previous) && !fs.existsSync(`${previous}.new`), "nothing recorded without a running app");
    assert.equal(none.status, 0, none.stderr);
    assert.match(none.stdout, /no database at .* yet: nothing to back up/);
    assert.ok(!fs.existsSync(calls), "no backup without a database");
    fs.mkdirSync(path.dirname(database), { recursive: true });
    fs.writeFileSync(database, "");
    fs.writeFileSync(status, "0");
    const done = sshWith(opts, preDeployBackupCommand(database, previous));
    assert.equal(done.status, 0, done.stderr);
    assert.match(done.stdout, /pre-deploy backup done/);
    assert.equal(fs.readFileSync(calls, "utf8"), "start edge-backup.service\n");
    fs.writeFileSync(status, "1");
    const failed = sshWith(opts, preDeployBackupCommand(database, previous));
    assert.notEqual(failed.status, 0, "a failed backup fails the command, and the app is not replaced");
    assert.doesNotMatch(failed.stdout, /done/);
  });

  it("the pre-deploy step records the running app image, and a failing gate names it with the way back", async () => {
    const config = edgeConfig(hostKey);
    const opts = await outputValue(dockerSshOpts(config, `ssh-test-${process.pid}`));
    const running = `123456789012.dkr.ecr.us-east-1.amazonaws.com/edge-app@sha256:${"d".repeat(64)}`;
    // docker stand-in: `inspect` answers the running app's image; everything else prints nothing.
    fs.writeFileSync(path.join(dir, "bin/docker"), `#!/bin/sh\n[ "$1" = inspect ] && echo ${running}\nexit 0\n`, {
      mode: 0o755,
    });
    try {
      const previous = path.join(dir, "etc/edge/previous-app-image");
      fs.mkdirSync(path.dirname(previous), { recursive: true });
      const recorded = sshWith(opts, preDeployBackupCommand(path.join(dir, "no-database"), previous));
      assert.equal(recorded.status, 0, recorded.stderr);
      assert.equal(fs.readFileSync(previous, "utf8").trim(), running);
      const command = healthGateCommand(config, [...opts, "-i", clientKey], { attempts: 1, delaySeconds: 0 }).replace(
        `EDGE_PREVIOUS_IMAGE_FILE=${PREVIOUS_APP_IMAGE_FILE}`,
        `EDGE_PREVIOUS_IMAGE_FILE=${previous}`,
      );
      const gate = spawnSync("sh", ["-c", command], {
        encoding: "utf8",
        input: EDGE_SCRIPTS["health-gate.sh"],
        timeout: 20000,
      });
      assert.notEqual(gate.status, 0);
      assert.ok(gate.stderr.includes(`--- the app image before the last image change was ${running}`), gate.stderr);
      assert.ok(
        gate.stderr.includes(
          `to roll back: pulumi config set --path platform:edge.appImage ${running}, then pulumi up`,
        ),
        gate.stderr,
      );
    } finally {
      fs.rmSync(path.join(dir, "bin/docker"));
    }
  });

  it("a script sent on stdin runs with its environment (how host prep runs)", async () => {
    const opts = await outputValue(dockerSshOpts(edgeConfig(hostKey), `ssh-test-${process.pid}`));
    // The gate against a host where nothing listens on 443: it must fail, with the docker log section.
    const result = sshWith(
      opts,
      "sudo env EDGE_HOST=edge.test GATE_ATTEMPTS=2 GATE_DELAY_SECONDS=0 bash -s",
      EDGE_SCRIPTS["health-gate.sh"],
    );
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /health-gate: https:\/\/edge\.test\/health failed 2 times; last log lines:/);
    assert.match(result.stderr, /--- docker logs --tail 50 edge-app/);
  });
});
