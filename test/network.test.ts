import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { subnetCidr, tierCidrs } from "../components/subnet-layout";
import { one, planFor, STACKS } from "./helpers/program";

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
      assert.equal(vpc.inputs.numberOfAvailabilityZones, expected[stack].azs);
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
