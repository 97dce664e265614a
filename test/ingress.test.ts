import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { environmentDefaults } from "../config";
import {
  ALB_TLS_POLICY,
  CONTROLLER_CHART,
  CONTROLLER_SERVICE_ACCOUNT,
  EXTERNAL_DNS_CHART,
  EXTERNAL_DNS_SERVICE_ACCOUNT,
  INGRESS_CLASS,
  WAF_MANAGED_RULE_GROUPS,
} from "../components/platform/ingress";
import { loadBalancerControllerPolicy } from "../components/platform/ingress-iam";
import { item } from "./helpers/assert";
import { keyPaths, missingKeys } from "./helpers/chart-values";
import { ofType, one, planFor, PROJECT_DIR, runPlanCli, stackDirWith, STACKS, type Plan } from "./helpers/program";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CERTIFICATE = "aws:acm/certificate:Certificate";
const WEB_ACL = "aws:wafv2/webAcl:WebAcl";
/** The mocks' answer for the stack's hosted zone (tools/plan/mocks.ts): never created by the program. */
const MOCK_ZONE_ID = "Z0123456789MOCKZONE";
const DEV_WITH_ZONE = { "platform:ingress": { zoneName: "dev.example.com" } };

type Statement = {
  Effect: string;
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
};
const fixture = (file: string) =>
  parse(fs.readFileSync(path.join(PROJECT_DIR, "test/fixtures", file), "utf8")) as Record<string, unknown>;
const policyOf = (plan: Plan, name: string) =>
  JSON.parse(one(plan, "aws:iam/rolePolicy:RolePolicy", name).inputs.policy) as { Statement: Statement[] };

/** The service accounts a role's trust policy admits (its `:sub` conditions). */
function trustedSubjects(plan: Plan, role: string): unknown[] {
  const trust = JSON.parse(one(plan, "aws:iam/role:Role", role).inputs.assumeRolePolicy) as { Statement: Statement[] };
  return trust.Statement.flatMap((s) =>
    Object.entries(s.Condition?.StringEquals ?? {})
      .filter(([k]) => k.endsWith(":sub"))
      .map(([, v]) => v),
  );
}

/** Every value path set must exist in the chart's values.yaml; returns every path, for the test's own spot checks. */
function assertKeysInChart(values: Record<string, unknown>, chart: Record<string, unknown>): string[] {
  assert.deepEqual(missingKeys(values, chart), [], "every value set is a chart value");
  return keyPaths(values);
}

describe("traffic in: AWS Load Balancer Controller", () => {
  for (const stack of STACKS) {
    const name = `platform-${stack}`;
    it(`${stack}: the pinned controller chart, two replicas with a PodDisruptionBudget, on a role only its service account can assume`, () => {
      const plan = planFor(stack);
      const release = one(plan, RELEASE, `${name}-lb-controller`);
      assert.equal(release.inputs.chart, CONTROLLER_CHART);
      assert.equal(release.inputs.version, environmentDefaults[stack].ingress.controllerChartVersion);
      assert.match(release.inputs.version, /^\d+\.\d+\.\d+$/);
      assert.equal(release.inputs.namespace, "kube-system");
      const values = release.inputs.values;
      assert.equal(values.clusterName, plan.outputs.clusterName);
      assert.equal(values.region, "us-east-1");
      assert.equal(values.vpcId, plan.outputs.vpcId);
      assert.equal(values.replicaCount, 2);
      assert.deepEqual(values.podDisruptionBudget, { maxUnavailable: 1 });
      assert.equal(values.serviceAccount.name, CONTROLLER_SERVICE_ACCOUNT);
      assert.equal(
        values.serviceAccount.annotations["eks.amazonaws.com/role-arn"],
        `arn:aws:iam::123456789012:role/${name}-lb-controller`,
      );
      assert.deepEqual(trustedSubjects(plan, `${name}-lb-controller`), [
        `system:serviceaccount:kube-system:${CONTROLLER_SERVICE_ACCOUNT}`,
      ]);
      assert.deepEqual(policyOf(plan, `${name}-lb-controller`), loadBalancerControllerPolicy());
      assert.ok(release.options.dependsOn?.includes(`aws:eks/nodeGroup:NodeGroup::${name}-nodes`), "waits for nodes");
    });
  }

  it("its IAM policy is upstream's iam_policy.json at the pinned app version, statement for statement", () => {
    assert.deepEqual(
      loadBalancerControllerPolicy(),
      fixture("iam/aws-load-balancer-controller-v3.5.0.iam_policy.yaml"),
    );
    assert.equal(
      environmentDefaults.prod.ingress.controllerChartVersion,
      "3.5.0",
      "a new chart version needs its policy (and this fixture) updated",
    );
  });

  it("its policy covers what the controller does, and scopes every write to resources it tagged", () => {
    const statements = loadBalancerControllerPolicy().Statement;
    const allowed = (action: string) => statements.filter((s) => s.Action.includes(action));
    const needs = [
      ...[
        "CreateLoadBalancer",
        "CreateTargetGroup",
        "CreateListener",
        "CreateRule",
        "ModifyListener",
        "RegisterTargets",
        "DeleteLoadBalancer",
        "SetWebAcl",
      ],
      ...[
        "DescribeLoadBalancers",
        "DescribeTargetGroups",
        "DescribeListenerCertificates",
        "AddListenerCertificates",
        "AddTags",
      ],
    ].map((a) => `elasticloadbalancing:${a}`);
    const ec2 = [
      "DescribeSubnets",
      "DescribeSecurityGroups",
      "DescribeVpcs",
      "CreateSecurityGroup",
      "AuthorizeSecurityGroupIngress",
      "DeleteSecurityGroup",
      "CreateTags",
    ];
    const other = [
      "acm:DescribeCertificate",
      "acm:ListCertificates",
      "wafv2:AssociateWebACL",
      "wafv2:DisassociateWebACL",
      "wafv2:GetWebACLForResource",
      "shield:GetSubscriptionState",
    ];
    for (const action of [...needs, ...ec2.map((a) => `ec2:${a}`), ...other, "iam:CreateServiceLinkedRole"])
      assert.ok(allowed(action).length > 0, `${action} is allowed`);
    // Creating a load balancer, target group or security group tag needs the cluster tag on the request.
    for (const action of ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"])
      for (const s of allowed(action))
        assert.equal(s.Condition?.Null?.["aws:RequestTag/elbv2.k8s.aws/cluster"], "false", action);
    // Deleting or modifying one needs the cluster tag on the resource.
    for (const action of [
      "elasticloadbalancing:DeleteLoadBalancer",
      "elasticloadbalancing:DeleteTargetGroup",
      "ec2:DeleteSecurityGroup",
    ])
      for (const s of allowed(action))
        assert.equal(s.Condition?.Null?.["aws:ResourceTag/elbv2.k8s.aws/cluster"], "false", action);
    assert.deepEqual(item(allowed("iam:CreateServiceLinkedRole"), 0, "CreateServiceLinkedRole statements").Condition, {
      StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" },
    });
    for (const s of statements) for (const a of s.Action) assert.doesNotMatch(a, /\*/, "no wildcard actions");
  });

  it("every controller value set exists in the chart's values.yaml at the pinned version, and the IngressClassParams fields in its CRD", () => {
    const values = one(planFor("prod"), RELEASE, "platform-prod-lb-controller").inputs.values as Record<
      string,
      unknown
    >;
    const version = environmentDefaults.prod.ingress.controllerChartVersion;
    const paths = assertKeysInChart(values, fixture(`charts/${CONTROLLER_CHART}-${version}.values.yaml`));
    assert.ok(
      paths.includes("ingressClassParams.spec") && paths.includes("serviceAccount.annotations"),
      paths.join(", "),
    );
    const specFields = fixture(`charts/${CONTROLLER_CHART}-${version}.ingressclassparams-spec.yaml`).fields as string[];
    const spec = (values.ingressClassParams as { spec: Record<string, unknown> }).spec;
    for (const field of Object.keys(spec))
      assert.ok(specFields.includes(field), `${field} is an IngressClassParams field`);
  });
});

describe("traffic in: the shared ALB", () => {
  it("dev without a zone: the controller only; no IngressClass, certificate, ExternalDNS or WAF", () => {
    const plan = planFor("dev");
    const values = one(plan, RELEASE, "platform-dev-lb-controller").inputs.values;
    assert.equal(values.createIngressClassResource, false);
    assert.deepEqual(values.ingressClassParams, { create: false });
    assert.deepEqual(ofType(plan, CERTIFICATE), []);
    assert.deepEqual(ofType(plan, WEB_ACL), []);
    assert.deepEqual(
      ofType(plan, RELEASE).filter((r) => r.inputs.chart === EXTERNAL_DNS_CHART),
      [],
    );
    assert.equal(plan.outputs.ingressClassName, undefined);
  });

  for (const [label, stack, overrides, waf] of [
    ["prod (its zone, WAF by default)", "prod", undefined, true],
    ["dev with a zone (no WAF by default)", "dev", DEV_WITH_ZONE, false],
  ] as const) {
    it(`${label}: one internet-facing group on the certificate validated in the zone, TLS 1.3/1.2 policy, HTTP redirected`, () => {
      const plan = planFor(stack, overrides);
      const name = `platform-${stack}`;
      const zone = stack === "prod" ? "prod.example.com" : "dev.example.com";
      const certificate = one(plan, CERTIFICATE, `${name}-ingress`);
      assert.equal(certificate.inputs.domainName, zone);
      assert.deepEqual(certificate.inputs.subjectAlternativeNames, [`*.${zone}`]);
      assert.equal(certificate.inputs.validationMethod, "DNS");
      const record = one(plan, "aws:route53/record:Record", `${name}-ingress-validation`);
      assert.equal(record.inputs.zoneId, MOCK_ZONE_ID);
      assert.ok(String(record.inputs.name).endsWith(`${zone}.`));
      const validation = one(plan, "aws:acm/certificateValidation:CertificateValidation", `${name}-ingress`);
      assert.deepEqual(validation.inputs.validationRecordFqdns, [String(record.inputs.name).replace(/\.$/, "")]);

      const values = one(plan, RELEASE, `${name}-lb-controller`).inputs.values;
      assert.equal(values.createIngressClassResource, true);
      assert.equal(values.ingressClass, INGRESS_CLASS);
      const spec = values.ingressClassParams.spec;
      assert.deepEqual(spec.group, { name });
      assert.equal(spec.scheme, "internet-facing");
      assert.equal(spec.targetType, "ip");
      assert.deepEqual(spec.certificateArn, [validation.inputs.certificateArn]);
      assert.equal(spec.sslPolicy, ALB_TLS_POLICY);
      assert.equal(spec.sslRedirectPort, "443");
      assert.deepEqual(spec.namespaceSelector, {
        matchLabels: { "kubernetes.io/metadata.name": plan.outputs.appNamespace },
      });
      assert.equal(plan.outputs.ingressClassName, INGRESS_CLASS);

      const acls = ofType(plan, WEB_ACL);
      if (!waf) {
        assert.deepEqual(acls, []);
        assert.equal(spec.wafv2AclArn, undefined);
        return;
      }
      assert.equal(acls.length, 1);
      const acl = item(acls, 0, "web ACLs");
      assert.equal(acl.inputs.scope, "REGIONAL");
      assert.deepEqual(acl.inputs.defaultAction, { allow: {} });
      const groups = (
        acl.inputs.rules as {
          statement: { managedRuleGroupStatement: { vendorName: string; name: string } };
          overrideAction: unknown;
        }[]
      ).map((r) => r.statement.managedRuleGroupStatement);
      assert.deepEqual(groups.map((g) => g.name).sort(), [...WAF_MANAGED_RULE_GROUPS].sort());
      for (const name of [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
      ])
        assert.ok(
          groups.some((g) => g.name === name && g.vendorName === "AWS"),
          name,
        );
      assert.equal(
        spec.wafv2AclArn,
        `arn:aws:wafv2:us-east-1:123456789012:${name}-ingress`,
        "attached through the IngressClassParams",
      );
    });

    it(`${label}: ExternalDNS pinned, changing records in that zone only, for this stack's records only`, () => {
      const plan = planFor(stack, overrides);
      const name = `platform-${stack}`;
      const zone = stack === "prod" ? "prod.example.com" : "dev.example.com";
      const release = one(plan, RELEASE, `${name}-external-dns`);
      assert.equal(release.inputs.chart, EXTERNAL_DNS_CHART);
      assert.equal(release.inputs.version, environmentDefaults[stack].ingress.externalDnsChartVersion);
      const values = release.inputs.values;
      assert.deepEqual(values.domainFilters, [zone]);
      assert.ok(values.extraArgs.includes(`--zone-id-filter=${MOCK_ZONE_ID}`));
      assert.equal(values.txtOwnerId, name);
      assert.equal(values.registry, "txt");
      assert.equal(values.policy, "sync");
      assert.deepEqual(trustedSubjects(plan, `${name}-external-dns`), [
        `system:serviceaccount:kube-system:${EXTERNAL_DNS_SERVICE_ACCOUNT}`,
      ]);
      const statements = policyOf(plan, `${name}-external-dns`).Statement;
      const changing = statements.filter((s) => s.Action.includes("route53:ChangeResourceRecordSets"));
      assert.deepEqual(
        changing.map((s) => s.Resource),
        [`arn:aws:route53:::hostedzone/${MOCK_ZONE_ID}`],
      );
      const unscoped = statements.filter((s) => s.Resource === "*").flatMap((s) => s.Action);
      assert.deepEqual(
        unscoped,
        ["route53:ListHostedZones"],
        "only the list with no resource-level permission is on *",
      );
    });
  }

  it("every ExternalDNS value set exists in the chart's values.yaml at the pinned version", () => {
    const values = one(planFor("prod"), RELEASE, "platform-prod-external-dns").inputs.values as Record<string, unknown>;
    const version = environmentDefaults.prod.ingress.externalDnsChartVersion;
    const paths = assertKeysInChart(values, fixture(`charts/${EXTERNAL_DNS_CHART}-${version}.values.yaml`));
    assert.ok(paths.includes("txtOwnerId") && paths.includes("provider.name"), paths.join(", "));
  });

  it("the estimate prices the shared ALB on the controller's release (the controller makes it), and the WAF; dev without a zone has neither", () => {
    const items = (plan: Plan) =>
      (plan.cost as { lines: { resource: string; item: string; monthlyUsd: number }[] }).lines;
    const prod = items(planFor("prod"));
    assert.ok(
      prod.some((l) => l.resource.includes("platform-prod-lb-controller") && /Application Load Balancer/.test(l.item)),
    );
    assert.ok(prod.some((l) => l.resource.includes("platform-prod-ingress") && /WAF web ACL/.test(l.item)));
    const dev = items(planFor("dev"));
    assert.ok(!dev.some((l) => /shared ALB|WAF/.test(l.item)));
  });
});

describe("traffic in: bad input", () => {
  it("a zone that is not a DNS name, and a WAF without the ALB: exit 2, each key named, nothing planned", () => {
    const badZone = runPlanCli([
      "--stack",
      "dev",
      "--config-dir",
      stackDirWith("dev", { "platform:ingress": { zoneName: "Not A Zone.com." } }),
    ]);
    assert.equal(badZone.status, 2, badZone.stderr);
    assert.match(badZone.stderr, /platform:ingress\.zoneName: .*a DNS name/);
    const wafWithoutAlb = runPlanCli([
      "--stack",
      "dev",
      "--config-dir",
      stackDirWith("dev", { "platform:ingress": { waf: true } }),
    ]);
    assert.equal(wafWithoutAlb.status, 2, wafWithoutAlb.stderr);
    assert.match(wafWithoutAlb.stderr, /platform:ingress\.waf: .*ingress\.zoneName is unset/);
    assert.doesNotMatch(wafWithoutAlb.stdout, /WebAcl/);
    const prodWithoutZone = runPlanCli([
      "--stack",
      "prod",
      "--config-dir",
      stackDirWith("prod", { "platform:ingress": undefined }),
    ]);
    assert.equal(prodWithoutZone.status, 2, "prod's default WAF needs its zone");
    assert.match(prodWithoutZone.stderr, /platform:ingress\.waf/);
  });
});
