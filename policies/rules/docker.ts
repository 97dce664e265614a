import * as docker from "@pulumi/docker";
import { validateResourceOfType, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { configOf, schema } from "../lib/policy";
import { expectKnown, isUnknown, known } from "../lib/values";

const CONTAINER = "docker:index/container:Container";
/** `name@sha256:<digest>`, or an image id (`sha256:<digest>`, what RemoteImage.imageId gives). */
export const DIGEST_PINNED = /(^|@)sha256:[0-9a-f]{64}$/;

export const dockerImageDigestPolicy: ResourceValidationPolicy = {
  name: "docker-image-pinned-by-digest",
  description:
    "Docker containers run images pinned by digest (name@sha256:…), so a re-pushed tag cannot change what runs. Fix: pin the reference (docker buildx imagetools inspect gives the digest) or use a RemoteImage's imageId.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(docker.Container, (props, _args, report) => {
    const image = known(props).image;
    expectKnown(
      image,
      (v) => typeof v === "string" && DIGEST_PINNED.test(v),
      report,
      `image ${JSON.stringify(image)} is not pinned by digest.`,
    );
  }),
};

export const dockerMemoryLimitPolicy: ResourceValidationPolicy = {
  name: "docker-memory-limit",
  description:
    "Docker containers have a memory limit, so one runaway container cannot take the host down. Fix: set memory (MB; platform:edge.memoryMb).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(docker.Container, (props, _args, report) => {
    const memory = known(props).memory;
    expectKnown(
      memory,
      (v) => typeof v === "number" && v > 0,
      report,
      "memory is not set: the container may use all of the host's RAM.",
    );
  }),
};

export interface PrivilegedException {
  /** The container: its resource name or its `name` input. */
  container: string;
  /** Why it needs privileges; required, shown in reviews. */
  reason: string;
}
export interface PrivilegedConfig {
  exceptions: PrivilegedException[];
}

export const dockerNotPrivilegedPolicy: ResourceValidationPolicy = {
  name: "docker-not-privileged",
  description:
    "Docker containers do not run privileged (root on the host) unless named in this policy's config `exceptions` with a reason. Fix: drop privileged and add only the capabilities needed (capabilities.adds).",
  enforcementLevel: "mandatory",
  configSchema: schema({
    exceptions: {
      type: "array",
      default: [],
      items: {
        type: "object",
        properties: { container: { type: "string" }, reason: { type: "string", minLength: 1 } },
        required: ["container", "reason"],
      },
      description: "Containers allowed to run privileged, each with the reason.",
    },
  }),
  validateResource: validateResourceOfType(docker.Container, (props, args, report) => {
    const p = known(props);
    if (p.privileged !== true) return;
    const { exceptions } = configOf<PrivilegedConfig>(args, { exceptions: [] });
    const excepted = exceptions.find(
      (e) =>
        (e.container === args.name || e.container === p.name) && typeof e.reason === "string" && e.reason.trim() !== "",
    );
    if (!excepted)
      report(
        `container ${typeof p.name === "string" ? p.name : args.name} runs privileged and has no exception with a reason in the policy config.`,
      );
  }),
};

export interface EdgeMemoryConfig {
  /** The edge host's RAM, MB (platform:edge.hostMemoryMb). */
  hostMemoryMb: number;
  /** RAM left to the OS, Docker and page cache, MB. */
  reserveMb: number;
}
const MEMORY_DEFAULTS: EdgeMemoryConfig = { hostMemoryMb: 4096, reserveMb: 1024 };

export const edgeMemoryBudgetPolicy: StackValidationPolicy = {
  name: "edge-memory-budget",
  description:
    "The Docker containers on each edge host (one Docker provider) sum to at most hostMemoryMb − reserveMb (default 4096 − 1024 MB for the Pi 4). Fix: lower platform:edge.memoryMb limits.",
  enforcementLevel: "mandatory",
  configSchema: schema({
    hostMemoryMb: {
      type: "integer",
      minimum: 1,
      default: MEMORY_DEFAULTS.hostMemoryMb,
      description: "The edge host's RAM, MB.",
    },
    reserveMb: {
      type: "integer",
      minimum: 0,
      default: MEMORY_DEFAULTS.reserveMb,
      description: "RAM kept free for the OS, MB.",
    },
  }),
  validateStack: (args, report) => {
    const { hostMemoryMb, reserveMb } = configOf(args, MEMORY_DEFAULTS);
    const hosts = new Map<string, { total: number; names: string[] }>();
    for (const r of args.resources.filter((res) => res.type === CONTAINER)) {
      const memory = (known(r.props) as Record<string, unknown>).memory;
      // Unknown or missing limits are another rule's business; the known ones must already fit.
      if (isUnknown(memory) || typeof memory !== "number") continue;
      const host = r.provider?.urn ?? "default";
      const entry = hosts.get(host) ?? { total: 0, names: [] };
      entry.total += memory;
      entry.names.push(`${r.name} ${memory}`);
      hosts.set(host, entry);
    }
    const budget = hostMemoryMb - reserveMb;
    for (const [host, { total, names }] of hosts) {
      if (total > budget)
        report(
          `containers on ${host} limit ${total} MB (${names.join(", ")}), over the ${budget} MB that leaves ${reserveMb} MB of ${hostMemoryMb} MB to the host.`,
        );
    }
  },
};

export const dockerPolicies = [
  dockerImageDigestPolicy,
  dockerMemoryLimitPolicy,
  dockerNotPrivilegedPolicy,
  edgeMemoryBudgetPolicy,
];
