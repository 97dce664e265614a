import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, environmentDefaults, loadConfig, platformSchemas } from "../config";
import { readStackConfig } from "../tools/plan/stack-config";
import { PROJECT_DIR, STACKS } from "./helpers/program";

function sourceFor(stack: string, patch: Record<string, unknown> = {}) {
  const { values, project } = readStackConfig(PROJECT_DIR, stack);
  const patched = { ...values };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete patched[key];
    else patched[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { values: patched, project, stack };
}

function problemsFor(patch: Record<string, unknown>, stack = "dev"): string[] {
  try {
    loadConfig(sourceFor(stack, patch));
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return [...error.problems];
  }
  assert.fail(`config ${JSON.stringify(patch)} was accepted`);
}

describe("stack files", () => {
  for (const stack of STACKS) {
    it(`Pulumi.${stack}.yaml validates and takes the ${stack} defaults`, () => {
      const config = loadConfig(sourceFor(stack));
      assert.equal(config.environment, stack);
      assert.equal(config.stack, stack);
      assert.equal(config.project, "platform");
      assert.equal(config.region, "us-east-1");
      assert.equal(config.cache.replicas, environmentDefaults[stack].cache.replicas);
      assert.ok(Object.isFrozen(config) && Object.isFrozen(config.database), "config is frozen");
    });
  }

  it("the two stacks differ in availability and safety the way the requirements table says", () => {
    const dev = loadConfig(sourceFor("dev"));
    const prod = loadConfig(sourceFor("prod"));
    assert.equal(dev.network.natGateways, "single");
    assert.equal(prod.network.natGateways, "perAz");
    assert.equal(prod.network.azCount, 3);
    assert.equal(prod.database.multiAz, true);
    assert.equal(dev.database.multiAz, false);
    assert.equal(prod.database.backupRetentionDays, 30);
    assert.equal(dev.database.backupRetentionDays, 7);
    assert.ok(prod.cache.replicas >= 1);
    assert.equal(prod.backups.objectLock, true);
    assert.equal(prod.protect, true);
    assert.equal(dev.protect, false);
    assert.equal(prod.cluster.spot, false);
    assert.ok(prod.cluster.minNodes >= 2 && prod.cluster.maxNodes === 10);
    assert.equal(prod.monitoring.retentionDays, 30);
    assert.equal(dev.monitoring.retentionDays, 7);
  });

  it("both default columns have every key of the schema and validate on their own", () => {
    for (const stack of STACKS) {
      for (const key of Object.keys(platformSchemas)) {
        if (key === "environment") continue;
        const value = (environmentDefaults[stack] as Record<string, unknown>)[key];
        const parsed = platformSchemas[key as keyof typeof platformSchemas].safeParse(value);
        assert.ok(parsed.success, `${stack} default for ${key}: ${parsed.success ? "" : parsed.error.message}`);
      }
    }
  });

  it("a stack value overrides one knob and keeps the other defaults", () => {
    const config = loadConfig(sourceFor("dev", { "platform:database": { backupRetentionDays: 14 } }));
    assert.equal(config.database.backupRetentionDays, 14);
    assert.equal(config.database.instanceClass, environmentDefaults.dev.database.instanceClass);
  });

  it("a nested knob set alone (pulumi config set --path platform:edge.memoryMb.app) keeps its siblings' defaults", () => {
    const config = loadConfig(sourceFor("dev", { "platform:edge": { enabled: false, memoryMb: { app: 600 } } }));
    assert.deepEqual(config.edge.memoryMb, { ...environmentDefaults.dev.edge.memoryMb, app: 600 });
  });

  it("the SSH private key becomes a Pulumi secret", async () => {
    const config = loadConfig(
      sourceFor("dev", { "platform:edge": { enabled: true, host: "pi.example.com", hostKey: "ssh-ed25519 AAAAC3Nza", sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" } }),
    );
    assert.ok(config.edge.sshPrivateKey);
    assert.equal(await pulumi.isSecret(config.edge.sshPrivateKey), true);
  });

  it("a provided TLS private key becomes a Pulumi secret", async () => {
    const config = loadConfig(
      sourceFor("dev", { "platform:edge": { enabled: false, tlsCertificate: "-----BEGIN CERTIFICATE-----", tlsPrivateKey: "-----BEGIN PRIVATE KEY-----" } }),
    );
    assert.ok(config.edge.tlsPrivateKey);
    assert.equal(await pulumi.isSecret(config.edge.tlsPrivateKey), true);
  });
});

describe("bad configuration", () => {
  const cases: { name: string; patch: Record<string, unknown>; expect: RegExp }[] = [
    { name: "misspelt top-level key", patch: { "platform:databse": { multiAz: true } }, expect: /^platform:databse: unknown key; did you mean "platform:database"\?/ },
    { name: "misspelt nested key", patch: { "platform:database": { backupRetentionDay: 7 } }, expect: /^platform:database\.backupRetentionDay: unknown key; did you mean "platform:database\.backupRetentionDays"\?/ },
    { name: "backup retention over 35", patch: { "platform:database": { backupRetentionDays: 40 } }, expect: /^platform:database\.backupRetentionDays: got 40; expected an integer from 0 to 35/ },
    { name: "gp3 storage under 20 GB", patch: { "platform:database": { allocatedStorageGb: 10, maxAllocatedStorageGb: 20 } }, expect: /^platform:database\.allocatedStorageGb: got 10; expected an integer from 20 /},
    { name: "instance class without db.", patch: { "platform:database": { instanceClass: "t4g.micro" } }, expect: /^platform:database\.instanceClass: got "t4g\.micro"; expected an RDS instance class with its "db\." prefix/ },
    { name: "node type without cache.", patch: { "platform:cache": { nodeType: "t4g.micro" } }, expect: /^platform:cache\.nodeType: got "t4g\.micro"; expected an ElastiCache node type with its "cache\." prefix/ },
    { name: "malformed CIDR", patch: { "platform:network": { cidr: "10.0.0.0/33" } }, expect: /^platform:network\.cidr: got "10\.0\.0\.0\/33"; expected an IPv4 network in CIDR notation/ },
    { name: "CIDR with host bits", patch: { "platform:network": { cidr: "10.0.1.0/16" } }, expect: /^platform:network\.cidr: got "10\.0\.1\.0\/16"/ },
    { name: "public access CIDR malformed", patch: { "platform:cluster": { publicAccessCidrs: ["1.2.3.4"] } }, expect: /^platform:cluster\.publicAccessCidrs\[0\]: got "1\.2\.3\.4"; expected IPv4 networks in CIDR notation/ },
    { name: "wrong type", patch: { "platform:network": { azCount: "3" } }, expect: /^platform:network\.azCount: got "3"; expected an integer from 2 to 3/ },
    { name: "unknown enum value", patch: { "platform:network": { natGateways: "one" } }, expect: /^platform:network\.natGateways: got "one"; expected "single" or "perAz"/ },
    { name: "min nodes over max", patch: { "platform:cluster": { minNodes: 5, maxNodes: 2, desiredNodes: 2 } }, expect: /^platform:cluster\.minNodes: got 5; expected at most cluster\.maxNodes \(2\)/ },
    { name: "desired outside min..max", patch: { "platform:cluster": { minNodes: 1, maxNodes: 3, desiredNodes: 4 } }, expect: /^platform:cluster\.desiredNodes: got 4; expected between cluster\.minNodes \(1\) and cluster\.maxNodes \(3\)/ },
    { name: "non-Graviton instance type", patch: { "platform:cluster": { instanceTypes: ["t3.medium"] } }, expect: /^platform:cluster\.instanceTypes\[0\]: got "t3\.medium"; expected a Graviton \(arm64\) instance type/ },
    { name: "max storage under allocated", patch: { "platform:database": { allocatedStorageGb: 100, maxAllocatedStorageGb: 50 } }, expect: /^platform:database\.maxAllocatedStorageGb: got 50; expected at least database\.allocatedStorageGb \(100\)/ },
    { name: "port outside 1-65535", patch: { "platform:edge": { port: 70000 } }, expect: /^platform:edge\.port: got 70000; expected an integer from 1 to 65535/ },
    { name: "edge enabled without a host", patch: { "platform:edge": { enabled: true, hostKey: "ssh-ed25519 AAAAC3Nza" } }, expect: /^platform:edge\.host: got nothing; expected the Pi's DNS name or address when edge\.enabled is true/ },
    { name: "image not pinned by digest", patch: { "platform:edge": { appImage: "edge-app:latest" } }, expect: /^platform:edge\.appImage: got "edge-app:latest"; expected an image reference pinned by digest/ },
    { name: "chart version range", patch: { "platform:monitoring": { chartVersion: "^79.0.0" } }, expect: /^platform:monitoring\.chartVersion: got "\^79\.0\.0"; expected an exact chart version/ },
    { name: "EKS version as a number", patch: { "platform:cluster": { version: 1.3 } }, expect: /^platform:cluster\.version: got 1\.3; expected a Kubernetes minor version as a string/ },
    { name: "admin role not a role ARN", patch: { "platform:cluster": { adminRoleArns: ["arn:aws:iam::123:user/me"] } }, expect: /^platform:cluster\.adminRoleArns\[0\]: got "arn:aws:iam::123:user\/me"; expected an IAM role ARN/ },
    { name: "cold transition after expiry", patch: { "platform:backups": { retentionDays: 7, coldAfterDays: 7 } }, expect: /^platform:backups\.coldAfterDays: got 7; expected fewer days than backups\.retentionDays \(7\)/ },
    { name: "reserved tag prefix", patch: { "platform:tags": { "aws:owner": "me" } }, expect: /^platform:tags: got \{"aws:owner":"me"\}; expected tag names/ },
    {
      name: "edge containers leaving the Pi's OS under 1 GB",
      patch: { "platform:edge": { enabled: false, memoryMb: { app: 2048, redis: 512, nginx: 128, nodeExporter: 64, metricsAgent: 512 } } },
      expect: /^platform:edge\.memoryMb: got \{.*\}; expected container limits summing to at most 3072 MB \(they sum to 3264 MB/,
    },
    { name: "a TLS certificate without its key", patch: { "platform:edge": { enabled: false, tlsCertificate: "-----BEGIN CERTIFICATE-----" } }, expect: /^platform:edge\.tlsPrivateKey: got nothing; expected edge\.tlsCertificate and edge\.tlsPrivateKey set together/ },
    {
      name: "edge remote write with a private-only cluster endpoint",
      patch: { "platform:cluster": { publicAccessCidrs: [] }, "platform:monitoring": { edgeRemoteWrite: true } },
      expect: /^platform:monitoring\.edgeRemoteWrite: got true; expected false while cluster\.publicAccessCidrs is empty/,
    },
    { name: "negative usage assumption", patch: { "platform:cost": { natProcessedGbPerMonth: -5 } }, expect: /^platform:cost\.natProcessedGbPerMonth: got -5; expected GB per month, 0 or more/ },
    { name: "missing environment", patch: { "platform:environment": undefined }, expect: /^platform:environment: got nothing; expected "dev" or "prod"/ },
    { name: "missing region", patch: { "aws:region": undefined }, expect: /^aws:region: got nothing; expected an AWS region/ },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      const problems = problemsFor(c.patch);
      assert.ok(problems.some((p) => c.expect.test(p)), `no problem matched ${c.expect}:\n${problems.join("\n")}`);
    });
  }

  it("reports every problem at once", () => {
    const problems = problemsFor({
      "platform:databse": {},
      "platform:database": { backupRetentionDays: 99 },
      "platform:edge": { enabled: true, port: 0 },
    });
    assert.equal(problems.length, 5, problems.join("\n"));
  });

  it("never echoes the TLS private key in a problem", () => {
    const problems = problemsFor({ "platform:edge": { enabled: false, tlsPrivateKey: 7 } });
    assert.ok(problems.some((p) => p.startsWith("platform:edge.tlsPrivateKey: got [secret]")), problems.join("\n"));
  });

  it("never echoes the SSH private key in a problem", () => {
    const problems = problemsFor({ "platform:edge": { sshPrivateKey: 42 } });
    assert.ok(problems.some((p) => p.startsWith("platform:edge.sshPrivateKey: got [secret]")), problems.join("\n"));
    assert.ok(!problems.join("\n").includes("42"));
  });
});
