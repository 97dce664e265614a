import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/**
 * The Kubernetes group the `view` principals' access entries carry (EKS reserves `system:` and
 * `eks:` prefixes). Kubernetes authorizes a server-side dry-run as the write it simulates, so a
 * read-only principal cannot preview; this group may write, and an admission policy refuses every
 * write from it that is not a dry-run.
 */
export const DRY_RUN_GROUP = "platform-dry-run";

/**
 * The API groups the stack's Kubernetes resources belong to: what a preview dry-runs. Not
 * `admissionregistration.k8s.io`: the group must not be able to touch the policy that holds it.
 */
export const DRY_RUN_API_GROUPS = [
  "",
  "apps",
  "batch",
  "autoscaling",
  "policy",
  "networking.k8s.io",
  "rbac.authorization.k8s.io",
  "storage.k8s.io",
  "monitoring.coreos.com",
];

/** The CEL the admission policy runs: a request from the group passes only as a dry-run. */
export const DRY_RUN_ONLY = "has(request.dryRun) && request.dryRun == true";
export const IN_DRY_RUN_GROUP = `request.userInfo.groups.exists(g, g == '${DRY_RUN_GROUP}')`;

export interface DryRunAccessArgs {
  provider: k8s.Provider;
}

/**
 * Server-side dry-run for read-only principals (previews and the drift check): a ClusterRole
 * that may write the stack's API groups, bound to DRY_RUN_GROUP, and a ValidatingAdmissionPolicy
 * (GA since Kubernetes 1.30) that denies any write from that group unless it is a dry-run. Reads
 * come from the principal's AmazonEKSAdminViewPolicy.
 */
export class DryRunAccess extends pulumi.ComponentResource {
  constructor(name: string, args: DryRunAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:cluster:DryRunAccess", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    // The policy first: the role is never usable without it.
    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${name}-dry-run-only`,
      {
        metadata: { name: "platform-dry-run-only" },
        spec: {
          failurePolicy: "Fail",
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: ["*"],
                apiVersions: ["*"],
                operations: ["CREATE", "UPDATE", "DELETE", "CONNECT"],
                resources: ["*", "*/*"],
              },
            ],
          },
          matchConditions: [{ name: "in-dry-run-group", expression: IN_DRY_RUN_GROUP }],
          validations: [
            { expression: DRY_RUN_ONLY, message: `members of ${DRY_RUN_GROUP} may only dry-run writes (previews)` },
          ],
        },
      },
      k8sOpts,
    );
    const binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      `${name}-dry-run-only`,
      {
        metadata: { name: "platform-dry-run-only" },
        spec: { policyName: policy.metadata.name, validationActions: ["Deny"] },
      },
      k8sOpts,
    );
    const role = new k8s.rbac.v1.ClusterRole(
      `${name}-dry-run`,
      {
        metadata: { name: DRY_RUN_GROUP },
        rules: [{ apiGroups: DRY_RUN_API_GROUPS, resources: ["*"], verbs: ["create", "update", "patch", "delete"] }],
      },
      { ...k8sOpts, dependsOn: [binding] },
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-dry-run`,
      {
        metadata: { name: DRY_RUN_GROUP },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: DRY_RUN_GROUP }],
      },
      { ...k8sOpts, dependsOn: [binding] },
    );
    this.registerOutputs({});
  }
}
