import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DB_DUMP_CRONJOB } from "../components/monitoring/metrics";
import { RULE_GROUPS, ruleGroups } from "../components/monitoring/rules";
import { maxConnectionsFor } from "../components/database";
import { item } from "./helpers/assert";
import { loadCloud, sourceFor } from "./helpers/config";
import { one, ofType, planFor, STACKS } from "./helpers/program";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const SERVICE = "kubernetes:core/v1:Service";
const noSites = { "platform:edgeSites": [] };

describe("monitoring", () => {
  for (const stack of STACKS) {
    const prod = stack === "prod";
    const name = `platform-${stack}`;

    it(`${stack}: kube-prometheus-stack from its repository at the pinned version, CRDs applied by Helm`, () => {
      const plan = planFor(stack);
      const release = one(plan, RELEASE, `${name}-kube-prometheus-stack`);
      assert.equal(release.inputs.chart, "kube-prometheus-stack");
      assert.equal(release.inputs.version, "79.5.0");
      assert.match(release.inputs.version, /^\d+\.\d+\.\d+$/);
      assert.equal(release.inputs.repositoryOpts.repo, "https://prometheus-community.github.io/helm-charts");
      assert.equal(release.inputs.skipCrds, false);
      assert.equal(release.inputs.namespace, "monitoring");
      assert.equal(release.parent, `platform:monitoring:Monitoring::${name}`);
      const namespace = one(plan, "kubernetes:core/v1:Namespace", `${name}-monitoring`);
      assert.equal(namespace.inputs.metadata.name, "monitoring");
    });

    it(`${stack}: ${prod ? "30" : "7"} days of retention on a ${prod ? 50 : 20} GiB gp3 volume, small gp3 volumes for Alertmanager and Grafana`, () => {
      const values = one(planFor(stack), RELEASE, `${name}-kube-prometheus-stack`).inputs.values;
      const spec = values.prometheus.prometheusSpec;
      assert.equal(spec.retention, prod ? "30d" : "7d");
      assert.equal(spec.retentionSize, prod ? "40GB" : "16GB", "size-based retention below the volume");
      const claim = spec.storageSpec.volumeClaimTemplate.spec;
      assert.equal(claim.storageClassName, "gp3");
      assert.deepEqual(claim.accessModes, ["ReadWriteOnce"]);
      assert.equal(claim.resources.requests.storage, prod ? "50Gi" : "20Gi");
      const alertmanager = values.alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec;
      assert.equal(alertmanager.storageClassName, "gp3");
      assert.equal(alertmanager.resources.requests.storage, "5Gi");
      assert.deepEqual(
        {
          enabled: values.grafana.persistence.enabled,
          storageClassName: values.grafana.persistence.storageClassName,
          size: values.grafana.persistence.size,
        },
        { enabled: true, storageClassName: "gp3", size: "5Gi" },
      );
      for (const component of [spec, values.alertmanager.alertmanagerSpec, values.grafana, values.prometheusOperator]) {
        assert.ok(
          component.resources.requests.memory && component.resources.limits.memory,
          "requests and a memory limit",
        );
      }
    });

    it(`${stack}: control-plane scrapes EKS does not expose are off; rule and monitor selectors open to the cluster`, () => {
      const values = one(planFor(stack), RELEASE, `${name}-kube-prometheus-stack`).inputs.values;
      for (const part of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"])
        assert.equal(values[part].enabled, false, part);
      const spec = values.prometheus.prometheusSpec;
      for (const selector of ["rule", "serviceMonitor", "podMonitor", "probe"]) {
        assert.equal(spec[`${selector}SelectorNilUsesHelmValues`], false, selector);
        assert.equal(spec[`${selector}Selector`], undefined, `${selector}Selector left empty (= everything)`);
      }
    });

    it(`${stack}: Grafana's admin credentials come from a generated Secret, never from the chart values`, () => {
      const plan = planFor(stack);
      const values = one(plan, RELEASE, `${name}-kube-prometheus-stack`).inputs.values;
      const secret = one(plan, "kubernetes:core/v1:Secret", `${name}-grafana-admin`);
      assert.equal(secret.inputs.stringData, "[secret]");
      assert.deepEqual(values.grafana.admin, {
        existingSecret: secret.inputs.metadata.name,
        userKey: "admin-user",
        passwordKey: "admin-password",
      });
      assert.equal(values.grafana.adminPassword, undefined);
      const password = one(plan, "random:index/randomPassword:RandomPassword", `${name}-grafana-admin`);
      assert.ok(password.inputs.length >= 24);
      assert.ok(
        !JSON.stringify(values).includes("mock-generated-password"),
        "the generated password is not in the values",
      );
      assert.deepEqual(plan.outputs.grafanaAdminPassword, "[secret]");
    });

    it(`${stack}: the alert rules as a PrometheusRule created after the release, the dashboards as labelled ConfigMaps`, () => {
      const plan = planFor(stack);
      const rule = one(plan, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", `${name}-alert-rules`);
      assert.equal(rule.inputs.apiVersion, "monitoring.coreos.com/v1");
      assert.equal(rule.inputs.metadata.namespace, "monitoring");
      assert.deepEqual(rule.options.dependsOn, [`${RELEASE}::${name}-kube-prometheus-stack`]);
      const config = loadCloud(sourceFor(stack));
      assert.deepEqual(
        rule.inputs.spec.groups,
        JSON.parse(
          JSON.stringify(
            ruleGroups(config.edgeSites, { databaseMaxConnections: maxConnectionsFor(config.database.instanceClass) }),
          ),
        ),
      );
      const alerts = (rule.inputs.spec.groups as { rules: { alert: string }[] }[]).flatMap((g) =>
        g.rules.map((r) => r.alert),
      );
      assert.ok(
        alerts.includes("HighErrorRate") && alerts.includes("PiOverTemperature") && alerts.includes("EdgeSilent"),
      );

      const dashboards = ofType(plan, CONFIGMAP).filter((c) => c.name.startsWith(`${name}-dashboard-`));
      assert.deepEqual(
        dashboards.map((d) => d.name).sort(),
        ["app", "data", "infrastructure", "pi"].map((d) => `${name}-dashboard-${d}`),
      );
      for (const d of dashboards) {
        assert.equal(d.inputs.metadata.labels.grafana_dashboard, "1");
        assert.equal(d.inputs.metadata.namespace, "monitoring");
        const [file, json] = item(Object.entries(d.inputs.data as Record<string, string>), 0, `${d.name} data`);
        assert.match(file, /^[a-z]+\.json$/);
        assert.ok(JSON.parse(json).uid);
      }
      const sidecar = one(plan, RELEASE, `${name}-kube-prometheus-stack`).inputs.values.grafana.sidecar.dashboards;
      assert.deepEqual(
        [sidecar.enabled, sidecar.label, sidecar.labelValue, sidecar.searchNamespace],
        [true, "grafana_dashboard", "1", "ALL"],
      );
    });

    it(`${stack}: with no Pi sites the receiver is off, and no Pi is expected`, () => {
      const plan = planFor(stack, noSites);
      assert.equal(
        one(plan, RELEASE, `${name}-kube-prometheus-stack`).inputs.values.prometheus.prometheusSpec
          .enableRemoteWriteReceiver,
        false,
      );
      assert.deepEqual(ofType(plan, "kubernetes:rbac.authorization.k8s.io/v1:Role"), []);
      assert.deepEqual(ofType(plan, SERVICE), [], "no write gateway without sites");
      assert.equal(plan.outputs.edgeMetrics, undefined);
      assert.deepEqual(plan.outputs.edgeSites, {});
      assert.equal(ofType(plan, "platform:edge:SiteAccess").length, 0);
      const rule = one(plan, "kubernetes:monitoring.coreos.com/v1:PrometheusRule");
      assert.ok(!JSON.stringify(rule.inputs.spec.groups).includes("EdgeSilent"));
    });

    it(`${stack}: the Pi remote-writes through the API server proxy: TLS with the cluster CA, a token allowed only that`, () => {
      const plan = planFor(stack);
      assert.equal(
        one(plan, RELEASE, `${name}-kube-prometheus-stack`).inputs.values.prometheus.prometheusSpec
          .enableRemoteWriteReceiver,
        true,
      );
      // Nothing new is exposed: the only Service is the write gateway's, cluster-internal.
      const services = ofType(plan, SERVICE);
      assert.deepEqual(
        services.map((s) => [s.inputs.metadata.name, s.inputs.spec.type]),
        [["edge-write-gateway", "ClusterIP"]],
      );
      const gateway = item(services, 0, "write gateway services");
      assert.deepEqual(
        gateway.inputs.spec.ports,
        [{ name: "write", port: 8080, targetPort: "write" }],
        "the health port is not in the Service",
      );
      // The token reaches the gateway (which forwards only POST /api/v1/write), never Prometheus's own Service.
      const role = one(plan, "kubernetes:rbac.authorization.k8s.io/v1:Role", `${name}-edge-remote-write`);
      assert.deepEqual(role.inputs.rules, [
        {
          apiGroups: [""],
          resources: ["services/proxy"],
          resourceNames: [`edge-write-gateway:${gateway.inputs.spec.ports[0].port}`],
          verbs: ["create"],
        },
      ]);
      const deployment = one(plan, "kubernetes:apps/v1:Deployment", `${name}-write-gateway`);
      const pod = deployment.inputs.spec.template.spec;
      assert.match(pod.containers[0].image, /@sha256:[a-f0-9]{64}$/);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(pod.containers[0].securityContext.readOnlyRootFilesystem, true);
      assert.equal(pod.automountServiceAccountToken, false);
      assert.ok(deployment.inputs.spec.replicas >= 2);
      const conf = one(plan, CONFIGMAP, `${name}-write-gateway`).inputs.data["nginx.conf"] as string;
      assert.match(conf, /server kube-prometheus-stack-prometheus:9090;/);
      assert.match(conf, /location = \/api\/v1\/write \{/);
      const sites = loadCloud(sourceFor(stack)).edgeSites;
      // One service account, token and binding to that Role per site: one site is revoked alone.
      for (const site of sites) {
        const binding = one(
          plan,
          "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
          `${name}-site-${site}-remote-write`,
        );
        assert.deepEqual(binding.inputs.roleRef, {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "Role",
          name: "edge-remote-write",
        });
        assert.deepEqual(binding.inputs.subjects, [
          { kind: "ServiceAccount", name: `edge-${site}`, namespace: "monitoring" },
        ]);
        const token = one(plan, "kubernetes:core/v1:Secret", `${name}-site-${site}-remote-write-token`);
        assert.equal(token.inputs.type, "kubernetes.io/service-account-token");
        assert.equal(token.inputs.metadata.annotations["kubernetes.io/service-account.name"], `edge-${site}`);
      }
      const metrics = plan.outputs.edgeMetrics as { url: string; caPem: string };
      assert.equal(
        metrics.url,
        "https://ABCDEF0123456789.gr7.us-east-1.eks.amazonaws.com/api/v1/namespaces/monitoring/services/edge-write-gateway:8080/proxy/api/v1/write",
      );
      assert.match(metrics.caPem, /BEGIN CERTIFICATE/);
    });
  }

  it("DatabaseBackupStale watches the CronJob the app platform actually creates", () => {
    const cronJob = one(planFor("prod"), "kubernetes:batch/v1:CronJob", "platform-prod-db-dump");
    assert.equal(cronJob.inputs.metadata.name, DB_DUMP_CRONJOB);
    const rule = RULE_GROUPS.flatMap((g) => g.rules).find((r) => r.alert === "DatabaseBackupStale");
    assert.ok(rule?.expr.includes(`cronjob="${cronJob.inputs.metadata.name}"`));
  });

  it("the release waits for nodes, the EBS CSI driver and the gp3 class", () => {
    const release = one(planFor("prod"), RELEASE, "platform-prod-kube-prometheus-stack");
    assert.deepEqual([...(release.options.dependsOn ?? [])].sort(), [
      "aws:eks/addon:Addon::platform-prod-ebs-csi",
      "aws:eks/nodeGroup:NodeGroup::platform-prod-nodes",
      "kubernetes:storage.k8s.io/v1:StorageClass::platform-prod-gp3",
    ]);
  });
});
