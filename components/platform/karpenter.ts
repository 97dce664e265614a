import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KarpenterConfig } from "../../config/schema";
import { nodePoolLimits } from "../../config/instance-types";
import { NODE_METADATA_OPTIONS, NODE_ROOT_DEVICE } from "../cluster";
import { irsaRole } from "../irsa";
import {
  INTERRUPTION_EVENTS,
  interruptionQueuePolicy,
  KARPENTER_POLICIES,
  karpenterControllerPolicies,
} from "./karpenter-iam";
import { karpenterRuleGroup } from "./karpenter-rules";

export const KARPENTER_CHART = "karpenter";
export const KARPENTER_CRD_CHART = "karpenter-crd";
/** Karpenter's charts are OCI artifacts in the ECR Public registry. */
export const KARPENTER_REPOSITORY = "oci://public.ecr.aws/karpenter";
/** Its own namespace, under default-deny ingress (components/network-policies.ts). */
export const KARPENTER_NAMESPACE = "karpenter";
export const KARPENTER_SERVICE_ACCOUNT = "karpenter";
/** The tag Karpenter discovers the nodes' subnets and security group by. */
export const DISCOVERY_TAG = "karpenter.sh/discovery";
/** The one NodePool and EC2NodeClass. */
export const NODE_POOL = "default";
/** Ports the controller serves: metrics (scraped by Prometheus) and health probes (the kubelet). */
export const KARPENTER_METRICS_PORT = 8080;
export const KARPENTER_HEALTH_PORT = 8081;
/** The label EKS puts on a managed node group's nodes: the controller runs on the system pool only. */
const NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup";
/** Upstream's node role policies (the managed node group's role has the same four). */
const NODE_ROLE_POLICIES = {
  worker: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
  cni: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
  ecr: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
  ssm: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
};

export interface KarpenterArgs {
  config: KarpenterConfig;
  provider: k8s.Provider;
  region: string;
  clusterName: pulumi.Input<string>;
  clusterEndpoint: pulumi.Input<string>;
  oidcProviderArn: pulumi.Input<string>;
  oidcProviderUrl: pulumi.Input<string>;
  /** The EKS cluster security group the nodes carry; tagged for Karpenter's discovery. */
  nodeSecurityGroupId: pulumi.Input<string>;
  /** The managed node group (the system pool) the controller runs on. */
  systemNodeGroupName: pulumi.Input<string>;
  /** Root volume of each node, GB (the system pool's `cluster.nodeDiskGb`). */
  nodeDiskGb: number;
  /** Tags for the instances, volumes and interfaces Karpenter launches (the provider's default tags do not reach them). */
  tags: Record<string, string>;
  /** With kube-prometheus-stack: a ServiceMonitor and the alert rules, after the monitoring release (its CRDs). */
  monitoring?: { release: pulumi.Resource };
  /** The system pool and what else the releases wait for. */
  dependsOn: pulumi.Resource[];
}

/**
 * Node autoscaling: Karpenter on the system node group, with its IRSA role (upstream's controller
 * policies, scoped to this cluster), a node role with an EC2_LINUX access entry, an SSE-encrypted
 * interruption queue fed by EventBridge, and one NodePool/EC2NodeClass of Graviton nodes whose
 * limits derive from `karpenter.maxNodes`. CRDs come from the `karpenter-crd` chart, a release of
 * its own, because Helm installs a chart's `crds/` once and never upgrades them.
 */
export class Karpenter extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly nodeRoleArn: pulumi.Output<string>;
  readonly queueName: pulumi.Output<string>;

  constructor(name: string, args: KarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:platform:Karpenter", name, {}, opts);
    const { config } = args;
    const k8sOpts = { parent: this, provider: args.provider };

    const namespace = new k8s.core.v1.Namespace(
      `${name}-karpenter`,
      { metadata: { name: KARPENTER_NAMESPACE, labels: { "app.kubernetes.io/part-of": "platform" } } },
      { ...k8sOpts, dependsOn: args.dependsOn },
    );
    const nodeRole = this.nodeRole(name, args.clusterName);
    const queue = this.interruptionQueue(name);
    const controllerRole = this.controllerRole(name, args, nodeRole, queue);
    this.discoveryTag(name, args);

    const crds = new k8s.helm.v3.Release(
      `${name}-karpenter-crd`,
      {
        name: KARPENTER_CRD_CHART,
        chart: `${KARPENTER_REPOSITORY}/${KARPENTER_CRD_CHART}`,
        version: config.chartVersion,
        namespace: namespace.metadata.name,
        cleanupOnFail: true,
        maxHistory: 10,
      },
      { ...k8sOpts, dependsOn: args.dependsOn },
    );
    const controller = new k8s.helm.v3.Release(
      `${name}-karpenter`,
      {
        name: KARPENTER_CHART,
        chart: `${KARPENTER_REPOSITORY}/${KARPENTER_CHART}`,
        version: config.chartVersion,
        namespace: namespace.metadata.name,
        // The CRDs are the karpenter-crd release's, which Helm upgrades with the version.
        skipCrds: true,
        cleanupOnFail: true,
        maxHistory: 10,
        values: karpenterValues({
          clusterName: args.clusterName,
          clusterEndpoint: args.clusterEndpoint,
          queueName: queue.name,
          roleArn: controllerRole.arn,
          systemNodeGroupName: args.systemNodeGroupName,
          serviceMonitor: args.monitoring !== undefined,
        }),
      },
      {
        ...k8sOpts,
        dependsOn: [crds, ...args.dependsOn, ...(args.monitoring ? [args.monitoring.release] : [])],
      },
    );

    // The node class and pool wait for the controller, so a destroy deletes them first, while the
    // controller still runs to drain and terminate their nodes.
    const nodeClass = new k8s.apiextensions.CustomResource(
      `${name}-karpenter-node-class`,
      {
        apiVersion: "karpenter.k8s.aws/v1",
        kind: "EC2NodeClass",
        metadata: { name: NODE_POOL },
        spec: ec2NodeClassSpec({
          clusterName: args.clusterName,
          nodeRoleName: nodeRole.name,
          amiAlias: config.amiAlias,
          nodeDiskGb: args.nodeDiskGb,
          tags: args.tags,
        }),
      },
      { ...k8sOpts, dependsOn: [crds, controller] },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-karpenter-node-pool`,
      { apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: NODE_POOL }, spec: nodePoolSpec(config) },
      { ...k8sOpts, dependsOn: [crds, controller, nodeClass] },
    );
    if (args.monitoring)
      new k8s.apiextensions.CustomResource(
        `${name}-karpenter-alerts`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: {
            name: "karpenter-alerts",
            namespace: namespace.metadata.name,
            labels: { "app.kubernetes.io/part-of": "platform" },
          },
          spec: { groups: [karpenterRuleGroup()] },
        },
        { ...k8sOpts, dependsOn: [args.monitoring.release] },
      );

    this.namespace = namespace.metadata.name;
    this.nodeRoleArn = nodeRole.arn;
    this.queueName = queue.name;
    this.registerOutputs({ namespace: this.namespace, nodeRoleArn: this.nodeRoleArn, queueName: this.queueName });
  }

  /** The role Karpenter's nodes run as, with an EC2_LINUX access entry so they can join the cluster. */
  private nodeRole(name: string, clusterName: pulumi.Input<string>): aws.iam.Role {
    const role = new aws.iam.Role(
      `${name}-karpenter-node`,
      {
        description: `Nodes Karpenter launches in ${name}`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      },
      { parent: this },
    );
    for (const [short, policyArn] of Object.entries(NODE_ROLE_POLICIES))
      new aws.iam.RolePolicyAttachment(
        `${name}-karpenter-node-${short}`,
        { role: role.name, policyArn },
        { parent: this },
      );
    new aws.eks.AccessEntry(
      `${name}-karpenter-node`,
      { clusterName, principalArn: role.arn, type: "EC2_LINUX" },
      { parent: this },
    );
    return role;
  }

  /** Spot interruptions, rebalance recommendations, scheduled maintenance and state changes, through one queue. */
  private interruptionQueue(name: string): aws.sqs.Queue {
    const queue = new aws.sqs.Queue(
      `${name}-karpenter`,
      { messageRetentionSeconds: 300, sqsManagedSseEnabled: true },
      { parent: this },
    );
    new aws.sqs.QueuePolicy(
      `${name}-karpenter`,
      { queueUrl: queue.url, policy: queue.arn.apply((arn) => JSON.stringify(interruptionQueuePolicy(arn))) },
      { parent: this },
    );
    for (const [key, event] of Object.entries(INTERRUPTION_EVENTS)) {
      const rule = new aws.cloudwatch.EventRule(
        `${name}-karpenter-${key}`,
        {
          description: `${event.detailType} events for Karpenter in ${name}`,
          eventPattern: JSON.stringify({ source: [event.source], "detail-type": [event.detailType] }),
        },
        { parent: this },
      );
      new aws.cloudwatch.EventTarget(
        `${name}-karpenter-${key}`,
        { rule: rule.name, arn: queue.arn, targetId: "KarpenterInterruptionQueueTarget" },
        { parent: this },
      );
    }
    return queue;
  }

  /** The controller's IRSA role with upstream's six policies, each scoped to this cluster. */
  private controllerRole(name: string, args: KarpenterArgs, nodeRole: aws.iam.Role, queue: aws.sqs.Queue) {
    const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const documents = pulumi
      .all([args.clusterName, accountId, nodeRole.arn, queue.arn])
      .apply(([clusterName, id, nodeRoleArn, queueArn]) =>
        karpenterControllerPolicies({ clusterName, region: args.region, accountId: id, nodeRoleArn, queueArn }),
      );
    const policies = KARPENTER_POLICIES.map(
      (policy) =>
        new aws.iam.Policy(
          `${name}-karpenter-${policy}`,
          {
            description: `Karpenter controller in ${name}: upstream's Controller${policy}Policy`,
            policy: documents.apply((d) => JSON.stringify(d[policy])),
          },
          { parent: this },
        ),
    );
    return irsaRole(this, `${name}-karpenter-controller`, {
      oidcProviderArn: args.oidcProviderArn,
      oidcProviderUrl: args.oidcProviderUrl,
      namespace: KARPENTER_NAMESPACE,
      serviceAccount: KARPENTER_SERVICE_ACCOUNT,
      policyArns: policies.map((p) => p.arn),
    });
  }

  /**
   * The EKS-created cluster security group is not a resource of this stack, so its discovery tag
   * is a tag resource of its own (as terraform-aws-eks tags it); the private subnets carry theirs
   * from the network (components/network.ts).
   */
  private discoveryTag(name: string, args: KarpenterArgs): void {
    new aws.ec2.Tag(
      `${name}-karpenter-discovery-sg`,
      { resourceId: args.nodeSecurityGroupId, key: DISCOVERY_TAG, value: args.clusterName },
      { parent: this },
    );
  }
}

/** The karpenter chart's values (every key checked against the chart's values.yaml by a test). */
export function karpenterValues(args: {
  clusterName: pulumi.Input<string>;
  clusterEndpoint: pulumi.Input<string>;
  queueName: pulumi.Input<string>;
  roleArn: pulumi.Input<string>;
  systemNodeGroupName: pulumi.Input<string>;
  serviceMonitor: boolean;
}) {
  return {
    settings: {
      clusterName: args.clusterName,
      // Given, so the controller needs no DescribeCluster call at start.
      clusterEndpoint: args.clusterEndpoint,
      interruptionQueue: args.queueName,
    },
    serviceAccount: {
      create: true,
      name: KARPENTER_SERVICE_ACCOUNT,
      annotations: { "eks.amazonaws.com/role-arn": args.roleArn },
    },
    // Two replicas (leader election) on different system-pool nodes; never on a node Karpenter
    // manages, which it could consolidate away from under itself.
    replicas: 2,
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: "karpenter.sh/nodepool", operator: "DoesNotExist" },
                { key: NODEGROUP_LABEL, operator: "In", values: [args.systemNodeGroupName] },
              ],
            },
          ],
        },
      },
    },
    controller: {
      // Sized for one small NodePool; no CPU limit (throttling slows scheduling), memory capped.
      resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "512Mi" } },
    },
    serviceMonitor: { enabled: args.serviceMonitor },
  };
}

/** The EC2NodeClass: the pinned AL2023 AMI, IMDSv2 with hop limit 1, an encrypted gp3 root, discovery by tag. */
export function ec2NodeClassSpec(args: {
  clusterName: pulumi.Input<string>;
  nodeRoleName: pulumi.Input<string>;
  amiAlias: string;
  nodeDiskGb: number;
  tags: Record<string, string>;
}) {
  const discovery = [{ tags: { [DISCOVERY_TAG]: args.clusterName } }];
  return {
    role: args.nodeRoleName,
    amiSelectorTerms: [{ alias: args.amiAlias }],
    subnetSelectorTerms: discovery,
    securityGroupSelectorTerms: discovery,
    // The same metadata options as the managed node group's launch template: pods cannot reach the node role.
    metadataOptions: {
      httpEndpoint: NODE_METADATA_OPTIONS.httpEndpoint,
      httpProtocolIPv6: "disabled",
      httpPutResponseHopLimit: NODE_METADATA_OPTIONS.httpPutResponseHopLimit,
      httpTokens: NODE_METADATA_OPTIONS.httpTokens,
    },
    blockDeviceMappings: [
      {
        deviceName: NODE_ROOT_DEVICE,
        ebs: { volumeSize: `${args.nodeDiskGb}Gi`, volumeType: "gp3", encrypted: true, deleteOnTermination: true },
      },
    ],
    tags: args.tags,
  };
}

/** The NodePool: Graviton arm64 Linux of the allowed types and capacity, limits from `maxNodes`, consolidation, expiry. */
export function nodePoolSpec(config: KarpenterConfig) {
  const limits = nodePoolLimits(config.instanceTypes, config.maxNodes);
  // Config validation refuses a type without a known size, so this is a bug, not bad input.
  if (!limits) throw new Error(`karpenter: no size for one of ${config.instanceTypes.join(", ")}`);
  return {
    template: {
      spec: {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: NODE_POOL },
        requirements: [
          { key: "kubernetes.io/arch", operator: "In", values: ["arm64"] },
          { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
          { key: "karpenter.sh/capacity-type", operator: "In", values: [...config.capacityTypes] },
          { key: "node.kubernetes.io/instance-type", operator: "In", values: [...config.instanceTypes] },
        ],
        expireAfter: config.expireAfter,
      },
    },
    disruption: {
      consolidationPolicy: "WhenEmptyOrUnderutilized",
      consolidateAfter: config.consolidateAfter,
      // At most one node in ten (at least one) disrupted at a time by consolidation, drift or expiry.
      budgets: [{ nodes: "10%" }],
    },
    limits: { cpu: String(limits.cpu), memory: `${limits.memoryGib}Gi` },
  };
}
