/**
 * The EKS managed add-ons' versions, pinned per Kubernetes version: raising
 * `platform:cluster.version` brings the row of the new version, so the add-ons move with the
 * control plane in the same `up` (EKS leaves an add-on at its old version otherwise, and a
 * kube-proxy more than one minor behind the control plane is unsupported). A cluster version
 * without a row is a configuration error listing the versions there are.
 *
 * Adding a row (before an upgrade): for each add-on,
 *   aws eks describe-addon-versions --kubernetes-version <version> --addon-name <name> \
 *     --query 'addons[].addonVersions[].addonVersion'
 * and take the newest build, checking it against AWS's table where there is one (sources below).
 *
 * Sources (read 2026-11-29; the documentation site is not reachable from the machine the rows
 * were written on, so each value was read from a stored copy of the page or of real clusters'
 * pinned or running versions):
 * - kube-proxy: "Manage kube-proxy in Amazon EKS clusters", table "kube-proxy versions"
 *   (docs.aws.amazon.com/eks/latest/userguide/managing-kube-proxy.html): 1.35 v1.35.3-eksbuild.2,
 *   1.34 v1.34.6-eksbuild.2, 1.33 v1.33.10-eksbuild.2.
 * - coredns: "Manage CoreDNS for DNS in Amazon EKS clusters", table "CoreDNS versions"
 *   (docs.aws.amazon.com/eks/latest/userguide/managing-coredns.html): 1.35 v1.14.2-eksbuild.4,
 *   1.34 v1.13.2-eksbuild.7; 1.33 v1.13.2-eksbuild.4 from an earlier revision of that table.
 * - vpc-cni: "Assign IPs to Pods with the Amazon VPC CNI", table "Amazon VPC CNI versions"
 *   (docs.aws.amazon.com/eks/latest/userguide/managing-vpc-cni.html), whose stored copies stop at
 *   1.33 with one version for every cluster version; v1.21.1-eksbuild.7 is the build clusters of
 *   1.30, 1.33, 1.34 and 1.35 pin or run (public EKS configurations), so it is one version here too.
 * - metrics-server: the EKS add-on (docs.aws.amazon.com/eks/latest/userguide/metrics-server.html),
 *   no version table in the docs; v0.8.1-eksbuild.6 is in `describe-addon-versions`' list for 1.35
 *   as quoted by public configurations, and runs on 1.3x clusters.
 * - aws-ebs-csi-driver: the EKS add-on (docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html), no
 *   version table; v1.59.0-eksbuild.1, the build public configurations pin with 1.35 and run on 1.30.
 * Unproven until `pulumi up`: EKS accepts each (an unknown version fails the add-on's create or
 * update with InvalidParameterException, before it touches the running add-on).
 */
export const EKS_ADDONS = ["vpc-cni", "coredns", "kube-proxy", "metrics-server", "aws-ebs-csi-driver"] as const;
export type EksAddon = (typeof EKS_ADDONS)[number];

const VPC_CNI = "v1.21.1-eksbuild.7";
const METRICS_SERVER = "v0.8.1-eksbuild.6";
const EBS_CSI = "v1.59.0-eksbuild.1";

/** Add-on versions by `platform:cluster.version`. */
export const EKS_ADDON_VERSIONS: Readonly<Record<string, Readonly<Record<EksAddon, string>>>> = {
  "1.35": {
    "vpc-cni": VPC_CNI,
    coredns: "v1.14.2-eksbuild.4",
    "kube-proxy": "v1.35.3-eksbuild.2",
    "metrics-server": METRICS_SERVER,
    "aws-ebs-csi-driver": EBS_CSI,
  },
  "1.34": {
    "vpc-cni": VPC_CNI,
    coredns: "v1.13.2-eksbuild.7",
    "kube-proxy": "v1.34.6-eksbuild.2",
    "metrics-server": METRICS_SERVER,
    "aws-ebs-csi-driver": EBS_CSI,
  },
  "1.33": {
    "vpc-cni": VPC_CNI,
    coredns: "v1.13.2-eksbuild.4",
    "kube-proxy": "v1.33.10-eksbuild.2",
    "metrics-server": METRICS_SERVER,
    "aws-ebs-csi-driver": EBS_CSI,
  },
};

/** The cluster versions with a row, newest first. */
export const EKS_ADDON_CLUSTER_VERSIONS = Object.keys(EKS_ADDON_VERSIONS).sort(
  (a, b) => Number(b.split(".")[1]) - Number(a.split(".")[1]),
);

/** The add-on versions of a cluster version; config validation guarantees the row exists. */
export function eksAddonVersions(clusterVersion: string): Readonly<Record<EksAddon, string>> {
  const row = EKS_ADDON_VERSIONS[clusterVersion];
  if (!row)
    throw new Error(
      `no EKS add-on versions for cluster version ${clusterVersion} (config/eks-addons.ts has ${EKS_ADDON_CLUSTER_VERSIONS.join(", ")})`,
    );
  return row;
}
