import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, schema, validateTypes } from "../lib/policy";
import { isUnknown, known } from "../lib/values";

const OPEN_CIDRS = ["0.0.0.0/0", "::/0"];
const ALL_PROTOCOLS = ["-1", "all"];
const TCP = ["tcp", "6"];
const GROUP_TYPES = ["aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"];
const RULE_TYPE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const INGRESS_RULE_TYPE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

type Props = Record<string, unknown>;

/** One ingress permission, from any of the four ways AWS resources express it. */
interface Ingress {
  protocol: unknown;
  fromPort: unknown;
  toPort: unknown;
  cidrs: unknown[];
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

function ingressOf(type: string, p: Props): Ingress[] {
  if (GROUP_TYPES.includes(type)) {
    return list(p.ingress).map((rule) => {
      const r = (isUnknown(rule) ? {} : rule) as Props;
      return {
        protocol: r.protocol,
        fromPort: r.fromPort,
        toPort: r.toPort,
        cidrs: [...list(r.cidrBlocks), ...list(r.ipv6CidrBlocks)],
      };
    });
  }
  if (type === RULE_TYPE) {
    if (p.type !== "ingress") return [];
    return [
      {
        protocol: p.protocol,
        fromPort: p.fromPort,
        toPort: p.toPort,
        cidrs: [...list(p.cidrBlocks), ...list(p.ipv6CidrBlocks)],
      },
    ];
  }
  return [{ protocol: p.ipProtocol, fromPort: p.fromPort, toPort: p.toPort, cidrs: [p.cidrIpv4, p.cidrIpv6] }];
}

export interface SecurityGroupConfig {
  /** TCP ports that must never be open to the internet. */
  sensitivePorts: number[];
}
const DEFAULTS: SecurityGroupConfig = { sensitivePorts: [22, 5432, 6379] };

/** Why this permission is a violation, or undefined when it is not one (or cannot be told yet). */
function exposure(rule: Ingress, sensitivePorts: number[]): string | undefined {
  const open = rule.cidrs.filter((c) => typeof c === "string" && OPEN_CIDRS.includes(c));
  if (open.length === 0) return undefined;
  if (isUnknown(rule.protocol)) return undefined;
  const protocol = String(rule.protocol).toLowerCase();
  if (ALL_PROTOCOLS.includes(protocol)) return `all traffic from ${open.join(", ")}`;
  if (isUnknown(rule.fromPort) || isUnknown(rule.toPort)) return undefined;
  const from = Number(rule.fromPort ?? 0);
  const to = Number(rule.toPort ?? 65535);
  if (from <= 0 && to >= 65535) return `all ports (${protocol}) from ${open.join(", ")}`;
  if (!TCP.includes(protocol)) return undefined;
  const hit = sensitivePorts.filter((port) => from <= port && port <= to);
  return hit.length ? `port ${hit.join(", ")} from ${open.join(", ")}` : undefined;
}

export const securityGroupIngressPolicy: ResourceValidationPolicy = {
  name: "security-group-no-public-ingress",
  description:
    "No security group admits 0.0.0.0/0 or ::/0 to SSH (22), PostgreSQL (5432), Redis (6379) (config sensitivePorts) or to all ports/protocols. " +
    "Fix: allow a source security group (referencedSecurityGroupId) or a known CIDR instead.",
  enforcementLevel: "mandatory",
  configSchema: schema({
    sensitivePorts: {
      type: "array",
      items: { type: "integer" },
      default: DEFAULTS.sensitivePorts,
      description: "TCP ports never open to the internet.",
    },
  }),
  validateResource: validateTypes([...GROUP_TYPES, RULE_TYPE, INGRESS_RULE_TYPE], (args, report) => {
    const { sensitivePorts } = configOf(args, DEFAULTS);
    for (const rule of ingressOf(args.type, known(args.props) as Props)) {
      const why = exposure(rule, sensitivePorts);
      if (why) report(`ingress open to the internet: ${why}.`);
    }
  }),
};
