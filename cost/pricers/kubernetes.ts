import {
  asNumber,
  asString,
  at,
  free,
  line,
  unpriced,
  type CostResource,
  type LineDraft,
  type Outcome,
  type PricingContext,
} from "../types";
import { loadBalancerLines, sharedAlbLines, vpcAzCount } from "./network";

const GIB = 2 ** 30;
const UNITS: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: GIB,
  Ti: 2 ** 40,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  "": 1,
};

/** A Kubernetes quantity ("20Gi", "50G") in GiB, which is what EBS bills as a GB; undefined when unparseable. */
export function quantityGb(quantity: unknown): number | undefined {
  const match = typeof quantity === "string" ? /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|)$/.exec(quantity.trim()) : null;
  if (!match) return typeof quantity === "number" ? quantity / GIB : undefined;
  const [, amount, suffix = ""] = match;
  const unit = UNITS[suffix];
  return unit === undefined ? undefined : (Number(amount) * unit) / GIB;
}

/** A persistent volume some object asks for: where, how big, how many copies, which class. */
export interface Claim {
  path: string;
  size: unknown;
  replicas: number;
  storageClassName?: string;
}

/**
 * Every volume claim in a manifest or chart values: `volumeClaimTemplate` (Prometheus operator
 * CRs, kube-prometheus-stack values), `volumeClaimTemplates` (StatefulSets) and
 * `persistence: { enabled: true, size }` (Grafana and most charts), each times the nearest `replicas`.
 */
export function claimsIn(node: unknown, path = "", replicas = 1): Claim[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => claimsIn(item, `${path}[${i}]`, replicas));
  if (node === null || typeof node !== "object") return [];
  const record = node as Record<string, unknown>;
  const copies = asNumber(record.replicas) ?? replicas;
  const claims: Claim[] = [];
  const template = record.volumeClaimTemplate;
  if (template && typeof template === "object")
    claims.push({
      path: `${path}.volumeClaimTemplate`,
      size: at(template, "spec", "resources", "requests", "storage"),
      replicas: copies,
      storageClassName: asString(at(template, "spec", "storageClassName")),
    });
  if (Array.isArray(record.volumeClaimTemplates))
    record.volumeClaimTemplates.forEach((t, i) =>
      claims.push({
        path: `${path}.volumeClaimTemplates[${i}]`,
        size: at(t, "spec", "resources", "requests", "storage"),
        replicas: copies,
        storageClassName: asString(at(t, "spec", "storageClassName")),
      }),
    );
  const persistence = record.persistence;
  if (at(persistence, "enabled") === true)
    claims.push({
      path: `${path}.persistence`,
      size: at(persistence, "size"),
      replicas: copies,
      storageClassName: asString(at(persistence, "storageClassName")),
    });
  for (const [key, child] of Object.entries(record))
    if (key !== "volumeClaimTemplate" && key !== "volumeClaimTemplates" && key !== "persistence")
      claims.push(...claimsIn(child, path ? `${path}.${key}` : key, copies));
  return claims;
}

/** The EBS volume type behind a storage class (the cluster's default class when none is named). */
function volumeType(className: string | undefined, ctx: PricingContext): string | undefined {
  const classes = ctx.resources.filter((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass");
  const found = className
    ? classes.find((c) => at(c.inputs, "metadata", "name") === className)
    : classes.find(
        (c) => at(c.inputs, "metadata", "annotations", "storageclass.kubernetes.io/is-default-class") === "true",
      );
  if (!found || at(found.inputs, "provisioner") !== "ebs.csi.aws.com") return undefined;
  return asString(at(found.inputs, "parameters", "type")) ?? "gp3";
}

function priceClaims(claims: Claim[], ctx: PricingContext): { drafts: LineDraft[]; problems: string[] } {
  const drafts: LineDraft[] = [];
  const problems: string[] = [];
  for (const claim of claims) {
    const gb = quantityGb(claim.size);
    const type = volumeType(claim.storageClassName, ctx);
    if (gb === undefined)
      problems.push(`${claim.path}: size ${JSON.stringify(claim.size)} is not a Kubernetes quantity`);
    else if (type !== "gp3")
      problems.push(
        `${claim.path}: storage class ${claim.storageClassName ?? "(default)"} is not a gp3 EBS class of this program`,
      );
    else drafts.push(line(`EBS gp3 volume ${claim.path}`, claim.replicas * gb, ctx.prices.ebsGp3GbMonth));
  }
  return { drafts, problems };
}

const LB_TYPE = "service.beta.kubernetes.io/aws-load-balancer-type";
const LB_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme";
const LB_INTERNAL = "service.beta.kubernetes.io/aws-load-balancer-internal";

/** Load balancers land in the public subnets, one per AZ. */
function azCount(ctx: PricingContext): number {
  const vpc = ctx.resources.find((r) => r.type === "awsx:ec2:Vpc");
  return vpc ? vpcAzCount(vpc) : 2;
}

/** A Service of type LoadBalancer: an NLB when annotated for one; the in-tree default (a Classic LB) is not in the table. */
function serviceLoadBalancer(
  where: string,
  service: unknown,
  ctx: PricingContext,
): { drafts: LineDraft[]; problems: string[] } {
  const annotations = (at(service, "metadata", "annotations") ?? at(service, "annotations") ?? {}) as Record<
    string,
    unknown
  >;
  const kind = annotations[LB_TYPE];
  if (kind !== "nlb" && kind !== "external" && kind !== "nlb-ip")
    return {
      drafts: [],
      problems: [
        `${where}: a LoadBalancer Service without ${LB_TYPE}: nlb gets a Classic Load Balancer, which the table does not price`,
      ],
    };
  const internal =
    annotations[LB_SCHEME] === "internal" ||
    annotations[LB_INTERNAL] === "true" ||
    (kind === "external" && annotations[LB_SCHEME] !== "internet-facing");
  return { drafts: loadBalancerLines(ctx.prices, "network", !internal, azCount(ctx)), problems: [] };
}

const outcome = (drafts: LineDraft[], problems: string[], freeReason: string): Outcome =>
  problems.length ? unpriced(problems.join("; "), drafts) : drafts.length ? { lines: drafts } : free(freeReason);

export function service(r: CostResource, ctx: PricingContext): Outcome {
  if (at(r.inputs, "spec", "type") !== "LoadBalancer") return free("a ClusterIP/NodePort Service bills nothing");
  const { drafts, problems } = serviceLoadBalancer("spec", r.inputs, ctx);
  return outcome(drafts, problems, "");
}

export function persistentVolumeClaim(r: CostResource, ctx: PricingContext): Outcome {
  const claim: Claim = {
    path: "spec",
    size: at(r.inputs, "spec", "resources", "requests", "storage"),
    replicas: 1,
    storageClassName: asString(at(r.inputs, "spec", "storageClassName")),
  };
  const { drafts, problems } = priceClaims([claim], ctx);
  return outcome(drafts, problems, "");
}

/** StatefulSets and Prometheus-operator resources: the volumes their claim templates create. */
export function claimTemplates(r: CostResource, ctx: PricingContext): Outcome {
  const { drafts, problems } = priceClaims(claimsIn(r.inputs.spec, "spec"), ctx);
  return outcome(drafts, problems, "no persistent volume claims");
}

/** Any `service: { type: LoadBalancer }` in chart values. */
function chartServices(values: unknown, path = "values"): { path: string; service: unknown }[] {
  if (values === null || typeof values !== "object") return [];
  return Object.entries(values as Record<string, unknown>).flatMap(([key, child]) =>
    key === "service" && at(child, "type") === "LoadBalancer"
      ? [{ path: `${path}.${key}`, service: child }]
      : chartServices(child, `${path}.${key}`),
  );
}

/** A Helm release (v3, one resource): the volumes and load balancers its values ask for. */
export function helmRelease(r: CostResource, ctx: PricingContext): Outcome {
  const values = r.inputs.values;
  if (typeof values === "string")
    return unpriced("the release's values are secret or opaque; its volumes cannot be read");
  const claims = priceClaims(claimsIn(values, "values"), ctx);
  const services = chartServices(values).map((s) => serviceLoadBalancer(s.path, s.service, ctx));
  const sharedAlb =
    r.inputs.chart === "aws-load-balancer-controller" && at(values, "createIngressClassResource") === true
      ? sharedAlbLines(ctx)
      : [];
  const drafts = [...claims.drafts, ...services.flatMap((s) => s.drafts), ...sharedAlb];
  const problems = [...claims.problems, ...services.flatMap((s) => s.problems)];
  return outcome(
    drafts,
    problems,
    "no persistent volumes or load balancers in its values; its pods run on the priced nodes",
  );
}
