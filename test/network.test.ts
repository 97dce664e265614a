import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chooseZones, EKS_UNSUPPORTED_ZONE_IDS } from "../components/availability-zones";
import { AL2023_ARM64_AMI_PARAMETER, natInstanceUserData, natRuleset, natSysctl } from "../components/nat-instance";
import { environmentDefaults } from "../config/defaults";
import { subnetCidr, tierCidrs } from "../components/subnet-layout";
import { item } from "./helpers/assert";
import { ofType, one, planFor, PROJECT_DIR, runPlanCli, stackDirWith, STACKS } from "./helpers/program";
import { requireTool } from "./helpers/tools";
import { loadCloud, sourceFor } from "./helpers/config";
import { emitArtifacts } from "../tools/plan/emit";

const VPC = "awsx:ec2:Vpc";

function toRange(cidr: string): [number, number] {
  const [address, prefix] = cidr.split("/");
  assert.ok(address !== undefined && prefix !== undefined, `${cidr} is a CIDR`);
  const start = address.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  return [start, start + 2 ** (32 - Number(prefix)) - 1];
}

describe("network", () => {
  const expected = {
    dev: { azs: 2, nat: "None", cidr: "10.0.0.0/16" },
    prod: { azs: 3, nat: "OnePerAz", cidr: "10.1.0.0/16" },
  };

  for (const stack of STACKS) {
    it(`${stack}: ${expected[stack].azs} AZs, NAT ${expected[stack].nat}, three tiers with fixed, non-overlapping CIDRs inside the VPC`, () => {
      const vpc = one(planFor(stack), VPC);
      assert.equal(vpc.inputs.cidrBlock, expected[stack].cidr);
      assert.equal(vpc.inputs.availabilityZoneNames.length, expected[stack].azs);
      assert.equal(vpc.inputs.numberOfAvailabilityZones, undefined, "awsx takes zone names or a count, not both");
      assert.deepEqual(vpc.inputs.natGateways, { strategy: expected[stack].nat });
      const specs = vpc.inputs.subnetSpecs as { type: string; cidrBlocks: string[]; tags: Record<string, string> }[];
      assert.deepEqual(specs.map((s) => s.type).sort(), ["Isolated", "Private", "Public"]);
      const all = specs.flatMap((s) => s.cidrBlocks);
      assert.equal(all.length, 3 * expected[stack].azs);
      const [vpcStart, vpcEnd] = toRange(expected[stack].cidr);
      const ranges = all.map(toRange).sort((a, b) => a[0] - b[0]);
      ranges.forEach(([start, end], i) => {
        assert.ok(start >= vpcStart && end <= vpcEnd, `${all[i]} inside the VPC`);
        if (i > 0) assert.ok(start > item(ranges, i - 1, "subnet ranges")[1], "subnets do not overlap");
      });
      assert.equal(specs.find((s) => s.type === "Public")?.tags["kubernetes.io/role/elb"], "1");
      assert.equal(specs.find((s) => s.type === "Private")?.tags["kubernetes.io/role/internal-elb"], "1");
    });

    it(`${stack}: S3 gateway endpoint on the route tables, flow logs with a retention, default SG emptied`, () => {
      const plan = planFor(stack);
      const endpoint = one(plan, "aws:ec2/vpcEndpoint:VpcEndpoint");
      assert.equal(endpoint.inputs.vpcEndpointType, "Gateway");
      assert.equal(endpoint.inputs.serviceName, "com.amazonaws.us-east-1.s3");
      assert.ok((endpoint.inputs.routeTableIds as string[]).length >= expected[stack].azs);
      const flowLog = one(plan, "aws:ec2/flowLog:FlowLog");
      const trust = JSON.parse(one(plan, "aws:iam/role:Role", `platform-${stack}-flow-logs`).inputs.assumeRolePolicy)
        .Statement[0];
      assert.deepEqual(trust.Principal, { Service: "vpc-flow-logs.amazonaws.com" });
      assert.deepEqual(
        trust.Condition,
        { StringEquals: { "aws:SourceAccount": "123456789012" } },
        "only this account's flow logs",
      );
      assert.equal(flowLog.inputs.trafficType, "ALL");
      const logGroup = one(plan, "aws:cloudwatch/logGroup:LogGroup", `platform-${stack}-flow-logs`);
      assert.equal(logGroup.inputs.retentionInDays, stack === "prod" ? 90 : 14);
      assert.equal(flowLog.inputs.logDestination, `arn:aws:logs:us-east-1:123456789012:log-group:${logGroup.name}`);
      const defaultSg = one(plan, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
      assert.equal(defaultSg.inputs.ingress, undefined);
      assert.equal(defaultSg.inputs.egress, undefined);
    });
  }

  for (const stack of STACKS) {
    it(`${stack}: zones chosen by zone ID, never one EKS does not support (us-east-1's use1-az3), VPC ${stack === "prod" ? "" : "not "}protected`, () => {
      const vpc = one(planFor(stack), VPC);
      // The mocks map us-east-1a..f to use1-az1, az2, az4, az6, az3, az5, as one account might.
      assert.deepEqual(
        vpc.inputs.availabilityZoneNames,
        ["us-east-1a", "us-east-1b", "us-east-1c"].slice(0, expected[stack].azs),
      );
      assert.ok(!vpc.inputs.availabilityZoneNames.includes("us-east-1e"), "us-east-1e is use1-az3 in this account");
      assert.equal(vpc.options.protect ?? false, stack === "prod");
    });

    it(`${stack}: configured zone IDs are used in their order`, () => {
      const vpc = one(
        planFor(stack, { "platform:network": { azCount: 2, availabilityZoneIds: ["use1-az6", "use1-az5"] } }),
        VPC,
      );
      assert.deepEqual(vpc.inputs.availabilityZoneNames, ["us-east-1d", "us-east-1f"]);
    });
  }

  it("a zone ID the region does not have fails the plan with exit 2 and the region's zone IDs, nothing created", () => {
    const dir = stackDirWith("dev", {
      "platform:network": { azCount: 2, availabilityZoneIds: ["use1-az1", "use1-az9"] },
    });
    const result = runPlanCli(["--stack", "dev", "--config-dir", dir]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(
      result.stderr,
      /platform:network\.availabilityZoneIds: got \["use1-az9"\], not zones of us-east-1; expected zone IDs of us-east-1: use1-az1, use1-az2, use1-az3/,
    );
  });

  it("chooseZones: the first EKS-supported zones by ID, whatever the names; too few is an error naming azCount", () => {
    const zones = { names: ["r-1a", "r-1b", "r-1c"], zoneIds: ["usw1-az3", "usw1-az2", "usw1-az1"] };
    assert.ok(EKS_UNSUPPORTED_ZONE_IDS.includes("usw1-az2"));
    assert.deepEqual(chooseZones("us-west-1", zones, [], 2), ["r-1c", "r-1a"]);
    assert.throws(
      () => chooseZones("us-west-1", zones, [], 3),
      /platform:network\.azCount: got 3; expected at most 2, the zones of us-west-1 EKS supports \(usw1-az1, usw1-az3\)/,
    );
  });

  it("adding an AZ keeps every existing subnet where it was", () => {
    for (const tier of ["public", "private", "isolated"] as const) {
      assert.deepEqual(tierCidrs("10.0.0.0/16", tier, 3).slice(0, 2), tierCidrs("10.0.0.0/16", tier, 2));
    }
    assert.equal(subnetCidr("10.0.0.0/16", "private", 0), "10.0.0.0/18");
    assert.equal(subnetCidr("10.0.0.0/16", "public", 2), "10.0.208.0/21");
    assert.equal(subnetCidr("10.0.0.0/16", "isolated", 1), "10.0.232.0/21");
    assert.equal(subnetCidr("10.8.0.0/20", "isolated", 2), "10.8.15.0/25");
    assert.throws(() => subnetCidr("10.0.0.0/16", "public", 3), /outside 0\.\.2/);
  });
});

describe("NAT instance (platform:network.natGateways = instance)", () => {
  const INSTANCE = "aws:ec2/instance:Instance";
  const ROUTE = "aws:ec2/route:Route";
  const natInstance = (stack: string) => one(planFor(stack), INSTANCE, `platform-${stack}-nat`);

  it("is dev's default and not prod's: prod keeps a NAT gateway per AZ", () => {
    assert.equal(environmentDefaults.dev.network.natGateways, "instance");
    assert.equal(environmentDefaults.prod.network.natGateways, "perAz");
    const prod = planFor("prod");
    assert.deepEqual(one(prod, VPC).inputs.natGateways, { strategy: "OnePerAz" });
    assert.deepEqual(ofType(prod, "platform:network:NatInstance"), []);
    assert.deepEqual(ofType(prod, INSTANCE), []);
    assert.deepEqual(ofType(prod, ROUTE), [], "prod's private routes are awsx's, to its NAT gateways");
  });

  it("dev: awsx creates no NAT gateway, and the plan has none", () => {
    const dev = planFor("dev");
    assert.deepEqual(one(dev, VPC).inputs.natGateways, { strategy: "None" });
    assert.deepEqual(ofType(dev, "aws:ec2/natGateway:NatGateway"), []);
  });

  it("dev: a Graviton t4g.nano from the AL2023 arm64 SSM parameter, IMDSv2 only, encrypted gp3 root, source/dest check off, auto-recovery", () => {
    const instance = natInstance("dev");
    assert.equal(instance.inputs.instanceType, "t4g.nano");
    assert.equal(AL2023_ARM64_AMI_PARAMETER, "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64");
    assert.equal(
      instance.inputs.ami,
      "ami-mock-al2023-arm64",
      "the AMI comes from the SSM parameter (the mocks' answer)",
    );
    assert.deepEqual(
      instance.options.ignoreChanges,
      ["ami"],
      "a newer AMI does not replace the NAT on an unrelated up",
    );
    assert.equal(instance.inputs.sourceDestCheck, false);
    assert.equal(instance.inputs.metadataOptions.httpTokens, "required");
    assert.equal(instance.inputs.metadataOptions.httpPutResponseHopLimit, 1);
    assert.deepEqual(instance.inputs.rootBlockDevice, {
      deleteOnTermination: true,
      encrypted: true,
      volumeSize: 8,
      volumeType: "gp3",
    });
    assert.deepEqual(instance.inputs.maintenanceOptions, { autoRecovery: "default" });
    assert.equal(instance.inputs.userData, natInstanceUserData(one(planFor("dev"), VPC).inputs.cidrBlock));
  });

  it("dev: an instance status check failing for 3 minutes reboots it (auto-recovery covers only the host)", () => {
    const alarm = one(planFor("dev"), "aws:cloudwatch/metricAlarm:MetricAlarm", "platform-dev-nat-reboot");
    assert.equal(alarm.inputs.namespace, "AWS/EC2");
    assert.equal(alarm.inputs.metricName, "StatusCheckFailed_Instance");
    assert.deepEqual(alarm.inputs.dimensions, { InstanceId: `${natInstance("dev").name}-id` });
    assert.equal(alarm.inputs.period * alarm.inputs.evaluationPeriods, 180);
    assert.deepEqual(alarm.inputs.alarmActions, ["arn:aws:automate:us-east-1:ec2:reboot"]);
  });

  it("dev: in the first public subnet with an Elastic IP of its own", () => {
    const dev = planFor("dev");
    const instance = natInstance("dev");
    assert.equal(instance.inputs.subnetId, (dev.outputs.publicSubnetIds as string[])[0]);
    const eip = one(dev, "aws:ec2/eip:Eip", "platform-dev-nat-eip");
    assert.equal(eip.inputs.domain, "vpc");
    assert.equal(eip.inputs.instance, `${instance.name}-id`, "the EIP is attached to the NAT instance");
  });

  it("dev: its security group admits only the VPC's range and lets everything out", () => {
    const dev = planFor("dev");
    const sg = one(dev, "aws:ec2/securityGroup:SecurityGroup", "platform-dev-nat-sg");
    const cidr = one(dev, VPC).inputs.cidrBlock;
    const ingress = sg.inputs.ingress as {
      cidrBlocks?: string[];
      ipv6CidrBlocks?: string[];
      securityGroups?: string[];
    }[];
    assert.ok(ingress.length > 0);
    for (const rule of ingress) {
      assert.deepEqual(rule.cidrBlocks, [cidr]);
      assert.equal(rule.ipv6CidrBlocks, undefined);
      assert.equal(rule.securityGroups, undefined);
    }
    assert.deepEqual(
      (sg.inputs.egress as { cidrBlocks: string[]; protocol: string }[]).map((e) => [e.protocol, e.cidrBlocks]),
      [["-1", ["0.0.0.0/0"]]],
    );
    const instance = natInstance("dev");
    assert.equal(instance.inputs.vpcSecurityGroupIds.length, 1);
  });

  it("dev: one default route per private subnet, to the instance's primary ENI, in that subnet's own route table", () => {
    const dev = planFor("dev");
    const routes = ofType(dev, ROUTE);
    const privateSubnets = dev.outputs.privateSubnetIds as string[];
    assert.equal(routes.length, privateSubnets.length);
    assert.equal(routes.length, environmentDefaults.dev.network.azCount);
    // The mocks name each subnet's route table rtb-<subnet id>, as the association they export says.
    assert.deepEqual(routes.map((r) => r.inputs.routeTableId).sort(), privateSubnets.map((id) => `rtb-${id}`).sort());
    for (const route of routes) {
      assert.equal(route.inputs.destinationCidrBlock, "0.0.0.0/0");
      assert.match(route.inputs.networkInterfaceId, /^eni-/);
      assert.equal(route.inputs.natGatewayId, undefined);
      assert.equal(
        route.inputs.instanceId,
        undefined,
        "the ENI, not the instance: routes survive a recovery either way, but instanceId is deprecated",
      );
    }
    assert.equal(
      new Set(routes.map((r) => r.inputs.networkInterfaceId)).size,
      1,
      "every private subnet uses the one instance",
    );
  });

  it("prod with natGateways = instance would also get one route per private subnet (three AZs)", () => {
    const plan = planFor("prod", { "platform:network": { natGateways: "instance" } });
    assert.equal(ofType(plan, ROUTE).length, 3);
    assert.deepEqual(ofType(plan, "aws:ec2/natGateway:NatGateway"), []);
  });

  it("dev: the plan's policy pack reports no violation (no 0.0.0.0/0 ingress on the NAT's group)", () => {
    assert.deepEqual((planFor("dev").policy as { violations: unknown[] }).violations, []);
  });

  it("natInstanceUserData: forwarding and masquerade written to persistent config, for exactly the VPC's range; bad input throws", () => {
    const script = natInstanceUserData("10.0.0.0/16");
    assert.match(script, /^#!\/bin\/bash\n/);
    assert.match(script, /\/etc\/sysctl\.d\/90-nat\.conf <<'EOF'\nnet\.ipv4\.ip_forward = 1\nEOF/);
    assert.ok(script.includes(natRuleset("10.0.0.0/16")));
    assert.match(script, /systemctl enable nftables\.service/);
    assert.match(natRuleset("10.0.0.0/16"), /ip saddr 10\.0\.0\.0\/16 ip daddr != 10\.0\.0\.0\/16 masquerade/);
    assert.throws(() => natInstanceUserData("10.0.0.0"), /not an IPv4 CIDR/);
  });

  it("--emit writes dev's user data (network/nat-instance-user-data.sh, for the stack's CIDR) and it passes shellcheck; prod has none", (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emit-nat-"));
    const prodDir = fs.mkdtempSync(path.join(os.tmpdir(), "emit-nat-prod-"));
    try {
      const dev = loadCloud(sourceFor("dev"));
      const written = emitArtifacts(dir, dev);
      const emitted = path.join(dir, "network/nat-instance-user-data.sh");
      assert.ok(written.includes("network/nat-instance-user-data.sh"), written.join("\n"));
      assert.equal(fs.readFileSync(emitted, "utf8"), natInstanceUserData(dev.network.cidr));
      assert.equal(fs.statSync(emitted).mode & 0o111, 0o111);
      assert.ok(!emitArtifacts(prodDir, loadCloud(sourceFor("prod"))).some((f) => f.includes("nat-instance")));
      const tool = requireTool("shellcheck");
      if (tool.skip) return t.skip(tool.skip);
      const run = spawnSync(tool.path!, ["-s", "bash", emitted], { encoding: "utf8" });
      assert.equal(run.status, 0, run.stdout + run.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true });
      fs.rmSync(prodDir, { recursive: true });
    }
  });

  it("natRuleset loads into a real nftables in a throwaway network namespace and masquerades only the VPC's range", (t) => {
    const nft = requireTool("nft");
    const unshare = requireTool("unshare");
    if (nft.skip || unshare.skip) return t.skip(nft.skip ?? unshare.skip);
    const probe = spawnSync(unshare.path!, ["-n", "true"]);
    if (probe.status !== 0) {
      // Creating a network namespace needs CAP_SYS_ADMIN; CI runs as root.
      if (process.env.CI === "true") assert.fail(`unshare -n failed: ${probe.stderr}`);
      return t.skip("cannot create a network namespace here (needs root)");
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nat-ruleset-"));
    const file = path.join(dir, "nftables.conf");
    fs.writeFileSync(file, natRuleset("10.0.0.0/16"));
    const run = spawnSync(unshare.path!, ["-n", "sh", "-c", 'nft -f "$1" && nft list ruleset', "sh", file], {
      encoding: "utf8",
    });
    fs.rmSync(dir, { recursive: true });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /type nat hook postrouting priority srcnat; policy accept;/);
    assert.match(run.stdout, /ip saddr 10\.0\.0\.0\/16 ip daddr != 10\.0\.0\.0\/16 masquerade/);
  });

  it("forwarding and masquerade, as rendered, carry a VPC client's connection out through network namespaces; without the ruleset it fails", (t) => {
    const tools = ["ip", "nft", "sysctl"].map((name) => requireTool(name));
    const missing = tools.find((tool) => tool.skip);
    if (missing) return t.skip(missing.skip);
    if (spawnSync("unshare", ["-n", "true"]).status !== 0) {
      // Network namespaces need CAP_SYS_ADMIN; CI runs as root.
      if (process.env.CI === "true") assert.fail("cannot create network namespaces under CI");
      return t.skip("cannot create network namespaces here (needs root)");
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nat-forward-"));
    const sysctl = path.join(dir, "90-nat.conf");
    const ruleset = path.join(dir, "nftables.conf");
    fs.writeFileSync(sysctl, natSysctl());
    fs.writeFileSync(ruleset, natRuleset("10.0.0.0/16"));
    const script = path.join(PROJECT_DIR, "test/fixtures/nat/forward-through-namespaces.sh");
    const run = (rules: string) =>
      spawnSync("bash", [script, sysctl, rules, process.execPath], { encoding: "utf8", timeout: 20_000 });
    try {
      const natted = run(ruleset);
      assert.equal(natted.status, 0, natted.stderr);
      assert.equal(natted.stdout.trim(), "203.0.113.2", "the server sees the NAT's public-side address, not 10.0.1.10");
      const control = run("none");
      assert.equal(
        control.status,
        3,
        `without masquerade the reply has no way back: ${control.stdout}${control.stderr}`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
