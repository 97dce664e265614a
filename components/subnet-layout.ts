/**
 * Fixed subnet layout of the VPC. Every subnet's CIDR depends only on the VPC CIDR, its tier and
 * its AZ index, so adding an AZ or changing the count never re-lays an existing subnet.
 *
 * For a /16 (prefix p = 16):
 * - private  (nodes and pods, the large tier): /18 (p+2) blocks 0..2 of the VPC
 * - public   (NAT gateways, load balancers):   /21 (p+5) blocks 24..26, inside the last quarter
 * - isolated (RDS, ElastiCache; no route out): /21 (p+5) blocks 28..30, inside the last quarter
 * Blocks 27 and 31 of the last quarter stay free for later tiers.
 */
export type SubnetTier = "private" | "public" | "isolated";

export const MAX_AZS = 3;

const TIER_LAYOUT: Record<SubnetTier, { extraBits: number; firstBlock: number }> = {
  private: { extraBits: 2, firstBlock: 0 },
  public: { extraBits: 5, firstBlock: 24 },
  isolated: { extraBits: 5, firstBlock: 28 },
};

function parseCidr(cidr: string): { base: number; prefix: number } {
  const [address, prefix] = cidr.split("/");
  if (address === undefined) throw new RangeError(`not a CIDR: ${cidr}`);
  const base = address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
  return { base, prefix: Number(prefix) };
}

function formatCidr(base: number, prefix: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256);
  return `${octets.join(".")}/${prefix}`;
}

/** The CIDR of one subnet: the VPC's `tier` block for availability zone `az` (0-based). */
export function subnetCidr(vpcCidr: string, tier: SubnetTier, az: number): string {
  if (!Number.isInteger(az) || az < 0 || az >= MAX_AZS)
    throw new RangeError(`AZ index ${az} outside 0..${MAX_AZS - 1}`);
  const { base, prefix } = parseCidr(vpcCidr);
  const { extraBits, firstBlock } = TIER_LAYOUT[tier];
  const subnetPrefix = prefix + extraBits;
  return formatCidr(base + (firstBlock + az) * 2 ** (32 - subnetPrefix), subnetPrefix);
}

/** The CIDRs of a tier across the first `azCount` zones. */
export function tierCidrs(vpcCidr: string, tier: SubnetTier, azCount: number): string[] {
  return Array.from({ length: azCount }, (_, az) => subnetCidr(vpcCidr, tier, az));
}
