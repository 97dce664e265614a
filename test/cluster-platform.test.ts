import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NODE_METADATA_OPTIONS } from "../components/cluster";
import { DRY_RUN_GROUP } from "../components/dry-run-access";
import { tierCidrs } from "../components/subnet-layout";
import { environmentDefaults } from "../config";
import { asStrings, input, inputJson, inputRecord, inputRecords } from "./helpers/inputs";
import { ofType, one, planFor, STACKS } from "./helpers/program";
import { SITE_PORT_SPAN, WRITE_GATEWAY_HEALTH_PORT, WRITE_GATEWAY_NAME } from "../components/monitoring/write-gateway";

const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

describe("cluster as a platform (part of issue 13)", () => {
  for (const stack of STACKS) {
    const name = `platform-${stack}`;

    it(`${stack}: every node the stack creates requires IMDSv2 with a hop limit of 1; the root volume is an encrypted gp3 of the configured size`, () => {
      const plan = planFor(stack);
      const group = one(plan, "aws:eks/nodeGroup:NodeGroup");
      const template = one(plan, "aws:ec2/launchTemplate:LaunchTemplate");
      assert.equal(input(group, "launchTemplate.name"), template.name);
      assert.equal(group.inputs.diskSize, undefined, "sized by the template");
      assert.deepEqual(template.inputs.metadataOptions, {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      });
      assert.equal(NODE_METADATA_OPTIONS.httpPutResponseHopLimit, 1);
      const root = inputRecord(template, "blockDeviceMappings.0");
      assert.deepEqual(root.ebs, {
        volumeSize: environmentDefaults[stack].cluster.nodeDiskGb,
        volumeType: "gp3",
        encrypted: "true",
        deleteOnTermination: "true",
      });
      // Every EC2 node in the stack goes through this template.
      assert.deepEqual(
        ofType(plan, "aws:eks/nodeGroup:NodeGroup").filter((g) => !g.inputs.launchTemplate),
        [],
      );
      assert.deepEqual(
        ofType(plan, "aws:ec2/instance:Instance").filter((i) => input(i, "metadataOptions.httpTokens") !== "required"),
        [],
      );
    });

    it(`${stack}: metrics-server as an EKS add-on (HPAs), the VPC CNI enforcing NetworkPolicies`, () => {
      const plan = planFor(stack);
      const metrics = one(plan, "aws:eks/addon:Addon", `${name}-metrics-server`);
      assert.equal(metrics.inputs.addonName, "metrics-server");
      assert.ok(
        metrics.options.dependsOn?.includes(`aws:eks/nodeGroup:NodeGroup::${name}-nodes`),
        "after the nodes it runs on",
      );
      const cni = one(plan, "aws:eks/addon:Addon", `${name}-vpc-cni`);
      assert.deepEqual(inputJson(cni, "configurationValues"), { enableNetworkPolicy: "true" });
    });

    it(`${stack}: default-deny ingress in app and monitoring, with only the platform's allows`, () => {
      const plan = planFor(stack);
      const policies = ofType(plan, POLICY);
      const byNs = (ns: string) => policies.filter((p) => input(p, "metadata.namespace") === ns);
      for (const ns of ["app", "monitoring"]) {
        const deny = byNs(ns).find((p) => input(p, "metadata.name") === "default-deny-ingress");
        assert.deepEqual(deny?.inputs.spec, { podSelector: {}, policyTypes: ["Ingress"] }, `${ns} default deny`);
      }
      const { cidr, azCount } = {
        cidr: stack === "prod" ? "10.1.0.0/16" : environmentDefaults.dev.network.cidr,
        azCount: environmentDefaults[stack].network.azCount,
      };
      const app = byNs("app").find((p) => input(p, "metadata.name") === "allow-platform");
      assert.deepEqual(app && input(app, "spec.ingress"), [
        {
          from: [
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
            ...tierCidrs(cidr, "public", azCount).map((c) => ({ ipBlock: { cidr: c } })),
          ],
        },
      ]);
      const monitoring = byNs("monitoring").find((p) => input(p, "metadata.name") === "allow-platform");
      const controlPlanePorts = (monitoring ? input(monitoring, "spec.ingress.1.ports") : []) as {
        port: number;
        endPort?: number;
      }[];
      const admits = (port: number) => controlPlanePorts.some((p) => port >= p.port && port <= (p.endPort ?? p.port));
      // The Pis reach the write gateway only through the API server's proxy: every port its Service
      // forwards (the shared metrics port and each site's log port) must be open to the control plane.
      const gateway = ofType(plan, "kubernetes:core/v1:Service").find(
        (s) => input(s, "metadata.name") === WRITE_GATEWAY_NAME,
      );
      const gatewayPorts = (
        (gateway ? input(gateway, "spec.ports") : []) as { port: number; targetPort: number | string }[]
      ).map((p) => (typeof p.targetPort === "number" ? p.targetPort : p.port));
      assert.ok(gatewayPorts.length >= 2, "the gateway serves metrics and at least one site's logs");
      for (const port of [9090, 10250, ...gatewayPorts.filter((p) => p !== WRITE_GATEWAY_HEALTH_PORT)]) {
        assert.ok(admits(port), `the control plane reaches port ${port} in monitoring`);
      }
      assert.ok(!admits(WRITE_GATEWAY_HEALTH_PORT), "the gateway's health port stays closed to the proxy");
      assert.ok(
        controlPlanePorts.every((p) => (p.endPort ?? p.port) - p.port < SITE_PORT_SPAN),
        "no port range wider than the site ports",
      );
      assert.ok(
        !JSON.stringify(policies.map((p) => p.inputs.spec)).includes('"0.0.0.0/0"'),
        "nothing open to the world",
      );
    });
  }
});

describe("view principals preview with a server-side dry-run, and can do nothing else (issue 12)", () => {
  it("prod: view entries join the dry-run group, admin entries do not; the group may write only what the admission policy lets through as a dry-run", () => {
    const plan = planFor("prod");
    const entries = one(plan, "eks:index:Cluster").inputs.accessEntries as Record<
      string,
      { accessPolicies: Record<string, unknown>; kubernetesGroups?: string[] }
    >;
    const view = Object.values(entries).filter((e) => "view" in e.accessPolicies);
    assert.ok(view.length > 0, "the stack file declares a view principal");
    for (const e of Object.values(entries))
      assert.deepEqual(e.kubernetesGroups, "view" in e.accessPolicies ? [DRY_RUN_GROUP] : undefined);
    const policy = one(plan, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
    assert.equal(input(policy, "spec.failurePolicy"), "Fail");
    assert.deepEqual(input(policy, "spec.matchConditions"), [
      { name: "in-dry-run-group", expression: `request.userInfo.groups.exists(g, g == '${DRY_RUN_GROUP}')` },
    ]);
    assert.equal(input(policy, "spec.validations.0.expression"), "has(request.dryRun) && request.dryRun == true");
    assert.deepEqual(input(policy, "spec.matchConstraints.resourceRules.0.operations"), [
      "CREATE",
      "UPDATE",
      "DELETE",
      "CONNECT",
    ]);
    const binding = one(plan, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding");
    assert.deepEqual(input(binding, "spec.validationActions"), ["Deny"]);
    const role = one(plan, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "platform-prod-dry-run");
    assert.ok(
      !inputRecords(role, "rules").some(
        (r) =>
          asStrings(r.apiGroups, "apiGroups").includes("*") ||
          asStrings(r.apiGroups, "apiGroups").includes("admissionregistration.k8s.io"),
      ),
      "never the policy's own API group",
    );
    const roleBinding = one(
      plan,
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
      "platform-prod-dry-run",
    );
    assert.deepEqual(roleBinding.inputs.subjects, [
      { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: DRY_RUN_GROUP },
    ]);
    assert.ok(
      roleBinding.options.dependsOn?.includes(
        `kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding::${binding.name}`,
      ),
      "the write rights come after the policy that limits them",
    );
  });
});
