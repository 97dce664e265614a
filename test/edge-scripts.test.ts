import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import { createHash as cryptoHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse } from "yaml";
// The renderers' own modules, not components/edge: its index loads the Pulumi SDK (about 2 s of CPU), which nothing here uses.
import { renderPrometheusAgentConfig } from "../components/edge/metrics";
import { EDGE_SCRIPTS, EDGE_UNITS } from "../components/edge/scripts";
import { renderSshdConfig } from "../components/edge/sshd";
import { item } from "./helpers/assert";
import { PROJECT_DIR } from "./helpers/program";
import { requireTool } from "./helpers/tools";
import { selfSignedCert } from "./helpers/certs";
import { tempDir } from "./helpers/temp-dir";

/**
 * What the edge sends to the Pi, run through real tools (nginx.conf: edge-nginx.test.ts; backup
 * and restore: edge-backup.test.ts): shellcheck on every script, promtool on the agent config,
 * and the metrics script run for real on fixture data. Stand-ins, all PATH shims in test/fixtures/edge: `aws`
 * (copies to a directory instead of S3), `docker` (records stop/start), `vcgencmd` (prints a
 * chosen throttle bit field).
 */
const SCRIPTS_DIR = path.join(PROJECT_DIR, "components/edge/scripts");
const FIXTURES = path.join(PROJECT_DIR, "test/fixtures/edge");
const shellcheck = requireTool("shellcheck");
const promtool = requireTool("promtool");
const aptConfig = requireTool("apt-config");
const openssl = requireTool("openssl");
const curl = requireTool("curl");

const script = (name: keyof typeof EDGE_SCRIPTS) => path.join(SCRIPTS_DIR, name);

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: "utf8", env: { ...process.env, ...env }, input });
}

describe("edge scripts and configs (real tools)", () => {
  it("every script passes shellcheck", { skip: shellcheck.skip }, () => {
    const files = Object.keys(EDGE_SCRIPTS).map((f) => script(f as keyof typeof EDGE_SCRIPTS));
    const result = run("shellcheck", [
      "--severity=style",
      ...files,
      ...["aws", "docker", "vcgencmd", "gate/curl"].map((f) => path.join(FIXTURES, f)),
    ]);
    assert.equal(result.status, 0, result.stdout);
  });

  it(
    "the Prometheus agent config passes promtool check config --agent, with and without remote_write",
    { skip: promtool.skip },
    () => {
      const dir = tempDir("edge-agent-");
      const url =
        "https://api.cluster.example.com/api/v1/namespaces/monitoring/services/kube-prometheus-stack-prometheus:9090/proxy/api/v1/write";
      // promtool (2.42 here) does not open remote_write's credentials_file or ca_file, so the config
      // is checked as rendered; that the container gets both files is asserted on the plan.
      for (const remoteWrite of [undefined, { url }]) {
        const file = path.join(dir, `agent-${remoteWrite ? "rw" : "local"}.yml`);
        const yaml = renderPrometheusAgentConfig({ site: "edge.test", remoteWrite });
        fs.writeFileSync(file, yaml);
        const result = run("promtool", ["check", "config", "--agent", file]);
        assert.equal(result.status, 0, result.stdout + result.stderr);
        assert.match(yaml, /job_name: edge-app/);
        assert.match(yaml, /site: edge\.test/);
        assert.equal(yaml.includes("remote_write"), Boolean(remoteWrite));
        if (remoteWrite) {
          const rw = item((parse(yaml) as { remote_write: Record<string, unknown>[] }).remote_write, 0, "remote_write");
          assert.equal(rw.url, url);
          assert.deepEqual(rw.authorization, { type: "Bearer", credentials_file: "/etc/prometheus/secrets/token" });
          assert.deepEqual(rw.tls_config, { ca_file: "/etc/prometheus/secrets/ca.pem" });
        }
      }
    },
  );

  it("the deploy gate passes only when Docker enforces memory limits (docker info MemoryLimit)", () => {
    const dir = tempDir("edge-gate-");
    for (const [limit, status] of [
      ["true", 0],
      ["false", 1],
    ] as const) {
      const log = path.join(dir, `docker-${limit}.log`);
      const result = run("bash", [script("health-gate.sh")], {
        PATH: `${path.join(FIXTURES, "gate")}:${FIXTURES}:${process.env.PATH}`,
        EDGE_HOST: "edge.test",
        GATE_ATTEMPTS: "1",
        GATE_DELAY_SECONDS: "0",
        FAKE_DOCKER_LOG: log,
        FAKE_DOCKER_MEMORY_LIMIT: limit,
      });
      assert.equal(result.status, status, result.stdout + result.stderr);
      assert.match(result.stdout, /answered on attempt 1/);
      assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), ["info --format {{.MemoryLimit}}"]);
      if (status) assert.match(result.stderr, /MemoryLimit=false: container memory limits are not enforced/);
    }
  });

  it("ecr-pull.sh logs in with the pull identity (token on stdin, throwaway DOCKER_CONFIG) and pulls by digest, once", () => {
    const dir = tempDir("edge-pull-");
    const image = `123456789012.dkr.ecr.us-east-1.amazonaws.com/edge-app@sha256:${"e".repeat(64)}`;
    const awsConfig = path.join(dir, "aws-config");
    fs.writeFileSync(
      awsConfig,
      "[default]\ncredential_process = /usr/local/bin/aws_signing_helper credential-process\n",
    );
    const pull = (log: string, present: string) =>
      run("bash", [script("ecr-pull.sh")], {
        PATH: `${FIXTURES}:${process.env.PATH}`,
        EDGE_IMAGE: image,
        EDGE_ECR_REGION: "us-east-1",
        AWS_CONFIG_FILE: awsConfig,
        FAKE_DOCKER_LOG: path.join(dir, log),
        FAKE_DOCKER_IMAGE_PRESENT: present,
      });
    const first = pull("first.log", "0");
    assert.equal(first.status, 0, first.stdout + first.stderr);
    const calls = fs.readFileSync(path.join(dir, "first.log"), "utf8").trim().split("\n");
    const config = calls.find((c) => c.startsWith("DOCKER_CONFIG="))?.split("=")[1] as string;
    assert.deepEqual(calls, [
      `image inspect ${image}`,
      "login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com",
      `DOCKER_CONFIG=${config}`,
      `pull --platform linux/arm64 ${image}`,
    ]);
    assert.equal(
      fs.readFileSync(path.join(dir, "first.log.password"), "utf8"),
      "fake-ecr-token\n",
      "the token travels on stdin, not in argv",
    );
    assert.ok(path.isAbsolute(config) && !fs.existsSync(config), "the login's config directory is removed");
    const again = pull("again.log", "1");
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(
      fs.readFileSync(path.join(dir, "again.log"), "utf8").trim().split("\n"),
      [`image inspect ${image}`],
      "already on the Pi: no login, no pull",
    );
    const byTag = run("bash", [script("ecr-pull.sh")], {
      PATH: `${FIXTURES}:${process.env.PATH}`,
      EDGE_IMAGE: "edge-app:latest",
      FAKE_DOCKER_LOG: path.join(dir, "tag.log"),
    });
    assert.equal(byTag.status, 2);
    assert.match(byTag.stderr, /not pinned by digest/);
  });
});

describe("pi-metrics.sh against fixture sysfs and vcgencmd", { skip: promtool.skip ?? openssl.skip }, () => {
  const cases = [
    {
      flags: "0x0",
      expect: { pi_under_voltage: 0, pi_throttled: 0, pi_under_voltage_since_boot: 0, pi_throttled_since_boot: 0 },
    },
    // bits 0, 2, 16, 18: under-voltage and throttling now and since boot.
    {
      flags: "0x50005",
      expect: { pi_under_voltage: 1, pi_throttled: 1, pi_under_voltage_since_boot: 1, pi_throttled_since_boot: 1 },
    },
    // bits 16 and 18 only: it happened earlier, it is fine now.
    {
      flags: "0x50000",
      expect: { pi_under_voltage: 0, pi_throttled: 0, pi_under_voltage_since_boot: 1, pi_throttled_since_boot: 1 },
    },
    // bit 1 (frequency capped) and bit 3 (soft limit) are not throttling or under-voltage.
    {
      flags: "0xa",
      expect: { pi_under_voltage: 0, pi_throttled: 0, pi_under_voltage_since_boot: 0, pi_throttled_since_boot: 0 },
    },
  ];

  // A throwaway certificate valid for 30 days: its notAfter is what the metric must report.
  const certDir = tempDir("edge-cert-");
  const { cert, notAfter } = selfSignedCert(certDir, { commonName: "pi.example.com", days: 30 });
  after(() => fs.rmSync(certDir, { recursive: true, force: true }));

  function collect(env: NodeJS.ProcessEnv): Record<string, number> {
    const out = tempDir("edge-textfile-");
    const result = run("bash", [script("pi-metrics.sh")], {
      EDGE_TEXTFILE_DIR: out,
      PI_VCGENCMD: path.join(FIXTURES, "vcgencmd"),
      EDGE_TLS_CERT: cert,
      ...env,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(fs.readdirSync(out), ["pi.prom"], "only the final file, no temporary left behind");
    const text = fs.readFileSync(path.join(out, "pi.prom"), "utf8");
    const lint = run("promtool", ["check", "metrics"], {}, text);
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    return Object.fromEntries(
      text
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => [l.split(" ")[0], Number(l.split(" ")[1])]),
    );
  }

  for (const c of cases) {
    it(`get_throttled ${c.flags}`, () => {
      const metrics = collect({
        PI_THERMAL_FILE: path.join(FIXTURES, "thermal_zone0_temp"),
        FIXTURE_THROTTLED: c.flags,
      });
      assert.equal(metrics.pi_cpu_temperature_celsius, 48.312);
      for (const [name, value] of Object.entries(c.expect)) assert.equal(metrics[name], value, name);
      assert.equal(metrics.pi_throttled_flags, Number(c.flags));
      assert.equal(metrics.pi_metrics_collector_success, 1);
    });
  }

  it("exports the TLS certificate's notAfter as edge_tls_certificate_expiry_timestamp_seconds; a missing certificate is a failure", () => {
    const metrics = collect({ PI_THERMAL_FILE: path.join(FIXTURES, "thermal_zone0_temp"), FIXTURE_THROTTLED: "0x0" });
    assert.equal(metrics.edge_tls_certificate_expiry_timestamp_seconds, Date.parse(notAfter) / 1000);
    const days = (metrics.edge_tls_certificate_expiry_timestamp_seconds - Date.now() / 1000) / 86400;
    assert.ok(days > 29 && days <= 30, `${days} days`);
    const missing = collect({
      PI_THERMAL_FILE: path.join(FIXTURES, "thermal_zone0_temp"),
      FIXTURE_THROTTLED: "0x0",
      EDGE_TLS_CERT: "/nonexistent/cert.pem",
    });
    assert.equal(missing.edge_tls_certificate_expiry_timestamp_seconds, undefined);
    assert.equal(missing.pi_metrics_collector_success, 0);
  });

  it("a missing thermal zone reports failure instead of a made-up temperature", () => {
    const metrics = collect({ PI_THERMAL_FILE: "/nonexistent/temp", FIXTURE_THROTTLED: "0x0" });
    assert.equal(metrics.pi_cpu_temperature_celsius, undefined);
    assert.equal(metrics.pi_metrics_collector_success, 0);
  });

  describe(
    "edge_app_health_ok from the app's /health through nginx (real curl, a loopback HTTPS server)",
    { skip: curl.skip },
    () => {
      // The stand-in for nginx in front of the app: HTTPS with the throwaway certificate, /health
      // answering with the status given in its environment. A separate process: the script runs synchronously.
      let server: ChildProcess | undefined;
      const start = (status: number) =>
        new Promise<number>((resolve, reject) => {
          const code = `const https=require("https"),fs=require("fs");const s=https.createServer({cert:fs.readFileSync(${JSON.stringify(cert)}),key:fs.readFileSync(${JSON.stringify(path.join(certDir, "key.pem"))})},(q,r)=>{r.statusCode=q.url==="/health"?${status}:404;r.end();}).listen(0,"127.0.0.1",()=>console.log(s.address().port));`;
          server = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
          server.stdout?.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
          server.once("error", reject);
        });
      after(() => server?.kill());
      const base = { PI_THERMAL_FILE: path.join(FIXTURES, "thermal_zone0_temp"), FIXTURE_THROTTLED: "0x0" };

      it("1 when /health answers 200, 0 when it answers 503, absent without EDGE_HOST", async () => {
        const healthyPort = await start(200);
        assert.equal(
          collect({ ...base, EDGE_HOST: "pi.example.com", EDGE_HEALTH_PORT: String(healthyPort) }).edge_app_health_ok,
          1,
        );
        server?.kill();
        const failingPort = await start(503);
        assert.equal(
          collect({ ...base, EDGE_HOST: "pi.example.com", EDGE_HEALTH_PORT: String(failingPort) }).edge_app_health_ok,
          0,
        );
        assert.equal(collect(base).edge_app_health_ok, undefined);
      });
    },
  );
});

describe(
  "host-prep.sh run twice in a sandbox",
  { skip: process.getuid?.() !== 0 ? "needs root (it sets directory owners)" : undefined },
  () => {
    // The sandbox: every file under a temporary SYSROOT; the system commands (apt, systemd, ufw,
    // swap, mount, groups) are shims that log their calls and keep state between the two runs.
    // What it cannot show: that Debian's packages, ufw and systemd behave as the shims model them.
    // The Pi's boot partition and cgroup v2 controllers are fixture files under SYSROOT too.
    function sandbox(controllers: string) {
      const dir = tempDir("edge-hostprep-");
      const sysroot = path.join(dir, "root");
      const bin = path.join(dir, "bin");
      for (const d of ["etc", "boot/firmware", "sys/fs/cgroup"])
        fs.mkdirSync(path.join(sysroot, d), { recursive: true });
      fs.mkdirSync(bin);
      fs.copyFileSync(path.join(FIXTURES, "host-sandbox/fstab"), path.join(sysroot, "etc/fstab"));
      fs.copyFileSync(path.join(FIXTURES, "host-sandbox/cmdline.txt"), path.join(sysroot, "boot/firmware/cmdline.txt"));
      fs.writeFileSync(path.join(sysroot, "sys/fs/cgroup/cgroup.controllers"), controllers);
      for (const cmd of [
        "dpkg-query",
        "apt-get",
        "id",
        "usermod",
        "ufw",
        "swapon",
        "swapoff",
        "fallocate",
        "findmnt",
        "mount",
        "systemctl",
        "mkswap",
        "sysctl",
        "sshd",
      ])
        fs.symlinkSync(path.join(FIXTURES, "host-sandbox/shim"), path.join(bin, cmd));
      return { dir, sysroot, bin };
    }

    const SSHD_CONFIG = renderSshdConfig({ user: "pi", port: 2222 });
    function runPrep(box: ReturnType<typeof sandbox>, log: string, env: Record<string, string> = {}) {
      return run("bash", [script("host-prep.sh")], {
        PATH: `${box.bin}:${process.env.PATH}`,
        SYSROOT: box.sysroot,
        EDGE_USER: "pi",
        EDGE_SSH_PORT: "2222",
        EDGE_SSH_ALLOW_FROM: "192.168.0.0/16 100.64.0.0/10",
        EDGE_SSHD_CONFIG: SSHD_CONFIG,
        EDGE_REBOOT_TIME: "03:30",
        JOURNAL_MAX: "96M",
        SANDBOX_LOG: path.join(box.dir, log),
        SANDBOX_STATE: path.join(box.dir, "state"),
        ...env,
      });
    }

    const box = sandbox(fs.readFileSync(path.join(FIXTURES, "host-sandbox/cgroup.controllers"), "utf8"));
    const { dir, sysroot } = box;
    const CMDLINE =
      "console=serial0,115200 console=tty1 root=PARTUUID=6c586e13-02 rootfstype=ext4 fsck.repair=yes rootwait";

    function prep(log: string) {
      const result = runPrep(box, log);
      assert.equal(result.status, 0, result.stderr + result.stdout);
      return { stdout: result.stdout, calls: fs.readFileSync(path.join(dir, log), "utf8").trim().split("\n") };
    }

    function snapshot(root: string): string[] {
      const entries: string[] = [];
      const walk = (p: string) => {
        const st = fs.lstatSync(p);
        // Small files by content; every file by inode and mtime too, so a rewrite with equal content shows.
        const body = st.isFile()
          ? `${st.ino} ${st.mtimeMs} ${st.size < 1 << 20 ? createHash(fs.readFileSync(p)) : ""}`
          : "";
        entries.push(
          `${path.relative(root, p)} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.size} ${body}`,
        );
        if (st.isDirectory()) for (const child of fs.readdirSync(p).sort()) walk(path.join(p, child));
      };
      walk(root);
      return entries;
    }

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const MUTATING =
      /^(apt-get install|usermod|ufw --force enable|ufw delete|systemctl restart|systemctl reload|systemctl enable --now apt|sshd|fallocate|mkswap|mount|swapon \/|sysctl)/;
    let first: ReturnType<typeof prep>;
    let firstTree: string[];

    it("the first run installs, configures and creates everything", () => {
      first = prep("run1.log");
      firstTree = snapshot(sysroot);
      const mutations = first.calls.filter((c) => MUTATING.test(c));
      assert.ok(
        mutations.some((c) => /^apt-get install .*docker\.io.*ufw.*sqlite3.*awscli/.test(c)),
        mutations.join("\n"),
      );
      for (const expected of [
        "usermod -aG docker pi",
        "ufw --force enable",
        `fallocate -l 2147483648 ${sysroot}/swapfile`,
        "mount -o remount,noatime /",
        "systemctl restart docker",
      ])
        assert.ok(first.calls.includes(expected), `${expected} in\n${first.calls.join("\n")}`);
      for (const port of ["80/tcp", "443/tcp"]) assert.ok(first.calls.includes(`ufw allow ${port}`), port);
      for (const cidr of ["192.168.0.0/16", "100.64.0.0/10"])
        assert.ok(
          first.calls.includes(`ufw limit proto tcp from ${cidr} to any port 2222`),
          `SSH from ${cidr}, rate-limited, on the configured port`,
        );
      assert.ok(
        !first.calls.some((c) => /^ufw (allow|limit) (proto tcp from any |)(22|2222)(\/tcp)?$/.test(c)),
        "SSH is never admitted from anywhere",
      );
      assert.equal(fs.readFileSync(path.join(sysroot, "etc/ssh/sshd_config.d/10-edge.conf"), "utf8"), SSHD_CONFIG);
      assert.ok(
        first.calls.includes("sshd -t") && first.calls.includes("systemctl reload ssh"),
        "the drop-in is validated, then sshd reloads",
      );
      assert.ok(first.calls.indexOf("sshd -t") < first.calls.indexOf("systemctl reload ssh"));
      assert.equal(
        fs.readFileSync(path.join(sysroot, "boot/firmware/cmdline.txt"), "utf8"),
        `${CMDLINE} cgroup_enable=memory cgroup_memory=1\n`,
        "one line, both parameters appended",
      );
      assert.ok(first.calls.includes("ufw default deny incoming"));
      const fstab = fs.readFileSync(path.join(sysroot, "etc/fstab"), "utf8");
      assert.match(fstab, /^PARTUUID=6c586e13-02 \/ ext4 defaults,noatime 0 1$/m);
      assert.match(fstab, /^\/swapfile none swap sw 0 0$/m);
      assert.match(fstab, /^PARTUUID=6c586e13-01 {2}\/boot\/firmware {2}vfat/m, "other lines untouched");
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(sysroot, "etc/docker/daemon.json"), "utf8"))["log-opts"], {
        "max-size": "10m",
        "max-file": "3",
      });
      const journald = fs.readFileSync(path.join(sysroot, "etc/systemd/journald.conf.d/90-edge.conf"), "utf8");
      assert.match(journald, /^Storage=persistent$/m, "the logs before a crash survive the reboot");
      assert.match(journald, /^SystemMaxUse=96M$/m, "capped at JOURNAL_MAX");
      assert.match(journald, /^SyncIntervalSec=5m$/m, "SD-card wear: flushed every 5 minutes, not per message");
      assert.ok(
        first.calls.includes("systemctl enable --now apt-daily.timer apt-daily-upgrade.timer"),
        "the upgrade timers are enabled",
      );
      const owner = (p: string) => {
        const st = fs.statSync(path.join(sysroot, p));
        return `${st.uid}:${st.gid} ${(st.mode & 0o777).toString(8)}`;
      };
      assert.equal(owner("srv/edge/data"), "1000:1000 750");
      assert.equal(owner("srv/edge/redis"), "999:999 750");
      assert.equal(owner("srv/edge/prometheus"), "65534:65534 750");
      assert.equal(owner("var/backups/edge"), "0:0 700");
      assert.equal(owner("etc/edge/tls"), "0:0 700");
      assert.equal(fs.statSync(path.join(sysroot, "swapfile")).size, 2048 * 1024 * 1024);
    });

    it("the second run changes nothing: no mutating command, the same files, modes and owners", () => {
      assert.ok(first, "needs the first run");
      const second = prep("run2.log");
      assert.ok(second.calls.includes("ufw default deny incoming"), "the second run did run");
      assert.deepEqual(
        second.calls.filter((c) => MUTATING.test(c)),
        [],
      );
      assert.doesNotMatch(second.stdout, /wrote|created|installing|mounted/);
      assert.deepEqual(snapshot(sysroot), firstTree);
    });

    it(
      "unattended-upgrades: installed, security origins, reboot at EDGE_REBOOT_TIME; apt-config parses both files",
      { skip: aptConfig.skip },
      () => {
        assert.ok(first, "needs the first run");
        assert.ok(
          first.calls.some((c) => /^apt-get install .*unattended-upgrades/.test(c)),
          "the package is installed",
        );
        const files = ["etc/apt/apt.conf.d/20auto-upgrades", "etc/apt/apt.conf.d/52edge-unattended-upgrades"].map((f) =>
          path.join(sysroot, f),
        );
        // apt's own parser: a syntax error fails apt-config; the dump shows the values apt will use.
        const dump = run("apt-config", files.flatMap((f) => ["-c", f]).concat(["dump"]), {});
        assert.equal(dump.status, 0, dump.stderr);
        for (const line of [
          'APT::Periodic::Update-Package-Lists "1";',
          'APT::Periodic::Unattended-Upgrade "1";',
          'Unattended-Upgrade::Automatic-Reboot "true";',
          'Unattended-Upgrade::Automatic-Reboot-Time "03:30";',
          'Unattended-Upgrade::Origins-Pattern:: "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";',
        ])
          assert.ok(dump.stdout.split("\n").includes(line), `${line} in\n${dump.stdout}`);
        const bad = runPrep(box, "run-bad-reboot.log", { EDGE_REBOOT_TIME: "4am" });
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /EDGE_REBOOT_TIME must be HH:MM, got '4am'/);
      },
    );

    it("SSH networks no longer configured, and the SSH-from-anywhere rule of earlier versions, are removed", () => {
      assert.ok(first, "needs the first run");
      const rules = path.join(dir, "state/ufw-rules");
      assert.deepEqual(fs.readFileSync(rules, "utf8").trim().split("\n"), [
        "2222/tcp LIMIT 192.168.0.0/16",
        "2222/tcp LIMIT 100.64.0.0/10",
      ]);
      fs.appendFileSync(rules, "2222/tcp ALLOW Anywhere\n");
      const result = runPrep(box, "run-networks.log", { EDGE_SSH_ALLOW_FROM: "192.168.0.0/16 10.8.0.0/24" });
      assert.equal(result.status, 0, result.stdout + result.stderr);
      const calls = fs.readFileSync(path.join(dir, "run-networks.log"), "utf8").trim().split("\n");
      assert.ok(calls.includes("ufw delete limit proto tcp from 100.64.0.0/10 to any port 2222"), calls.join("\n"));
      assert.ok(calls.includes("ufw delete allow 2222/tcp"), calls.join("\n"));
      assert.deepEqual(fs.readFileSync(rules, "utf8").trim().split("\n"), [
        "2222/tcp LIMIT 192.168.0.0/16",
        "2222/tcp LIMIT 10.8.0.0/24",
      ]);
      // Back to the configured networks for the tests after this one.
      assert.equal(runPrep(box, "run-networks-back.log").status, 0);
    });

    it("an sshd drop-in that sshd -t rejects is taken out again: the previous one stays, sshd is not reloaded, exit 2", () => {
      assert.ok(first, "needs the first run");
      const result = runPrep(box, "run-bad-sshd.log", {
        EDGE_SSHD_CONFIG: `${SSHD_CONFIG}Bogus yes\n`,
        SANDBOX_SSHD_FAIL: "1",
      });
      assert.equal(result.status, 2, result.stdout + result.stderr);
      assert.match(result.stderr, /sshd -t rejected the new drop-in; the previous sshd configuration stays/);
      const calls = fs.readFileSync(path.join(dir, "run-bad-sshd.log"), "utf8");
      assert.doesNotMatch(calls, /systemctl reload ssh/);
      assert.equal(fs.readFileSync(path.join(sysroot, "etc/ssh/sshd_config.d/10-edge.conf"), "utf8"), SSHD_CONFIG);
      assert.deepEqual(
        fs.readdirSync(path.join(sysroot, "etc/ssh/sshd_config.d")),
        ["10-edge.conf"],
        "no leftover copy for sshd to include",
      );
    });

    it("without an active memory controller it enables it for the next boot and fails asking for a reboot", () => {
      const other = sandbox("cpuset cpu io pids\n");
      // One parameter already there: only the missing one is added.
      fs.writeFileSync(path.join(other.sysroot, "boot/firmware/cmdline.txt"), `${CMDLINE} cgroup_memory=1\n`);
      try {
        const result = runPrep(other, "run.log");
        assert.equal(result.status, 3, result.stdout + result.stderr);
        assert.match(result.stderr, /memory cgroup is not active/);
        assert.match(result.stderr, /reboot the Pi \(sudo reboot\) and run pulumi up again/);
        assert.equal(
          fs.readFileSync(path.join(other.sysroot, "boot/firmware/cmdline.txt"), "utf8"),
          `${CMDLINE} cgroup_memory=1 cgroup_enable=memory\n`,
        );
        // After the reboot (controller active) the same run succeeds and leaves cmdline.txt alone.
        fs.writeFileSync(path.join(other.sysroot, "sys/fs/cgroup/cgroup.controllers"), "cpuset cpu io memory pids\n");
        const again = runPrep(other, "run2.log");
        assert.equal(again.status, 0, again.stdout + again.stderr);
        assert.doesNotMatch(again.stdout, /cmdline/);
        assert.equal(
          fs.readFileSync(path.join(other.sysroot, "boot/firmware/cmdline.txt"), "utf8"),
          `${CMDLINE} cgroup_memory=1 cgroup_enable=memory\n`,
        );
      } finally {
        fs.rmSync(other.dir, { recursive: true, force: true });
      }
    });
  },
);

function createHash(content: Buffer): string {
  return cryptoHash("sha256").update(content).digest("hex");
}

describe("edge-image-prune timer", () => {
  const systemdAnalyze = requireTool("systemd-analyze");
  it(
    "systemd-analyze verify accepts the service and the timer without a warning; only unused images older than the rollback window go",
    { skip: systemdAnalyze.skip },
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-prune-"));
      try {
        // ExecStart must name an executable that exists: a stand-in for the docker CLI.
        const docker = path.join(dir, "docker");
        fs.writeFileSync(docker, "#!/bin/sh\n", { mode: 0o755 });
        const service = EDGE_UNITS["edge-image-prune.service"];
        assert.match(
          service,
          /^ExecStart=\/usr\/bin\/docker image prune --all --force --filter until=336h$/m,
          "never an image a container uses (prune), none younger than 14 days",
        );
        fs.writeFileSync(path.join(dir, "edge-image-prune.service"), service.replace("/usr/bin/docker", docker));
        fs.writeFileSync(path.join(dir, "edge-image-prune.timer"), EDGE_UNITS["edge-image-prune.timer"]);
        const result = run("systemd-analyze", [
          "verify",
          path.join(dir, "edge-image-prune.service"),
          path.join(dir, "edge-image-prune.timer"),
        ]);
        assert.equal(result.status, 0, result.stdout + result.stderr);
        assert.equal(result.stdout + result.stderr, "");
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
