import type { ResourceValidationPolicy } from "@pulumi/policy";
import { validateTypes } from "../lib/policy";
import { expectKnown, known } from "../lib/values";

export const HELM_TYPES = [
  "kubernetes:helm.sh/v3:Release",
  "kubernetes:helm.sh/v3:Chart",
  "kubernetes:helm.sh/v4:Chart",
];
/** An exact SemVer version: no ranges (^, ~, >=, x, *), no "latest". */
export const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export const helmChartVersionPolicy: ResourceValidationPolicy = {
  name: "helm-chart-version-pinned",
  description:
    'Helm releases and charts pin an exact chart version, so a preview today deploys what it deploys tomorrow. Fix: set version to an exact SemVer (e.g. "79.5.0"), not a range or nothing.',
  enforcementLevel: "mandatory",
  validateResource: validateTypes(HELM_TYPES, (args, report) => {
    const version = (known(args.props) as Record<string, unknown>).version;
    expectKnown(
      version,
      (v) => typeof v === "string" && EXACT_VERSION.test(v),
      report,
      `chart version ${JSON.stringify(version ?? "unset")} is not an exact version.`,
    );
  }),
};
