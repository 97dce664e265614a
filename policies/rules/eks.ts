import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, schema, validateTypes } from "../lib/policy";
import { expectKnown, isUnknown, known, UNKNOWN, type Unknown } from "../lib/values";

/** `@pulumi/eks`'s component (its inputs are what the plan and the engine see) and the raw resource. */
export const EKS_CLUSTER_TYPES = ["eks:index:Cluster", "aws:eks/cluster:Cluster"];
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];
const OPEN_CIDRS = ["0.0.0.0/0", "::/0"];

type Props = Record<string, unknown>;
type Value = unknown;

/** The settings the rules read, from either type's inputs (with each type's defaults applied). */
interface EksView {
  version: Value;
  supportType: Value;
  publicEndpoint: Value;
  publicAccessCidrs: Value;
  logTypes: Value;
  secretsKeyArn: Value;
}

const at = (v: Value, key: string): Value =>
  isUnknown(v) ? UNKNOWN : v && typeof v === "object" ? (v as Props)[key] : undefined;

function viewOf(args: ResourceValidationArgs): EksView {
  const p = known(args.props) as Props;
  if (args.type === "eks:index:Cluster") {
    return {
      version: p.version,
      supportType: at(p.upgradePolicy, "supportType"),
      // @pulumi/eks defaults: public endpoint on, open to the world.
      publicEndpoint: p.endpointPublicAccess ?? true,
      publicAccessCidrs: p.publicAccessCidrs ?? ["0.0.0.0/0"],
      logTypes: p.enabledClusterLogTypes ?? [],
      secretsKeyArn: p.encryptionConfigKeyArn,
    };
  }
  const vpc = p.vpcConfig;
  const encryption = p.encryptionConfig;
  const keyArn = at(at(encryption, "provider"), "keyArn");
  const resources = at(encryption, "resources");
  return {
    version: p.version,
    supportType: at(p.upgradePolicy, "supportType"),
    publicEndpoint: at(vpc, "endpointPublicAccess") ?? true,
    publicAccessCidrs: at(vpc, "publicAccessCidrs") ?? ["0.0.0.0/0"],
    logTypes: p.enabledClusterLogTypes ?? [],
    secretsKeyArn: Array.isArray(resources) && !resources.includes("secrets") ? undefined : keyArn,
  };
}

const eksRule = (
  name: string,
  description: string,
  check: (view: EksView, args: ResourceValidationArgs, report: (m: string) => void) => void,
): ResourceValidationPolicy => ({
  name,
  description,
  enforcementLevel: "mandatory",
  validateResource: validateTypes(EKS_CLUSTER_TYPES, (args, report) => check(viewOf(args), args, (m) => report(m))),
});

export const eksUpgradePolicyPolicy = eksRule(
  "eks-upgrade-policy-standard",
  'EKS clusters are on STANDARD support: extended support costs 6x per cluster hour and hides an overdue upgrade. Fix: upgradePolicy { supportType: "STANDARD" } and keep the version current.',
  (v, _args, report) =>
    expectKnown(
      v.supportType,
      (s) => s === "STANDARD",
      report,
      `upgradePolicy.supportType is ${JSON.stringify(v.supportType ?? "unset (AWS defaults to EXTENDED)")}; set "STANDARD".`,
    ),
);

export const eksPublicEndpointPolicy = eksRule(
  "eks-public-endpoint-restricted",
  "An EKS public API endpoint is limited to known CIDRs, never 0.0.0.0/0 or ::/0. Fix: set publicAccessCidrs (platform:cluster.publicAccessCidrs) or turn the public endpoint off.",
  (v, _args, report) => {
    if (isUnknown(v.publicEndpoint) || v.publicEndpoint !== true) return;
    expectKnown(
      v.publicAccessCidrs,
      (cidrs) => Array.isArray(cidrs) && !cidrs.some((c) => OPEN_CIDRS.includes(String(c))),
      report,
      "the public API endpoint is open to the internet (publicAccessCidrs unset or contains 0.0.0.0/0 or ::/0).",
    );
  },
);

export const eksControlPlaneLoggingPolicy = eksRule(
  "eks-control-plane-logging",
  `EKS clusters send all control-plane log types (${CONTROL_PLANE_LOG_TYPES.join(", ")}) to CloudWatch. Fix: list them all in enabledClusterLogTypes.`,
  (v, _args, report) => {
    if (isUnknown(v.logTypes) || !Array.isArray(v.logTypes)) return;
    if (v.logTypes.some(isUnknown)) return;
    const missing = CONTROL_PLANE_LOG_TYPES.filter((t) => !(v.logTypes as unknown[]).includes(t));
    if (missing.length) report(`control-plane log types not enabled: ${missing.join(", ")}.`);
  },
);

export const eksSecretsEncryptionPolicy = eksRule(
  "eks-secrets-encryption",
  'EKS clusters envelope-encrypt Kubernetes secrets with a KMS key. Fix: encryptionConfigKeyArn (eks.Cluster) or encryptionConfig { resources: ["secrets"], provider.keyArn }.',
  (v, _args, report) => {
    // An unknown ARN is the ARN of a key being created: set.
    if (v.secretsKeyArn === undefined || v.secretsKeyArn === null || v.secretsKeyArn === "")
      report("secrets are not encrypted with a KMS key.");
  },
);

export interface EksVersionConfig {
  /** Kubernetes minor versions allowed, e.g. ["1.34", "1.35"]. */
  allowedVersions: string[];
}
const VERSION_DEFAULTS: EksVersionConfig = { allowedVersions: ["1.33", "1.34", "1.35"] };

export const eksAllowedVersionPolicy: ResourceValidationPolicy = {
  ...eksRule(
    "eks-allowed-version",
    'EKS clusters pin a Kubernetes version from the allowed list (config allowedVersions). Fix: set version (platform:cluster.version) to an allowed one; unset means "latest at create", which drifts.',
    () => undefined,
  ),
  configSchema: schema({
    allowedVersions: {
      type: "array",
      items: { type: "string" },
      default: VERSION_DEFAULTS.allowedVersions,
      description: "Allowed Kubernetes versions.",
    },
  }),
  validateResource: validateTypes(EKS_CLUSTER_TYPES, (args, report) => {
    const { allowedVersions } = configOf(args, VERSION_DEFAULTS);
    const version = viewOf(args).version as string | Unknown | undefined;
    expectKnown(
      version,
      (ver) => typeof ver === "string" && allowedVersions.includes(ver),
      report,
      `version ${JSON.stringify(version ?? "unset")} is not on the allowed list (${allowedVersions.join(", ")}).`,
    );
  }),
};

export const eksPolicies = [
  eksUpgradePolicyPolicy,
  eksPublicEndpointPolicy,
  eksControlPlaneLoggingPolicy,
  eksSecretsEncryptionPolicy,
  eksAllowedVersionPolicy,
];
