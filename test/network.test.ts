import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseZones, EKS_UNSUPPORTED_ZONE_IDS } from "../components/availability-zones";
import { subnetCidr, tierCidrs } from "../components/subnet-layout";
import { one, planFor, runPlanCli, stackDirWith, STACKS } from "./helpers/program";

const VPC = "awsx:ec2:Vpc";

function toRange(cidr: string): [number, number] {
  const [address, prefix] = cidr.split("/");
  const start = address.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  return [start, start + 2 ** (32 - Number(prefix)) - 1];
}

describe("network", () => {
  const expected = { dev: { azs: 2, nat: "Single", cidr: "10.0.0.0/16" }, prod: { azs: 3, nat: "OnePerAz", cidr: "10.1.0.0/16" } };

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
        if (i > 0) assert.ok(start > ranges[i - 1][1], "subnets do not overlap");
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
      const trust = JSON.parse(one(plan, "aws:iam/role:Role", `platform-${stack}-flow-logs`).inputs.assumeRolePolicy).Statement[0];
      assert.deepEqual(trust.Principal, { Service: "vpc-flow-logs.amazonaws.com" });
      assert.deepEqual(trust.Condition, { StringEquals: { "aws:SourceAccount": "123456789012" } }, "only this account's flow logs");
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
      assert.deepEqual(vpc.inputs.availabilityZoneNames, ["us-east-1a", "us-east-1b", "us-east-1c"].slice(0, expected[stack].azs));
      assert.ok(!vpc.inputs.availabilityZoneNames.includes("us-east-1e"), "us-east-1e is use1-az3 in this account");
      assert.equal(vpc.options.protect ?? false, stack === "prod");
    });

    it(`${stack}: configured zone IDs are used in their order`, () => {
      const vpc = one(planFor(stack, { "platform:network": { azCount: 2, availabilityZoneIds: ["use1-az6", "use1-az5"] } }), VPC);
      assert.deepEqual(vpc.inputs.availabilityZoneNames, ["us-east-1d", "us-east-1f"]);
    });
  }

  it("a zone ID the region does not have fails the plan with exit 2 and the region's zone IDs, nothing created", () => {
    const dir = stackDirWith("dev", { "platform:network": { azCount: 2, availabilityZoneIds: ["use1-az1", "use1-az9"] } });
    const result = runPlanCli(["--stack", "dev", "--config-dir", dir]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /platform:network\.availabilityZoneIds: got \["use1-az9"\], not zones of us-east-1; expected zone IDs of us-east-1: use1-az1, use1-az2, use1-az3/);
  });

  it("chooseZones: the first EKS-supported zones by ID, whatever the names; too few is an error naming azCount", () => {
    const zones = { names: ["r-1a", "r-1b", "r-1c"], zoneIds: ["usw1-az3", "usw1-az2", "usw1-az1"] };
    assert.ok(EKS_UNSUPPORTED_ZONE_IDS.includes("usw1-az2"));
    assert.deepEqual(chooseZones("us-west-1", zones, [], 2), ["r-1c", "r-1a"]);
    assert.throws(() => chooseZones("us-west-1", zones, [], 3), /platform:network\.azCount: got 3; expected at most 2, the zones of us-west-1 EKS supports \(usw1-az1, usw1-az3\)/);
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
