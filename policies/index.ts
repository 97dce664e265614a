import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./rules";

// The only place the pack is constructed: `new PolicyPack` starts the analyzer server the CLI
// talks to, so the offline evaluator (tools/plan/policy.ts) imports ./rules instead.
new PolicyPack("platform", {
  description:
    "Guardrails for the platform stacks: AWS data services, EKS, networking, the Raspberry Pi edge and stack-wide budgets.",
  enforcementLevel: "mandatory",
  policies: allPolicies,
});
