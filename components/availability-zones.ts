/**
 * Zones where EKS cannot place a control plane (AWS EKS docs, "Insufficient capacity" /
 * UnsupportedAvailabilityZoneException), by zone ID: zone names map to different zones in each
 * account, zone IDs are the same everywhere.
 */
export const EKS_UNSUPPORTED_ZONE_IDS: readonly string[] = ["use1-az3", "usw1-az2", "cac1-az3"];

/** The region's zones as EC2 lists them: names and zone IDs, index for index. */
export interface RegionZones {
  names: string[];
  zoneIds: string[];
}

/**
 * The zone names to build the VPC in: the configured zone IDs in their order, or else the first
 * `count` zones of the region (by zone ID) that EKS supports. Throws a message naming the knob
 * when the region cannot provide them.
 */
export function chooseZones(region: string, zones: RegionZones, wantedIds: readonly string[], count: number): string[] {
  const nameOf = new Map(zones.zoneIds.map((id, i) => [id, zones.names[i]]));
  if (wantedIds.length > 0) {
    const missing = wantedIds.filter((id) => !nameOf.has(id));
    if (missing.length > 0)
      throw new Error(
        `platform:network.availabilityZoneIds: got ${JSON.stringify(missing)}, not zones of ${region}; expected zone IDs of ${region}: ${[...nameOf.keys()].sort().join(", ")}`,
      );
    return wantedIds.map((id) => nameOf.get(id) as string);
  }
  const eligible = [...nameOf.keys()].filter((id) => !EKS_UNSUPPORTED_ZONE_IDS.includes(id)).sort();
  if (eligible.length < count)
    throw new Error(
      `platform:network.azCount: got ${count}; expected at most ${eligible.length}, the zones of ${region} EKS supports (${eligible.join(", ")})`,
    );
  return eligible.slice(0, count).map((id) => nameOf.get(id) as string);
}
