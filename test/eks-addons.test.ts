import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { environmentDefaults } from "../config";
import { EKS_ADDON_CLUSTER_VERSIONS, EKS_ADDON_VERSIONS, EKS_ADDONS, eksAddonVersions } from "../config/eks-addons";
import { loadCloud, sourceFor } from "./helpers/config";
import { input } from "./helpers/inputs";
import { ofType, one, planFor, runPlanInProcess, stackDirWith, STACKS, type Plan } from "./helpers/program";

/** The version each managed add-on is planned at: the aws.eks.Addon resources, and kube-proxy through @pulumi/eks. */
function plannedVersions(plan: Plan): Record<string, unknown> {
  const cluster = one(plan, "eks:index:Cluster");
  return {
    ...Object.fromEntries(
      ofType(plan, "aws:eks/addon:Addon").map((addon) => [addon.inputs.addonName, addon.inputs.addonVersion]),
    ),
    "kube-proxy": input(cluster, "kubeProxyAddonOptions.version"),
  };
}

describe("EKS managed add-on versions", () => {
  it("every cluster version's row pins every add-on to an EKS build, kube-proxy at the cluster's own minor", () => {
    assert.ok(EKS_ADDON_CLUSTER_VERSIONS.length >= 2);
    for (const [clusterVersion, row] of Object.entries(EKS_ADDON_VERSIONS)) {
      assert.deepEqual(Object.keys(row).sort(), [...EKS_ADDONS].sort(), clusterVersion);
      for (const [addon, version] of Object.entries(row))
        assert.match(version, /^v\d+\.\d+\.\d+-eksbuild\.\d+$/, `${clusterVersion} ${addon}`);
      assert.ok(
        row["kube-proxy"].startsWith(`v${clusterVersion}.`),
        `kube-proxy ${row["kube-proxy"]} on ${clusterVersion}`,
      );
    }
    assert.ok(EKS_ADDON_VERSIONS[environmentDefaults.dev.cluster.version], "the default cluster version has a row");
  });

  for (const stack of STACKS) {
    it(`${stack}: every managed add-on is planned at its cluster version's row`, () => {
      const { cluster } = loadCloud(sourceFor(stack));
      assert.deepEqual(plannedVersions(planFor(stack)), { ...eksAddonVersions(cluster.version) });
    });
  }

  it("raising platform:cluster.version brings that version's add-on row in the same plan", () => {
    const [newest, previous] = EKS_ADDON_CLUSTER_VERSIONS;
    assert.ok(newest && previous);
    const plan = planFor("dev", { "platform:cluster": { version: previous } });
    assert.equal(one(plan, "eks:index:Cluster").inputs.version, previous);
    assert.deepEqual(plannedVersions(plan), { ...eksAddonVersions(previous) });
    assert.notDeepEqual(eksAddonVersions(previous), eksAddonVersions(newest), "rows differ where AWS's builds do");
  });

  it("a cluster version without an add-on row: exit 2 naming platform:cluster.version and listing the versions there are", () => {
    const result = runPlanInProcess([
      "--stack",
      "dev",
      "--config-dir",
      stackDirWith("dev", { "platform:cluster": { version: "1.36" } }),
    ]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /platform:cluster\.version: got "1\.36"; expected a version whose EKS add-on versions/);
    assert.ok(result.stderr.includes(EKS_ADDON_CLUSTER_VERSIONS.join(", ")), result.stderr);
    assert.doesNotMatch(result.stdout, /aws:eks\/addon/);
  });
});
