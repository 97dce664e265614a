import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, environmentDefaults, loadConfig, platformSchemas } from "../config";
import { COMMON_KEYS, KIND_KEYS } from "../config/schema";
import { loadCloud, loadEdge, sourceFor } from "./helpers/config";
import { CLOUD_STACK_OF, EDGE_STACKS, STACKS } from "./helpers/program";

const PI = { site: "lab", host: "pi.example.com", hostKey: "ssh-ed25519 AAAAC3Nza" };

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
    it(`Pulumi.${stack}.yaml validates as a cloud stack and takes the ${stack} defaults`, () => {
      const config = loadCloud(sourceFor(stack));
      assert.equal(config.environment, stack);
      assert.equal(config.stack, stack);
      assert.equal(config.project, "platform");
      assert.equal(config.region, "us-east-1");
      assert.equal(config.cache.replicas, environmentDefaults[stack].cache.replicas);
      assert.ok(Object.isFrozen(config) && Object.isFrozen(config.database), "config is frozen");
      assert.ok(config.edgeSites.length > 0, "the stack serves a Pi site");
    });
  }
  for (const stack of EDGE_STACKS) {
    it(`Pulumi.${stack}.yaml validates as an edge stack of one site, reading cloud stack ${CLOUD_STACK_OF[stack]}`, () => {
      const config = loadEdge({ ...sourceFor(stack), organization: "acme" });
      assert.equal(config.environment, CLOUD_STACK_OF[stack]);
      assert.deepEqual(config.cloudStack, {
        organization: "acme",
        project: "platform",
        stack: CLOUD_STACK_OF[stack],
        name: `acme/platform/${CLOUD_STACK_OF[stack]}`,
      });
      assert.ok(
        config.edge.site && config.edge.host && config.edge.hostKey,
        "site, host and host key are set (non-optional types)",
      );
      assert.equal(config.edge.port, environmentDefaults[config.environment].edge.port);
      const cloud = loadCloud(sourceFor(CLOUD_STACK_OF[stack]));
      assert.ok(
        cloud.edgeSites.includes(config.edge.site),
        `cloud stack ${cloud.stack} serves site ${config.edge.site}`,
      );
      assert.ok(Object.isFrozen(config.edge), "config is frozen");
    });
  }

  it("the cloud stack names another organization, project and stack when told", () => {
    const config = loadEdge(
      sourceFor("edge-dev", { "platform:cloudStack": { organization: "acme", project: "infra", stack: "dev-eu" } }),
    );
    assert.equal(config.cloudStack.name, "acme/infra/dev-eu");
  });

  it("every key belongs to exactly one kind of stack, or to both", () => {
    const all = [...COMMON_KEYS, ...KIND_KEYS.cloud, ...KIND_KEYS.edge].sort();
    assert.deepEqual(all, Object.keys(platformSchemas).sort());
  });

  it("the two stacks differ in availability and safety the way the requirements table says", () => {
    const dev = loadCloud(sourceFor("dev"));
    const prod = loadCloud(sourceFor("prod"));
    assert.equal(dev.network.natGateways, "instance");
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
        if (key === "environment" || key === "kind") continue;
        const defaults = (environmentDefaults[stack] as Record<string, unknown>)[key];
        // An edge stack names its own Pi: the defaults have everything else.
        const value =
          key === "edge"
            ? { site: "lab", host: "pi.example.com", hostKey: "ssh-ed25519 AAAA", ...(defaults as object) }
            : defaults;
        const parsed = platformSchemas[key as keyof typeof platformSchemas].safeParse(value);
        assert.ok(parsed.success, `${stack} default for ${key}: ${parsed.success ? "" : parsed.error.message}`);
      }
    }
  });

  it("a stack value overrides one knob and keeps the other defaults", () => {
    const config = loadCloud(sourceFor("dev", { "platform:database": { backupRetentionDays: 14 } }));
    assert.equal(config.database.backupRetentionDays, 14);
    assert.equal(config.database.instanceClass, environmentDefaults.dev.database.instanceClass);
  });

  it("a nested knob set alone (pulumi config set --path platform:edge.memoryMb.app) keeps its siblings' defaults", () => {
    const config = loadEdge(
      sourceFor("edge-dev", {
        "platform:edge": { site: "lab", host: "pi", hostKey: "ssh-ed25519 AAAA", memoryMb: { app: 600 } },
      }),
    );
    assert.deepEqual(config.edge.memoryMb, { ...environmentDefaults.dev.edge.memoryMb, app: 600 });
  });

  it("the SSH private key becomes a Pulumi secret", async () => {
    const config = loadEdge(
      sourceFor("edge-dev", {
        "platform:edge": {
          site: "lab",
          host: "pi.example.com",
          hostKey: "ssh-ed25519 AAAAC3Nza",
          sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----",
        },
      }),
    );
    assert.ok(config.edge.sshPrivateKey);
    assert.equal(await pulumi.isSecret(config.edge.sshPrivateKey), true);
  });

  it("a provided TLS private key becomes a Pulumi secret", async () => {
    const config = loadEdge(
      sourceFor("edge-dev", {
        "platform:edge": {
          site: "lab",
          host: "pi",
          hostKey: "ssh-ed25519 AAAA",
          tlsCertificate: "-----BEGIN CERTIFICATE-----",
          tlsPrivateKey: "-----BEGIN PRIVATE KEY-----",
        },
      }),
    );
    assert.ok(config.edge.tlsPrivateKey);
    assert.equal(await pulumi.isSecret(config.edge.tlsPrivateKey), true);
  });
});

describe("bad configuration", () => {
  const cases: { name: string; patch: Record<string, unknown>; expect: RegExp }[] = [
    {
      name: "misspelt top-level key",
      patch: { "platform:databse": { multiAz: true } },
      expect: /^platform:databse: unknown key; did you mean "platform:database"\?/,
    },
    {
      name: "misspelt nested key",
      patch: { "platform:database": { backupRetentionDay: 7 } },
      expect:
        /^platform:database\.backupRetentionDay: unknown key; did you mean "platform:database\.backupRetentionDays"\?/,
    },
    {
      name: "backup retention over 35",
      patch: { "platform:database": { backupRetentionDays: 40 } },
      expect: /^platform:database\.backupRetentionDays: got 40; expected an integer from 0 to 35/,
    },
    {
      name: "gp3 storage under 20 GB",
      patch: { "platform:database": { allocatedStorageGb: 10, maxAllocatedStorageGb: 20 } },
      expect: /^platform:database\.allocatedStorageGb: got 10; expected an integer from 20 /,
    },
    {
      name: "instance class without db.",
      patch: { "platform:database": { instanceClass: "t4g.micro" } },
      expect:
        /^platform:database\.instanceClass: got "t4g\.micro"; expected an RDS instance class with its "db\." prefix/,
    },
    {
      name: "node type without cache.",
      patch: { "platform:cache": { nodeType: "t4g.micro" } },
      expect:
        /^platform:cache\.nodeType: got "t4g\.micro"; expected an ElastiCache node type with its "cache\." prefix/,
    },
    {
      name: "malformed CIDR",
      patch: { "platform:network": { cidr: "10.0.0.0/33" } },
      expect: /^platform:network\.cidr: got "10\.0\.0\.0\/33"; expected an IPv4 network in CIDR notation/,
    },
    {
      name: "CIDR with host bits",
      patch: { "platform:network": { cidr: "10.0.1.0/16" } },
      expect: /^platform:network\.cidr: got "10\.0\.1\.0\/16"/,
    },
    {
      name: "public access CIDR malformed",
      patch: { "platform:cluster": { publicAccessCidrs: ["1.2.3.4"] } },
      expect: /^platform:cluster\.publicAccessCidrs\[0\]: got "1\.2\.3\.4"; expected IPv4 networks in CIDR notation/,
    },
    {
      name: "wrong type",
      patch: { "platform:network": { azCount: "3" } },
      expect: /^platform:network\.azCount: got "3"; expected an integer from 2 to 3/,
    },
    {
      name: "unknown enum value",
      patch: { "platform:network": { natGateways: "one" } },
      expect: /^platform:network\.natGateways: got "one"; expected "single", "perAz" or "instance"/,
    },
    {
      name: "min nodes over max",
      patch: { "platform:cluster": { minNodes: 5, maxNodes: 2, desiredNodes: 2 } },
      expect: /^platform:cluster\.minNodes: got 5; expected at most cluster\.maxNodes \(2\)/,
    },
    {
      name: "desired outside min..max",
      patch: { "platform:cluster": { minNodes: 1, maxNodes: 3, desiredNodes: 4 } },
      expect:
        /^platform:cluster\.desiredNodes: got 4; expected between cluster\.minNodes \(1\) and cluster\.maxNodes \(3\)/,
    },
    {
      name: "non-Graviton instance type",
      patch: { "platform:cluster": { instanceTypes: ["t3.medium"] } },
      expect: /^platform:cluster\.instanceTypes\[0\]: got "t3\.medium"; expected a Graviton \(arm64\) instance type/,
    },
    {
      name: "max storage under allocated",
      patch: { "platform:database": { allocatedStorageGb: 100, maxAllocatedStorageGb: 50 } },
      expect:
        /^platform:database\.maxAllocatedStorageGb: got 50; expected 0 \(no storage autoscaling\) or at least 110 GB, 10% above database\.allocatedStorageGb \(100\)/,
    },
    {
      name: "max storage equal to allocated (RDS rejects it)",
      patch: { "platform:database": { allocatedStorageGb: 100, maxAllocatedStorageGb: 100 } },
      expect:
        /^platform:database\.maxAllocatedStorageGb: got 100; expected 0 \(no storage autoscaling\) or at least 110 GB/,
    },
    {
      name: "DR region equal to the primary",
      patch: { "platform:dr": { enabled: true, region: "us-east-1" } },
      expect: /^platform:dr\.region: got "us-east-1"; expected a region other than aws:region \(us-east-1\)/,
    },
    {
      name: "DR replication without automated backups",
      patch: { "platform:dr": { enabled: true }, "platform:database": { backupRetentionDays: 0 } },
      expect: /^platform:database\.backupRetentionDays: got 0; expected at least 1 while dr\.enabled is true/,
    },
    {
      name: "object lock mode in lower case",
      patch: { "platform:backups": { objectLockMode: "compliance" } },
      expect: /^platform:backups\.objectLockMode: got "compliance"; expected "GOVERNANCE" or "COMPLIANCE"/,
    },
    {
      name: "a zone EKS does not support",
      patch: { "platform:network": { availabilityZoneIds: ["use1-az1", "use1-az3"] } },
      expect: /^platform:network\.availabilityZoneIds\[1\]: got "use1-az3"; expected a zone EKS supports/,
    },
    {
      name: "zone IDs fewer than azCount",
      patch: { "platform:network": { azCount: 2, availabilityZoneIds: ["use1-az1"] } },
      expect:
        /^platform:network\.availabilityZoneIds: got \["use1-az1"\]; expected \[\] or exactly network\.azCount \(2\) zone IDs/,
    },
    {
      name: "weekly tier shorter than the daily retention",
      patch: { "platform:backups": { retentionDays: 30, weeklyRetentionDays: 14 } },
      expect:
        /^platform:backups\.weeklyRetentionDays: got 14; expected 0 \(no such tier\) or more days than backups\.retentionDays \(30\)/,
    },
    {
      name: "Enhanced Monitoring interval RDS does not offer",
      patch: { "platform:database": { monitoringIntervalSeconds: 20 } },
      expect: /^platform:database\.monitoringIntervalSeconds: got 20; expected one of 0, 1, 5, 10, 15, 30, 60/,
    },
    {
      name: "ingress zone not a DNS name",
      patch: { "platform:ingress": { zoneName: "https://example.com/" } },
      expect:
        /^platform:ingress\.zoneName: got "https:\/\/example\.com\/"; expected a DNS name such as "prod\.example\.com"/,
    },
    {
      name: "ingress zone with a trailing dot",
      patch: { "platform:ingress": { zoneName: "example.com." } },
      expect: /^platform:ingress\.zoneName: got "example\.com\."; expected a DNS name/,
    },
    {
      name: "WAF without the ALB (no zone)",
      patch: { "platform:ingress": { waf: true } },
      expect: /^platform:ingress\.waf: got true; expected false while ingress\.zoneName is unset/,
    },
    {
      name: "ingress chart version range",
      patch: { "platform:ingress": { controllerChartVersion: "3.x" } },
      expect:
        /^platform:ingress\.controllerChartVersion: got "3\.x"; expected an exact chart version, e\.g\. "3\.5\.0"/,
    },
    {
      name: "chart version range",
      patch: { "platform:monitoring": { chartVersion: "^79.0.0" } },
      expect: /^platform:monitoring\.chartVersion: got "\^79\.0\.0"; expected an exact chart version/,
    },
    {
      name: "EKS version as a number",
      patch: { "platform:cluster": { version: 1.3 } },
      expect: /^platform:cluster\.version: got 1\.3; expected a Kubernetes minor version as a string/,
    },
    {
      name: "access principal not a role ARN",
      patch: {
        "platform:cluster": { accessPrincipals: [{ name: "me", arn: "arn:aws:iam::123:user/me", level: "admin" }] },
      },
      expect:
        /^platform:cluster\.accessPrincipals\[0\]\.arn: got "arn:aws:iam::123:user\/me"; expected an IAM role ARN/,
    },
    {
      name: "access level unknown",
      patch: {
        "platform:cluster": {
          accessPrincipals: [{ name: "ci", arn: "arn:aws:iam::111122223333:role/ci", level: "edit" }],
        },
      },
      expect:
        /^platform:cluster\.accessPrincipals\[0\]\.level: got "edit"; expected "admin" \(deploy and break-glass roles\) or "view"/,
    },
    {
      name: "the removed adminRoleArns key",
      patch: { "platform:cluster": { adminRoleArns: ["arn:aws:iam::111122223333:role/admin"] } },
      expect:
        /^platform:cluster\.adminRoleArns: got \[.*\]; expected nothing: this key was replaced by cluster\.accessPrincipals/,
    },
    {
      name: "a role listed twice",
      patch: {
        "platform:cluster": {
          accessPrincipals: [
            { name: "a", arn: "arn:aws:iam::111122223333:role/ci", level: "admin" },
            { name: "b", arn: "arn:aws:iam::111122223333:role/ci", level: "view" },
          ],
        },
      },
      expect:
        /^platform:cluster\.accessPrincipals: got \["arn:aws:iam::111122223333:role\/ci"\]; expected each arn once/,
    },
    {
      name: "a protected stack without an admin principal",
      patch: { "platform:protect": true, "platform:cluster": { accessPrincipals: [] } },
      expect:
        /^platform:cluster\.accessPrincipals: got \[\]; expected at least one \{ name, arn, level: "admin" \} besides the role that creates the cluster, in a protected stack/,
    },
    {
      name: "a protected stack whose only admin is the cluster's creator",
      patch: {
        "platform:protect": true,
        "platform:cluster": {
          accessPrincipals: [
            { name: "deploy", arn: "arn:aws:iam::111122223333:role/deploy", level: "admin", createsCluster: true },
          ],
        },
      },
      expect:
        /^platform:cluster\.accessPrincipals: got \[.*\]; expected at least one \{ name, arn, level: "admin" \} besides the role that creates the cluster/,
    },
    {
      name: "two principals that create the cluster",
      patch: {
        "platform:cluster": {
          accessPrincipals: [
            { name: "a", arn: "arn:aws:iam::111122223333:role/a", level: "admin", createsCluster: true },
            { name: "b", arn: "arn:aws:iam::111122223333:role/b", level: "view", createsCluster: true },
          ],
        },
      },
      expect:
        /^platform:cluster\.accessPrincipals: got \["a","b"\]; expected createsCluster on one principal at most, of level "admin"/,
    },
    {
      name: "CI through a public endpoint that does not exist",
      patch: { "platform:cluster": { publicAccessCidrs: [] }, "platform:edgeSites": [] },
      expect:
        /^platform:cluster\.ciApiAccess: got "publicEndpoint"; expected "inVpcRunner" while cluster\.publicAccessCidrs is empty/,
    },
    {
      name: "cold transition after expiry",
      patch: { "platform:backups": { retentionDays: 7, coldAfterDays: 7 } },
      expect: /^platform:backups\.coldAfterDays: got 7; expected fewer days than backups\.retentionDays \(7\)/,
    },
    {
      name: "reserved tag prefix",
      patch: { "platform:tags": { "aws:owner": "me" } },
      expect: /^platform:tags: got \{"aws:owner":"me"\}; expected tag names/,
    },
    {
      name: "Pi sites with a private-only cluster endpoint",
      patch: { "platform:cluster": { publicAccessCidrs: [], ciApiAccess: "inVpcRunner" } },
      expect: /^platform:edgeSites: got \["lab"\]; expected no sites while cluster\.publicAccessCidrs is empty/,
    },
    {
      name: "a site name that is not a DNS label",
      patch: { "platform:edgeSites": ["Lab_1"] },
      expect: /^platform:edgeSites\[0\]: got "Lab_1"; expected a DNS label/,
    },
    {
      name: "duplicate sites",
      patch: { "platform:edgeSites": ["lab", "lab"] },
      expect: /^platform:edgeSites: got \["lab","lab"\]; expected site names without duplicates/,
    },
    {
      name: "sites without the edge-app repository",
      patch: { "platform:registry": { repositories: ["backend", "frontend"] } },
      expect:
        /^platform:registry\.repositories: got \["backend","frontend"\]; expected a list including "edge-app" while platform:edgeSites lists sites/,
    },
    {
      name: "edge keys in a cloud stack",
      patch: { "platform:edge": PI },
      expect:
        /^platform:edge: not a key of a cloud stack \(platform:kind is "cloud"\); it belongs in an edge stack's file/,
    },
    {
      name: "missing kind",
      patch: { "platform:kind": undefined },
      expect: /^platform:kind: got nothing; expected "cloud" \(AWS\) or "edge"/,
    },
    {
      name: "negative usage assumption",
      patch: { "platform:cost": { natProcessedGbPerMonth: -5 } },
      expect: /^platform:cost\.natProcessedGbPerMonth: got -5; expected GB per month, 0 or more/,
    },
    {
      name: "missing environment",
      patch: { "platform:environment": undefined },
      expect: /^platform:environment: got nothing; expected "dev" or "prod"/,
    },
    {
      name: "missing region",
      patch: { "aws:region": undefined },
      expect: /^aws:region: got nothing; expected an AWS region/,
    },
    {
      name: "a region the estimate cannot price",
      patch: { "aws:region": "eu-west-1" },
      expect: /^aws:region: got "eu-west-1"; expected a region the cost estimate prices \(us-east-1\)/,
    },
    {
      name: "a node type the estimate cannot price",
      patch: { "platform:cluster": { instanceTypes: ["t4g.2xlarge"], publicAccessCidrs: ["203.0.113.0/24"] } },
      expect:
        /^platform:cluster\.instanceTypes: got "t4g\.2xlarge"; expected one the cost estimate prices in us-east-1 \(.*t4g\.medium.*\); price it first with npm run prices:update -- --region REGION or --add ec2\|rdsPostgres\|elasticache:NAME \(docs\/cost\.md\)/,
    },
    {
      name: "a database class the estimate cannot price",
      patch: { "platform:database": { instanceClass: "db.r7g.large" } },
      expect: /^platform:database\.instanceClass: got "db\.r7g\.large"; expected one the cost estimate prices/,
    },
    {
      name: "a cache node type the estimate cannot price",
      patch: { "platform:cache": { nodeType: "cache.r7g.large" } },
      expect: /^platform:cache\.nodeType: got "cache\.r7g\.large"; expected one the cost estimate prices/,
    },
  ];
  const edgeCases: typeof cases = [
    {
      name: "port outside 1-65535",
      patch: { "platform:edge": { ...PI, port: 70000 } },
      expect: /^platform:edge\.port: got 70000; expected an integer from 1 to 65535/,
    },
    {
      name: "an edge stack without a host",
      patch: { "platform:edge": { site: "lab", hostKey: "ssh-ed25519 AAAAC3Nza" } },
      expect: /^platform:edge\.host: got nothing; expected a DNS name or IPv4 address/,
    },
    {
      name: "an edge stack without a host key",
      patch: { "platform:edge": { site: "lab", host: "pi" } },
      expect: /^platform:edge\.hostKey: got nothing; expected the Pi's SSH host key line.*ssh-keyscan/,
    },
    {
      name: "an edge stack without a site",
      patch: { "platform:edge": { host: "pi", hostKey: "ssh-ed25519 AAAA" } },
      expect: /^platform:edge\.site: got nothing; expected a DNS label/,
    },
    {
      name: "a site that is not a DNS label",
      patch: { "platform:edge": { ...PI, site: "-lab" } },
      expect: /^platform:edge\.site: got "-lab"; expected a DNS label/,
    },
    {
      name: "image not pinned by digest",
      patch: { "platform:edge": { ...PI, appImage: "edge-app:latest" } },
      expect: /^platform:edge\.appImage: got "edge-app:latest"; expected an image reference pinned by digest/,
    },
    {
      name: "edge containers leaving the Pi's OS under 1 GB",
      patch: {
        "platform:edge": {
          ...PI,
          memoryMb: { app: 2048, redis: 512, nginx: 128, nodeExporter: 64, metricsAgent: 512 },
        },
      },
      expect:
        /^platform:edge\.memoryMb: got \{.*\}; expected container limits summing to at most 3072 MB \(they sum to 3456 MB/,
    },
    {
      name: "a TLS certificate without its key",
      patch: { "platform:edge": { ...PI, tlsCertificate: "-----BEGIN CERTIFICATE-----" } },
      expect:
        /^platform:edge\.tlsPrivateKey: got nothing; expected edge\.tlsCertificate and edge\.tlsPrivateKey set together/,
    },
    {
      name: "SSH admitted from no network",
      patch: { "platform:edge": { ...PI, sshAllowFrom: [] } },
      expect:
        /^platform:edge\.sshAllowFrom: got \[\]; expected at least one network: an empty list would lock every deploy out/,
    },
    {
      name: "an SSH network that is not a CIDR",
      patch: { "platform:edge": { ...PI, sshAllowFrom: ["192.168.1.7"] } },
      expect: /^platform:edge\.sshAllowFrom\[0\]: got "192\.168\.1\.7"; expected IPv4 networks in CIDR notation/,
    },
    {
      name: "a trusted proxy that is not a CIDR",
      patch: { "platform:edge": { ...PI, trustedProxies: ["proxy.lan"] } },
      expect:
        /^platform:edge\.trustedProxies\[0\]: got "proxy\.lan"; expected IPv4 addresses or networks in CIDR notation/,
    },
    {
      name: "a relative internal path",
      patch: { "platform:edge": { ...PI, internalPaths: ["metrics"] } },
      expect: /^platform:edge\.internalPaths\[0\]: got "metrics"; expected an absolute path/,
    },
    {
      name: "a CSP that would break out of the header",
      patch: { "platform:edge": { ...PI, contentSecurityPolicy: 'default-src "self"' } },
      expect:
        /^platform:edge\.contentSecurityPolicy: got .*; expected a Content-Security-Policy header value without quotes/,
    },
    {
      name: "an unpinned app image where edge.requirePinnedAppImage is set",
      patch: { "platform:edge": { ...PI, requirePinnedAppImage: true } },
      expect:
        /^platform:edge\.appImage: got nothing; expected an image pinned by digest .* while edge\.requirePinnedAppImage is true/,
    },
    {
      name: "cloud keys in an edge stack",
      patch: { "platform:database": { multiAz: true } },
      expect:
        /^platform:database: not a key of a edge stack \(platform:kind is "edge"\); it belongs in the cloud stack's file/,
    },
    {
      name: "a region in an edge stack",
      patch: { "aws:region": "us-east-1" },
      expect: /^aws:region: got "us-east-1"; expected nothing: an edge stack uses its cloud stack's region/,
    },
    {
      name: "a cloud stack name that is not a Pulumi name",
      patch: { "platform:cloudStack": { stack: "dev prod" } },
      expect: /^platform:cloudStack\.stack: got "dev prod"; expected a Pulumi name/,
    },
  ];
  it("prod requires the app image pinned by digest (edge.requirePinnedAppImage defaults to true there, false in dev)", () => {
    assert.equal(environmentDefaults.prod.edge.requirePinnedAppImage, true);
    assert.equal(environmentDefaults.dev.edge.requirePinnedAppImage, false);
    const problems = problemsFor({ "platform:edge": { ...PI, site: "shop" } }, "edge-prod");
    assert.ok(
      problems.some((p) => /^platform:edge\.appImage: got nothing; expected an image pinned by digest/.test(p)),
      problems.join("\n"),
    );
    assert.doesNotThrow(() =>
      loadConfig(
        sourceFor("edge-prod", {
          "platform:edge": { ...PI, site: "shop", appImage: `edge-app@sha256:${"b".repeat(64)}` },
        }),
      ),
    );
  });
  for (const c of edgeCases) {
    it(`rejects, in an edge stack, ${c.name}`, () => {
      const problems = problemsFor(c.patch, "edge-dev");
      assert.ok(
        problems.some((p) => c.expect.test(p)),
        `no problem matched ${c.expect}:\n${problems.join("\n")}`,
      );
    });
  }
  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      const problems = problemsFor(c.patch);
      assert.ok(
        problems.some((p) => c.expect.test(p)),
        `no problem matched ${c.expect}:\n${problems.join("\n")}`,
      );
    });
  }

  it("reports every problem at once", () => {
    const problems = problemsFor({
      "platform:databse": {},
      "platform:database": { backupRetentionDays: 99 },
      "platform:edgeSites": ["lab", "Lab"],
      "platform:edge": { port: 0 },
    });
    assert.equal(problems.length, 4, problems.join("\n"));
    const edgeProblems = problemsFor({ "platform:edge": { site: "Lab", port: 0 }, "platform:network": {} }, "edge-dev");
    // site, host, hostKey, port, and the cloud key
    assert.equal(edgeProblems.length, 5, edgeProblems.join("\n"));
  });

  it("never echoes the TLS private key in a problem", () => {
    const problems = problemsFor({ "platform:edge": { ...PI, tlsPrivateKey: 7 } }, "edge-dev");
    assert.ok(
      problems.some((p) => p.startsWith("platform:edge.tlsPrivateKey: got [secret]")),
      problems.join("\n"),
    );
  });

  it("never echoes the SSH private key in a problem", () => {
    const problems = problemsFor({ "platform:edge": { ...PI, sshPrivateKey: 42 } }, "edge-dev");
    assert.ok(
      problems.some((p) => p.startsWith("platform:edge.sshPrivateKey: got [secret]")),
      problems.join("\n"),
    );
    assert.ok(!problems.join("\n").includes("42"));
  });
});
