/**
 * The size of each EC2 instance type the stacks may run (vCPUs and memory), for what is derived
 * from a node count: Karpenter's NodePool limits, the check that they cover the system pool, and
 * the cost at the configured maximum. From AWS's instance-type specifications
 * (https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html, general purpose: T4g, M6g, M7g),
 * read 2026-11-29. A type missing here cannot size a NodePool: add it with its figures.
 */
export interface InstanceSize {
  vcpu: number;
  memoryGib: number;
}

export const INSTANCE_SIZES: Readonly<Record<string, InstanceSize>> = {
  "t4g.nano": { vcpu: 2, memoryGib: 0.5 },
  "t4g.micro": { vcpu: 2, memoryGib: 1 },
  "t4g.small": { vcpu: 2, memoryGib: 2 },
  "t4g.medium": { vcpu: 2, memoryGib: 4 },
  "t4g.large": { vcpu: 2, memoryGib: 8 },
  "m6g.large": { vcpu: 2, memoryGib: 8 },
  "m7g.large": { vcpu: 2, memoryGib: 8 },
  "m7g.xlarge": { vcpu: 4, memoryGib: 16 },
};

/** A type's size, or undefined for one the table does not have (never an inherited property). */
export const instanceSize = (type: string): InstanceSize | undefined =>
  Object.hasOwn(INSTANCE_SIZES, type) ? INSTANCE_SIZES[type] : undefined;

/**
 * CPU and memory of `nodes` nodes of the largest allowed type (each dimension on its own):
 * the NodePool limits for a maximum node count. Undefined when a type's size is unknown.
 */
export function nodePoolLimits(
  types: readonly string[],
  nodes: number,
): { cpu: number; memoryGib: number } | undefined {
  const sizes = types.map(instanceSize);
  if (sizes.length === 0 || sizes.some((s) => s === undefined)) return undefined;
  const known = sizes as InstanceSize[];
  return {
    cpu: nodes * Math.max(...known.map((s) => s.vcpu)),
    memoryGib: nodes * Math.max(...known.map((s) => s.memoryGib)),
  };
}
