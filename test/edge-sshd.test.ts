import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { emitEdge } from "../tools/plan/emit-edge";
import { renderSshdConfig } from "../components/edge/sshd";
import { environmentDefaults } from "../config/defaults";
import { loadEdge } from "./helpers/config";
import { requireTool } from "./helpers/tools";

/**
 * The Pi's sshd drop-in through the real OpenSSH server: `sshd -t` accepts it, and `sshd -T`
 * (the effective configuration) shows what the drop-in is for. sshd needs a host key to test a
 * configuration: a throwaway one is generated. What it cannot show: that the Pi's own
 * sshd_config includes sshd_config.d first (Debian's and Raspberry Pi OS's do).
 */
const sshd = requireTool("sshd");
const keygen = requireTool("ssh-keygen");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-sshd-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function hostKey(): string {
  const key = path.join(dir, "ssh_host_ed25519_key");
  if (!fs.existsSync(key)) {
    const made = spawnSync(keygen.path!, ["-q", "-t", "ed25519", "-N", "", "-f", key], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
  }
  return key;
}

/** `sshd -t` (or `-T`) on the drop-in as the whole configuration, with the throwaway host key. */
function sshdOn(config: string, mode: "-t" | "-T") {
  const file = path.join(dir, `sshd_config.${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, config);
  // -C: the connection the effective configuration is computed for (Match blocks); the deploy's.
  const extra = mode === "-T" ? ["-C", "user=pi,host=deploy.example,addr=192.168.1.20"] : [];
  return spawnSync(sshd.path!, [mode, "-f", file, "-h", hostKey(), ...extra], { encoding: "utf8" });
}

describe("sshd drop-in", { skip: sshd.skip ?? keygen.skip }, () => {
  const config = renderSshdConfig({ user: "pi", port: 2222 });

  it("sshd -t accepts it", () => {
    const result = sshdOn(config, "-t");
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr.trim(), "", "no deprecated or unknown keyword warnings");
  });

  it("sshd -T: keys only, no root, only the deploy user, current algorithms, idle timeout", () => {
    const result = sshdOn(config, "-T");
    assert.equal(result.status, 0, result.stderr);
    const effective = new Map(
      result.stdout
        .trim()
        .split("\n")
        .map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1)]),
    );
    const expect: Record<string, string> = {
      port: "2222",
      permitrootlogin: "no",
      allowusers: "pi",
      authenticationmethods: "publickey",
      passwordauthentication: "no",
      kbdinteractiveauthentication: "no",
      permitemptypasswords: "no",
      x11forwarding: "no",
      allowtcpforwarding: "no",
      allowagentforwarding: "no",
      maxauthtries: "3",
      clientaliveinterval: "300",
      clientalivecountmax: "3",
    };
    for (const [key, value] of Object.entries(expect)) assert.equal(effective.get(key), value, key);
    for (const weak of ["diffie-hellman-group1", "diffie-hellman-group14-sha1", "sha1"])
      assert.ok(
        !effective
          .get("kexalgorithms")!
          .split(",")
          .some((k) => k.startsWith(weak)),
        `no ${weak} key exchange`,
      );
    assert.ok(!/cbc|3des|arcfour/.test(effective.get("ciphers")!), effective.get("ciphers"));
    assert.ok(!/hmac-sha1|md5|umac-64/.test(effective.get("macs")!), effective.get("macs"));
  });

  it("sshd -t rejects a broken drop-in (the check host preparation relies on is real)", () => {
    const result = sshdOn(`${config}NoSuchKeyword yes\n`, "-t");
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /Bad configuration option|unsupported option/i);
  });

  it("the emitted edge/sshd_config.d/10-edge.conf is the drop-in for the stack's user and port, and sshd -t accepts it", () => {
    const out = path.join(dir, "emit");
    const edge = loadEdge({
      values: {
        "platform:kind": "edge",
        "platform:environment": "dev",
        "platform:edge": JSON.stringify({
          site: "lab",
          host: "pi.example.com",
          hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEqgoCoy/93QeHl3TKWzzLwL4WMKnYfRTYkC9wfr2Hb",
          user: "deploy",
          port: 2200,
        }),
      },
      project: "platform",
      stack: "edge-dev",
    });
    const written = emitEdge(out, edge);
    assert.ok(written.includes("edge/sshd_config.d/10-edge.conf"));
    const emitted = fs.readFileSync(path.join(out, "edge/sshd_config.d/10-edge.conf"), "utf8");
    assert.equal(emitted, renderSshdConfig({ user: "deploy", port: 2200 }));
    assert.notEqual(environmentDefaults.dev.edge.port, 2200, "the test overrides the default port");
    const result = sshdOn(emitted, "-t");
    assert.equal(result.status, 0, result.stderr);
  });
});
