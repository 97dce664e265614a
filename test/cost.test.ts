import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compareCost,
  costFromPlanJson,
  estimateCost,
  PRICES,
  renderCost,
  renderCostDiff,
  type CostResource,
  type CostUsage,
} from "../cost";
import type { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import { budgetPolicy, type BudgetConfig } from "../policies/rules/budget";
import { entry, item } from "./helpers/assert";
import { loadCloud } from "./helpers/config";
import { readStackConfig } from "../tools/plan/stack-config";
import { PROJECT_DIR, planFor, STACKS } from "./helpers/program";

const REGION = "us-east-1";
const USAGE: CostUsage = {
  natProcessedGbPerMonth: 100,
  backupStoredGb: 40,
  registryStoredGb: 10,
  logsIngestedGbPerMonth: 8,
};

/** One of everything the stacks create that bills, plus a few free resources. */
const FIXTURE: CostResource[] = [
  { type: "eks:index:Cluster", name: "eks", inputs: { version: "1.35", upgradePolicy: { supportType: "STANDARD" } } },
  {
    type: "aws:eks/nodeGroup:NodeGroup",
    name: "nodes",
    inputs: {
      instanceTypes: ["m7g.large"],
      capacityType: "ON_DEMAND",
      scalingConfig: { desiredSize: 2, minSize: 1, maxSize: 4 },
      diskSize: 50,
    },
  },
  {
    type: "awsx:ec2:Vpc",
    name: "vpc",
    inputs: { natGateways: { strategy: "OnePerAz" }, numberOfAvailabilityZones: 2 },
  },
  {
    type: "aws:rds/instance:Instance",
    name: "db",
    inputs: {
      engine: "postgres",
      instanceClass: "db.t4g.micro",
      multiAz: false,
      allocatedStorage: 20,
      storageType: "gp3",
      manageMasterUserPassword: true,
      performanceInsightsEnabled: true,
      performanceInsightsRetentionPeriod: 7,
    },
  },
  {
    type: "aws:elasticache/replicationGroup:ReplicationGroup",
    name: "redis",
    inputs: { nodeType: "cache.t4g.small", numCacheClusters: 2 },
  },
  { type: "aws:s3/bucket:Bucket", name: "bucket", inputs: {} },
  { type: "aws:ecr/repository:Repository", name: "backend", inputs: {} },
  { type: "aws:ecr/repository:Repository", name: "frontend", inputs: {} },
  { type: "aws:cloudwatch/logGroup:LogGroup", name: "logs", inputs: { retentionInDays: 30 } },
  { type: "aws:kms/key:Key", name: "key", inputs: {} },
  { type: "aws:ec2/vpcEndpoint:VpcEndpoint", name: "s3", inputs: { vpcEndpointType: "Gateway" } },
  {
    type: "kubernetes:storage.k8s.io/v1:StorageClass",
    name: "gp3",
    inputs: {
      metadata: { name: "gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3" },
    },
  },
  {
    type: "kubernetes:helm.sh/v3:Release",
    name: "monitoring",
    inputs: {
      values: {
        prometheus: {
          prometheusSpec: {
            retention: "7d",
            storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: "20Gi" } } } } },
          },
        },
        grafana: { adminPassword: "[secret]", persistence: { enabled: true, size: "10Gi" } },
      },
    },
  },
  {
    type: "kubernetes:core/v1:Service",
    name: "remote-write",
    inputs: {
      metadata: { annotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" } },
      spec: { type: "LoadBalancer" },
    },
  },
  { type: "kubernetes:core/v1:Service", name: "grafana", inputs: { spec: { type: "ClusterIP" } } },
  { type: "random:index/randomPassword:RandomPassword", name: "password", inputs: {} },
  { type: "platform:network:Network", name: "network", inputs: {} },
];

const close = (actual: number, expected: number, message?: string) =>
  assert.ok(Math.abs(actual - expected) < 0.005, `${message ?? "amount"}: ${actual} ≠ ${expected}`);
const lineOf = (resources: CostResource[], itemPattern: RegExp, usage = USAGE) =>
  estimateCost(resources, { region: REGION, usage }).lines.find((l) => itemPattern.test(l.item));

describe("cost estimate", () => {
  it("prices the fixture to the hand-computed total", () => {
    const estimate = estimateCost(FIXTURE, { region: REGION, usage: USAGE });
    const expected =
      730 * 0.1 + // EKS control plane, standard support
      2 * 730 * 0.0816 + // 2 m7g.large on-demand
      2 * 50 * 0.08 + // their 50 GB gp3 root volumes
      2 * 730 * 0.045 + // OnePerAz over 2 AZs: 2 NAT gateways
      100 * 0.045 + // 100 GB through them
      2 * 730 * 0.005 + // their 2 public IPv4 addresses
      730 * 0.016 + // db.t4g.micro single-AZ
      20 * 0.115 + // 20 GB gp3, single-AZ rate
      0.4 + // the managed master password secret
      0 + // Performance Insights, 7 days
      2 * 730 * 0.032 + // cache.t4g.small primary + replica
      40 * 0.023 + // 40 GB of backups in S3 Standard
      10 * 0.1 + // 10 GB of images over 2 repositories
      8 * 0.5 + // 8 GB of logs ingested
      8 * 0.03 + // kept 30 days: 8 GB stored
      1 + // one KMS key
      (20 + 10) * 0.08 + // Prometheus 20Gi + Grafana 10Gi gp3 volumes
      730 * 0.0225 + // the remote-write NLB
      2 * 730 * 0.005; // its public IPv4 address in each of the 2 AZs
    close(expected, 372.021, "the arithmetic above");
    close(estimate.monthly, 372.02, "estimate");
    assert.deepEqual(estimate.unpriced, []);
    assert.equal(estimate.currency, "USD");
    close(
      estimate.lines.reduce((s, l) => s + l.monthly, 0),
      estimate.monthly,
      "sum of lines",
    );
    for (const l of estimate.lines) close(l.monthly, l.quantity * l.unitPrice, l.item);
  });

  it("lines name the resource as type::name", () => {
    const estimate = estimateCost(FIXTURE, { region: REGION, usage: USAGE });
    assert.ok(
      estimate.lines.some(
        (l) => l.resource === "aws:rds/instance:Instance::db" && /db\.t4g\.micro single-AZ/.test(l.item),
      ),
    );
  });

  it("Spot nodes cost the on-demand price less the table's assumed discount", () => {
    const spot: CostResource = {
      type: "aws:eks/nodeGroup:NodeGroup",
      name: "n",
      inputs: { instanceTypes: ["t4g.medium"], capacityType: "SPOT", scalingConfig: { desiredSize: 2 } },
    };
    const l = lineOf([spot], /^EC2/);
    assert.ok(l);
    assert.equal(entry(PRICES, REGION, "PRICES").spotDiscount.fraction, 0.6);
    close(l.unitPrice, 0.0336 * (1 - 0.6), "Spot hourly");
    close(l.monthly, 2 * 730 * 0.0336 * 0.4, "Spot monthly");
    const root = lineOf([spot], /root volumes/);
    close(root?.monthly ?? NaN, 2 * 20 * 0.08, "EKS default 20 GB root volumes");
  });

  it("Multi-AZ doubles the RDS instance and takes the Multi-AZ storage rate", () => {
    const db = (multiAz: boolean): CostResource => ({
      type: "aws:rds/instance:Instance",
      name: "db",
      inputs: {
        engine: "postgres",
        instanceClass: "db.t4g.medium",
        multiAz,
        allocatedStorage: 100,
        storageType: "gp3",
      },
    });
    close(lineOf([db(false)], /^RDS PostgreSQL/)?.monthly ?? NaN, 730 * 0.065);
    close(lineOf([db(true)], /^RDS PostgreSQL/)?.monthly ?? NaN, 730 * 0.065 * 2);
    close(lineOf([db(false)], /^RDS gp3/)?.monthly ?? NaN, 100 * 0.115);
    close(lineOf([db(true)], /^RDS gp3/)?.monthly ?? NaN, 100 * 0.23);
  });

  it("a Valkey cache is priced at the Valkey node-hour, a Redis one at the Redis OSS node-hour", () => {
    const cache = (engine: string): CostResource => ({
      type: "aws:elasticache/replicationGroup:ReplicationGroup",
      name: "cache",
      inputs: { engine, nodeType: "cache.t4g.small", numCacheClusters: 2 },
    });
    const p = PRICES[REGION];
    assert.ok(p);
    const valkey = p.elasticacheValkey["cache.t4g.small"];
    const redis = p.elasticache["cache.t4g.small"];
    assert.ok(valkey && redis && valkey.usd < redis.usd);
    close(lineOf([cache("valkey")], /^ElastiCache/)?.monthly ?? NaN, 2 * 730 * valkey.usd, "valkey");
    close(lineOf([cache("redis")], /^ElastiCache/)?.monthly ?? NaN, 2 * 730 * redis.usd, "redis");
  });

  it("a cluster without upgrade policy STANDARD is priced at extended support", () => {
    const l = lineOf([{ type: "eks:index:Cluster", name: "eks", inputs: { version: "1.35" } }], /^EKS/);
    close(l?.monthly ?? NaN, 730 * 0.6);
  });

  it("a single NAT gateway is one gateway and one address whatever the AZ count", () => {
    const vpc: CostResource = {
      type: "awsx:ec2:Vpc",
      name: "vpc",
      inputs: { natGateways: { strategy: "Single" }, numberOfAvailabilityZones: 3 },
    };
    const estimate = estimateCost([vpc], { region: REGION, usage: USAGE });
    close(estimate.monthly, 730 * 0.045 + 100 * 0.045 + 730 * 0.005);
  });

  it("in a real preview the awsx and eks components give way to their billed children", () => {
    const resources: CostResource[] = [
      { type: "awsx:ec2:Vpc", name: "vpc", inputs: {} },
      { type: "aws:ec2/vpc:Vpc", name: "vpc", inputs: {} },
      { type: "aws:ec2/natGateway:NatGateway", name: "nat-1", inputs: {} },
      { type: "aws:ec2/eip:Eip", name: "eip-1", inputs: {} },
      { type: "eks:index:Cluster", name: "eks", inputs: {} },
      {
        type: "aws:eks/cluster:Cluster",
        name: "eks-eksCluster",
        inputs: { version: "1.35", upgradePolicy: { supportType: "STANDARD" } },
      },
    ];
    const estimate = estimateCost(resources, { region: REGION, usage: USAGE });
    close(estimate.monthly, 730 * 0.045 + 100 * 0.045 + 730 * 0.005 + 730 * 0.1);
    assert.deepEqual(estimate.unpriced, []);
  });

  it("an unknown region is an error naming the priced regions", () => {
    assert.throws(
      () => estimateCost(FIXTURE, { region: "eu-west-1", usage: USAGE }),
      /no prices for region "eu-west-1"; priced regions: us-east-1/,
    );
  });

  it("a negative usage assumption is an error", () => {
    assert.throws(
      () => estimateCost([], { region: REGION, usage: { ...USAGE, backupStoredGb: -1 } }),
      /backupStoredGb must be a number of GB, 0 or more/,
    );
  });

  it("a type the table does not know is listed as unpriced, not counted as zero", () => {
    const table: CostResource = { type: "aws:dynamodb/table:Table", name: "sessions", inputs: {} };
    const estimate = estimateCost([...FIXTURE, table], { region: REGION, usage: USAGE });
    close(estimate.monthly, 372.02);
    assert.deepEqual(
      estimate.unpriced.map((u) => [u.resource, u.type]),
      [["aws:dynamodb/table:Table::sessions", "aws:dynamodb/table:Table"]],
    );
    assert.match(
      renderCost(estimate),
      /not priced \(1\): the total is only a lower bound, and the budget policy fails until they are priced\n {4}sessions \(Table\): no price for this type/,
    );
  });

  it("a known type with an unknown size (instance type, storage class) is unpriced with the reason", () => {
    const nodes: CostResource = {
      type: "aws:eks/nodeGroup:NodeGroup",
      name: "n",
      inputs: { instanceTypes: ["m8g.large"], scalingConfig: { desiredSize: 2 } },
    };
    const claim: CostResource = {
      type: "kubernetes:core/v1:PersistentVolumeClaim",
      name: "c",
      inputs: { spec: { storageClassName: "io2", resources: { requests: { storage: "10Gi" } } } },
    };
    const classic: CostResource = {
      type: "kubernetes:core/v1:Service",
      name: "s",
      inputs: { spec: { type: "LoadBalancer" } },
    };
    const estimate = estimateCost([nodes, claim, classic], { region: REGION, usage: USAGE });
    assert.equal(estimate.monthly, 0);
    assert.deepEqual(
      estimate.unpriced.map((u) => u.resource),
      [
        "aws:eks/nodeGroup:NodeGroup::n",
        "kubernetes:core/v1:PersistentVolumeClaim::c",
        "kubernetes:core/v1:Service::s",
      ],
    );
    assert.match(item(estimate.unpriced, 0, "unpriced").reason, /no EC2 price for m8g\.large/);
    assert.match(item(estimate.unpriced, 2, "unpriced").reason, /Classic Load Balancer/);
  });

  it("an EC2 instance is priced in full with a declared gp3 root volume, and its root volume is unpriced without one", () => {
    const sized: CostResource = {
      type: "aws:ec2/instance:Instance",
      name: "nat",
      inputs: { instanceType: "t4g.nano", rootBlockDevice: { volumeType: "gp3", volumeSize: 8 } },
    };
    const unsized: CostResource = {
      type: "aws:ec2/instance:Instance",
      name: "bare",
      inputs: { instanceType: "t4g.nano" },
    };
    const p = entry(PRICES, REGION, "PRICES");
    const nano = entry(p.ec2, "t4g.nano", "EC2 prices");
    const full = estimateCost([sized], { region: REGION, usage: USAGE });
    assert.deepEqual(full.unpriced, []);
    close(full.monthly, 730 * nano.usd + 8 * p.ebsGp3GbMonth.usd, "instance hours and its 8 GB gp3 root");
    const partial = estimateCost([unsized], { region: REGION, usage: USAGE });
    close(partial.monthly, 730 * nano.usd, "instance hours only");
    assert.match(item(partial.unpriced, 0, "unpriced").reason, /root volume not priced/);
  });

  it("every price in the table carries a source and the date it was taken", () => {
    const walk = (node: unknown, path: string): void => {
      if (node && typeof node === "object" && ("usd" in node || "fraction" in node)) {
        const p = node as { source?: unknown; date?: unknown; unit?: unknown };
        assert.match(String(p.source), /https:\/\//, `${path} source`);
        assert.match(String(p.date), /^\d{4}-\d{2}-\d{2}$/, `${path} date`);
        assert.equal(typeof p.unit, "string", `${path} unit`);
      } else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) walk(v, `${path}.${k}`);
    };
    walk(PRICES, "PRICES");
  });
});

function stackCost(stack: string) {
  const source = readStackConfig(PROJECT_DIR, stack);
  const config = loadCloud({ values: source.values, project: source.project, stack: source.stack });
  const plan = planFor(stack);
  return { config, plan, estimate: estimateCost(plan.resources, { region: config.region, usage: config.cost }) };
}

describe("cost of the stacks", () => {
  for (const stack of STACKS) {
    it(`${stack}: every resource the stack creates is priced or known to be free`, () => {
      const { estimate } = stackCost(stack);
      assert.deepEqual(estimate.unpriced, [], `unpriced resources in ${stack}`);
    });

    it(`${stack}: the estimate is within platform:cost.monthlyBudgetUsd`, () => {
      const { estimate, config } = stackCost(stack);
      assert.ok(estimate.monthly > 0);
      assert.ok(
        estimate.monthly <= config.cost.monthlyBudgetUsd,
        `${estimate.monthly} > ${config.cost.monthlyBudgetUsd}`,
      );
    });

    it(`${stack}: comparing the estimate with itself shows no difference`, () => {
      const { estimate } = stackCost(stack);
      const diff = compareCost(estimate, estimate);
      assert.equal(diff.difference, 0);
      assert.deepEqual(diff.lines, []);
      assert.match(renderCostDiff(diff), /\(\+\$0\.00\)\n {2}no line changed/);
    });
  }

  it("dev: at most $150 a month, everything priced, NAT by an instance (EC2 hours, root volume, Elastic IP) and no NAT gateway", () => {
    const { estimate, config } = stackCost("dev");
    assert.equal(config.network.natGateways, "instance");
    assert.deepEqual(estimate.unpriced, []);
    assert.ok(estimate.monthly <= 150, `dev estimate $${estimate.monthly} > $150`);
    const natLines = estimate.lines.filter((l) => l.resource.endsWith("-nat") || l.resource.endsWith("-nat-eip"));
    assert.deepEqual(natLines.map((l) => l.item).sort(), [
      "EBS gp3 root volume",
      "EC2 t4g.nano on-demand",
      "public IPv4 address (Elastic IP)",
    ]);
    assert.ok(!estimate.lines.some((l) => /NAT gateway/.test(l.item)), "no NAT gateway hours or processing");
  });

  it("prod keeps the availability features in its bill: Multi-AZ database, a cache replica, a NAT gateway per AZ", () => {
    const { estimate } = stackCost("prod");
    const items = estimate.lines.map((l) => l.item);
    assert.ok(
      items.some((i) => /^RDS PostgreSQL .* Multi-AZ$/.test(i)),
      "Multi-AZ RDS",
    );
    assert.ok(
      estimate.lines.some((l) => /^ElastiCache /.test(l.item) && l.quantity === 2 * 730),
      "primary + replica",
    );
    assert.ok(
      estimate.lines.some((l) => l.item === "NAT gateways (OnePerAz)" && l.quantity === 3 * 730),
      "a NAT gateway per AZ",
    );
  });
});

describe("cost comparison", () => {
  const before = estimateCost(FIXTURE, { region: REGION, usage: USAGE });

  it("shows each changed, added and removed line and the total difference", () => {
    const bigger = FIXTURE.map((r) =>
      r.name === "nodes" ? { ...r, inputs: { ...r.inputs, scalingConfig: { desiredSize: 3 } } } : r,
    ).filter((r) => r.name !== "key");
    const after = estimateCost([...bigger, { type: "aws:kms/key:Key", name: "key-2", inputs: {} }], {
      region: REGION,
      usage: USAGE,
    });
    const diff = compareCost(before, after);
    close(diff.difference, 730 * 0.0816 + 50 * 0.08, "one more node with its root volume");
    assert.deepEqual(
      diff.lines.map((l) => [l.change, l.resource, l.difference]),
      [
        ["changed", "aws:eks/nodeGroup:NodeGroup::nodes", 59.57],
        ["changed", "aws:eks/nodeGroup:NodeGroup::nodes", 4],
        ["added", "aws:kms/key:Key::key-2", 1],
        ["removed", "aws:kms/key:Key::key", -1],
      ],
    );
    const text = renderCostDiff(diff);
    assert.match(text, /^Cost difference \(USD per month\): \$372\.02 → \$435\.59 \(\+\$63\.57\)/);
    assert.match(text, /~ +nodes \(NodeGroup\) +EC2 m7g\.large on-demand +\$119\.14 +\$178\.70 +\+\$59\.57/);
  });

  it("reads the cost section of an earlier plan's JSON and refuses one without it", () => {
    const json = JSON.parse(JSON.stringify({ stack: "dev", resources: [], cost: before }));
    assert.deepEqual(compareCost(costFromPlanJson(json, "base.json"), before).lines, []);
    assert.throws(
      () => costFromPlanJson({ stack: "dev", resources: [] }, "base.json"),
      /base\.json has no "cost" section/,
    );
    assert.throws(() => costFromPlanJson({ cost: { monthly: "1", lines: [] } }, "base.json"), /numeric "monthly"/);
  });
});

describe("cost table", () => {
  it("shows resource, item, quantity, unit price and monthly, largest first, with the total and budget", () => {
    const text = renderCost(estimateCost(FIXTURE, { region: REGION, usage: USAGE }), 350);
    const rows = text.split("\n");
    assert.match(item(rows, 1, "rows"), /resource +item +quantity +unit price +monthly/);
    assert.match(
      item(rows, 2, "rows"),
      /nodes \(NodeGroup\) +EC2 m7g\.large on-demand +1460 instance-hour +\$0\.0816 +\$119\.14/,
    );
    assert.match(text, /\n {2}total +\$372\.02\n {2}budget \$350\.00: OVER by \$22\.02$/);
  });
});

/** Resources as the policy engine hands them to a stack policy (props are the resource's properties). */
function policyResources(resources: readonly CostResource[]): PolicyResource[] {
  return resources.map((r) => ({
    type: r.type,
    name: r.name,
    props: r.inputs,
    urn: `urn:pulumi:test::platform::${r.type}::${r.name}`,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
}

function runPolicy(policy: typeof budgetPolicy, resources: readonly CostResource[], config: BudgetConfig): string[] {
  const violations: string[] = [];
  const args: StackValidationArgs = {
    resources: policyResources(resources),
    stackTags: new Map(),
    getConfig: <T extends object>() => config as unknown as T,
    notApplicable: (reason?: string) => {
      throw new Error(`not applicable: ${reason}`);
    },
  };
  void policy.validateStack(args, (message) => violations.push(message));
  return violations;
}

describe("budget policy", () => {
  const config = (monthlyBudgetUsd: number): BudgetConfig => ({ monthlyBudgetUsd, region: REGION, ...USAGE });

  it("is mandatory and named monthly-cost-budget", () => {
    assert.equal(budgetPolicy.name, "monthly-cost-budget");
    assert.equal(budgetPolicy.enforcementLevel, "mandatory");
    assert.deepEqual(budgetPolicy.configSchema?.required, [
      "monthlyBudgetUsd",
      "region",
      "natProcessedGbPerMonth",
      "backupStoredGb",
      "registryStoredGb",
      "logsIngestedGbPerMonth",
    ]);
  });

  it("reports a violation when the estimate exceeds the budget", () => {
    const violations = runPolicy(budgetPolicy, FIXTURE, config(300));
    assert.equal(violations.length, 1);
    assert.match(
      item(violations, 0, "violations"),
      /^estimated \$372\.02\/month exceeds the budget of \$300\.00 by \$72\.02\. Largest lines: EC2 m7g\.large on-demand \$119\.14; EKS control plane/,
    );
  });

  it("leaves an input unknown at preview to the engine (its UnknownValueError) instead of reporting a violation", async () => {
    const { UnknownValueError } = await import("@pulumi/policy");
    const unknownProps = new Proxy(
      {},
      {
        get: (_t, field) => {
          throw new UnknownValueError("04da6b54-80e4-46f7-96ec-b56ff0331ba9", [String(field)]);
        },
      },
    );
    const resources = [{ type: "aws:rds/instance:Instance", name: "db", inputs: unknownProps }];
    assert.throws(
      () => runPolicy(budgetPolicy, resources, config(400)),
      (error: Error) => error.constructor.name === "UnknownValueError",
    );
  });

  it("passes when the estimate is within the budget", () => {
    assert.deepEqual(runPolicy(budgetPolicy, FIXTURE, config(400)), []);
  });

  it("reports a region without prices instead of passing", () => {
    const violations = runPolicy(budgetPolicy, FIXTURE, { ...config(400), region: "eu-west-1" });
    assert.equal(violations.length, 1);
    assert.match(
      item(violations, 0, "violations"),
      /cannot estimate the monthly cost: no prices for region "eu-west-1"/,
    );
  });

  it("fails, naming them, when resources are unpriced, even far under the budget: an unpriced resource never counts as zero", () => {
    const withTable = [...FIXTURE, { type: "aws:dynamodb/table:Table", name: "sessions", inputs: {} }];
    const violations = runPolicy(budgetPolicy, withTable, config(100_000));
    assert.equal(violations.length, 1);
    assert.match(
      item(violations, 0, "violations"),
      /only a lower bound: 1 resources have no price \(aws:dynamodb\/table:Table::sessions: no price for this type/,
    );
  });

  for (const stack of STACKS)
    it(`${stack}: the stack's own resources and platform:cost pass`, () => {
      const { config: c, plan } = stackCost(stack);
      const violations = runPolicy(budgetPolicy, plan.resources, { ...c.cost, region: c.region });
      assert.deepEqual(violations, []);
      assert.deepEqual(
        runPolicy(budgetPolicy, plan.resources, { ...c.cost, region: c.region, monthlyBudgetUsd: 1 }).length,
        1,
        "and fail under a $1 budget",
      );
    });
});
