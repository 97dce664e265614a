import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../config";
import { eksAddonVersions } from "../config/eks-addons";
import { DRY_RUN_GROUP, DryRunAccess } from "./dry-run-access";
import { irsaRole } from "./irsa";

/** Every control-plane log type EKS can ship to CloudWatch. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];
export const CLUSTER_ADMIN_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
/**
 * The AWS access policy of each level in `platform:cluster.accessPrincipals`. `view` is the
 * admin-view policy (every resource, Secrets included, read-only): a refresh reads the Secrets
 * this stack manages. Kubernetes authorizes a server-side dry-run as the write it simulates: a
 * view principal also joins DRY_RUN_GROUP, which may write and only dry-run (DryRunAccess).
 */
export const ACCESS_POLICY_ARNS: Record<ClusterConfig["accessPrincipals"][number]["level"], string> = {
  admin: CLUSTER_ADMIN_POLICY_ARN,
  view: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy",
};
/**
 * Instance metadata on every node: IMDSv2 only, with a hop limit of 1, so a pod (one network hop
 * further) cannot get the node role's credentials; host-network agents (VPC CNI) still can.
 */
export const NODE_METADATA_OPTIONS = {
  httpEndpoint: "enabled",
  httpTokens: "required",
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: "disabled",
} as const;
/** The AL2023 AMIs' root device, which the launch template sizes. */
export const NODE_ROOT_DEVICE = "/dev/xvda";
/** Node AMI for the arm64 node groups: Graviton nodes run the same images as the Pi. */
export const NODE_AMI_TYPE = "AL2023_ARM_64_STANDARD";
export const GP3_STORAGE_CLASS = "gp3";
/** The VPC CNI add-on's configuration: NetworkPolicy enforcement on (off by default). */
export const VPC_CNI_CONFIGURATION = { enableNetworkPolicy: "true" } as const;

export interface ClusterArgs {
  /** `platform:cluster`: version, node sizes, Spot, endpoint CIDRs, access principals. */
  config: ClusterConfig;
  vpcId: pulumi.Input<string>;
  /** Nodes and the control plane's network interfaces. */
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** For internet-facing load balancers. */
  publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Protect the secrets-encryption key and turn on EKS deletion protection (`platform:protect`). */
  protect: boolean;
}

/**
 * One EKS access entry per configured principal, keyed by its name, with its level's policy on the
 * whole cluster; except the principal that creates the cluster, whose admin entry EKS makes itself
 * (@pulumi/eks sets bootstrapClusterCreatorAdminPermissions) and would refuse a second time.
 */
export function accessEntries(
  principals: ClusterConfig["accessPrincipals"],
): Record<string, eks.types.input.AccessEntryArgs> {
  return Object.fromEntries(
    principals
      .filter((p) => !p.createsCluster)
      .map(({ name, arn, level }) => [
        name,
        {
          principalArn: arn,
          accessPolicies: { [level]: { policyArn: ACCESS_POLICY_ARNS[level], accessScope: { type: "cluster" } } },
          // A view principal previews: it may dry-run writes, and only dry-run them (DryRunAccess).
          ...(level === "view" ? { kubernetesGroups: [DRY_RUN_GROUP] } : {}),
        },
      ]),
  );
}

/**
 * EKS with the settings a production cluster needs: pinned version on STANDARD support (AWS
 * defaults to EXTENDED at six times the price), API access entries instead of aws-auth, OIDC for
 * IAM roles for service accounts, every control-plane log, secrets envelope-encrypted with KMS,
 * a private endpoint plus a public one limited to configured CIDRs, one managed arm64 node group,
 * managed add-ons including the EBS CSI driver, and a gp3 default StorageClass.
 *
 * `provider` is the only way other components reach the cluster.
 */
export class Cluster extends pulumi.ComponentResource {
  readonly name: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  /** The EKS-managed security group the managed nodes carry: what data stores allow in. */
  readonly nodeSecurityGroupId: pulumi.Output<string>;
  readonly oidcProviderArn: pulumi.Output<string>;
  readonly oidcProviderUrl: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly storageClassName = GP3_STORAGE_CLASS;
  /** The API server's URL and its CA (PEM): what a client outside the VPC (the Pi) pins. */
  readonly endpoint: pulumi.Output<string>;
  readonly certificateAuthorityPem: pulumi.Output<string>;
  /** What workloads with volumes wait for: nodes to run on, the EBS CSI driver and the gp3 class. */
  readonly workloadsReady: pulumi.Resource[];

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:cluster:Cluster", name, {}, opts);
    const { config } = args;
    // Pinned per cluster version: a version bump upgrades the add-ons in the same `up`.
    const addonVersions = eksAddonVersions(config.version);

    const secretsKey = new aws.kms.Key(
      `${name}-secrets`,
      {
        description: `Envelope encryption of Kubernetes secrets in ${name}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
      },
      { parent: this, protect: args.protect },
    );

    // EKS would create this group itself with no retention (logs kept, and billed, forever).
    const controlPlaneLogs = new aws.cloudwatch.LogGroup(
      `${name}-control-plane`,
      { name: `/aws/eks/${name}/cluster`, retentionInDays: config.logRetentionDays },
      { parent: this },
    );

    const cluster = new eks.Cluster(
      `${name}-eks`,
      {
        // Named so that the control-plane log group above is the one EKS writes to.
        name,
        version: config.version,
        upgradePolicy: { supportType: "STANDARD" },
        vpcId: args.vpcId,
        privateSubnetIds: args.privateSubnetIds,
        publicSubnetIds: args.publicSubnetIds,
        nodeAssociatePublicIpAddress: false,
        skipDefaultNodeGroup: true,
        // Managed nodes then carry the EKS-created cluster security group, and nodeSecurityGroupId
        // is that group: the one the database and cache allow.
        skipDefaultSecurityGroups: true,
        // Networking and DNS run as EKS managed add-ons (below), upgraded with the cluster version:
        // kube-proxy through the component, the VPC CNI and CoreDNS adopted from the bootstrap
        // install (the component manages CoreDNS only with its default node group).
        kubeProxyAddonOptions: {
          enabled: true,
          version: addonVersions["kube-proxy"],
          resolveConflictsOnCreate: "OVERWRITE",
          resolveConflictsOnUpdate: "OVERWRITE",
        },
        corednsAddonOptions: { enabled: false },
        authenticationMode: "API",
        accessEntries: accessEntries(config.accessPrincipals),
        createOidcProvider: true,
        enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
        encryptionConfigKeyArn: secretsKey.arn,
        endpointPrivateAccess: true,
        endpointPublicAccess: config.publicAccessCidrs.length > 0,
        publicAccessCidrs: config.publicAccessCidrs.length > 0 ? config.publicAccessCidrs : undefined,
        deletionProtection: args.protect,
      },
      { parent: this, dependsOn: [controlPlaneLogs] },
    );
    const clusterName = cluster.eksCluster.name;

    const nodeRole = this.nodeRole(name);
    // With a launch template the root volume is sized there (EKS refuses diskSize next to one).
    const launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-nodes`,
      {
        description: `Nodes of ${name}: IMDSv2 with hop limit 1, encrypted gp3 root volume`,
        metadataOptions: NODE_METADATA_OPTIONS,
        blockDeviceMappings: [
          {
            deviceName: NODE_ROOT_DEVICE,
            ebs: { volumeSize: config.nodeDiskGb, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
          },
        ],
        updateDefaultVersion: true,
      },
      { parent: this },
    );
    const nodeGroup = new aws.eks.NodeGroup(
      `${name}-nodes`,
      {
        clusterName,
        nodeRoleArn: nodeRole.arn,
        subnetIds: args.privateSubnetIds,
        amiType: NODE_AMI_TYPE,
        instanceTypes: config.instanceTypes,
        capacityType: config.spot ? "SPOT" : "ON_DEMAND",
        // By name: the cost estimate finds the template's volume size through it.
        launchTemplate: { name: launchTemplate.name, version: pulumi.interpolate`${launchTemplate.latestVersion}` },
        scalingConfig: { minSize: config.minNodes, maxSize: config.maxNodes, desiredSize: config.desiredNodes },
        updateConfig: { maxUnavailable: 1 },
      },
      // desiredNodes applies at creation; afterwards a scaling change (by hand, or by an autoscaler
      // installed later) is not reverted by the next `up`.
      { parent: this, dependsOn: [cluster], ignoreChanges: ["scalingConfig.desiredSize"] },
    );

    // The VPC CNI is there from the start (the bootstrap DaemonSet); CoreDNS and metrics-server
    // pods need nodes. The CNI enforces NetworkPolicies (its network policy agent); metrics-server
    // gives HPAs their CPU and memory metrics.
    const addons = [
      ["vpc-cni", cluster, VPC_CNI_CONFIGURATION],
      ["coredns", nodeGroup, undefined],
      ["metrics-server", nodeGroup, undefined],
    ] as const;
    for (const [addonName, after, configuration] of addons) {
      new aws.eks.Addon(
        `${name}-${addonName}`,
        {
          clusterName,
          addonName,
          addonVersion: addonVersions[addonName],
          ...(configuration ? { configurationValues: JSON.stringify(configuration) } : {}),
          resolveConflictsOnCreate: "OVERWRITE",
          resolveConflictsOnUpdate: "OVERWRITE",
        },
        { parent: this, dependsOn: [after] },
      );
    }

    const ebsCsiRole = irsaRole(this, `${name}-ebs-csi`, {
      oidcProviderArn: cluster.oidcProviderArn,
      oidcProviderUrl: cluster.oidcProviderUrl,
      namespace: "kube-system",
      serviceAccount: "ebs-csi-controller-sa",
      managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
    });
    const ebsCsi = new aws.eks.Addon(
      `${name}-ebs-csi`,
      {
        clusterName,
        addonName: "aws-ebs-csi-driver",
        addonVersion: addonVersions["aws-ebs-csi-driver"],
        serviceAccountRoleArn: ebsCsiRole.arn,
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
      },
      { parent: this, dependsOn: [cluster] },
    );

    const kubeconfig = pulumi.secret(cluster.kubeconfigJson);
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig, enableServerSideApply: true }, { parent: this });
    if (config.accessPrincipals.some((p) => p.level === "view"))
      new DryRunAccess(name, { provider: this.provider }, { parent: this });
    const storageClass = new k8s.storage.v1.StorageClass(
      `${name}-gp3`,
      {
        metadata: { name: GP3_STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "ebs.csi.aws.com",
        parameters: { type: "gp3", encrypted: "true", fsType: "ext4" },
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
        reclaimPolicy: "Delete",
      },
      { parent: this, provider: this.provider, dependsOn: [ebsCsi] },
    );

    this.name = clusterName;
    this.endpoint = cluster.eksCluster.endpoint;
    this.certificateAuthorityPem = cluster.eksCluster.certificateAuthority.apply((ca) =>
      Buffer.from(ca.data ?? "", "base64").toString("utf8"),
    );
    this.workloadsReady = [nodeGroup, ebsCsi, storageClass];
    this.nodeSecurityGroupId = cluster.nodeSecurityGroupId;
    this.oidcProviderArn = cluster.oidcProviderArn;
    this.oidcProviderUrl = cluster.oidcProviderUrl;
    this.kubeconfig = kubeconfig;
    this.registerOutputs({
      name: this.name,
      endpoint: this.endpoint,
      nodeSecurityGroupId: this.nodeSecurityGroupId,
      oidcProviderArn: this.oidcProviderArn,
      kubeconfig: this.kubeconfig,
    });
  }

  private nodeRole(name: string): aws.iam.Role {
    const role = new aws.iam.Role(
      `${name}-node`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      },
      { parent: this },
    );
    const policies = {
      worker: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
      cni: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
      ecr: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
      ssm: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    };
    for (const [short, policyArn] of Object.entries(policies)) {
      new aws.iam.RolePolicyAttachment(`${name}-node-${short}`, { role: role.name, policyArn }, { parent: this });
    }
    return role;
  }
}
