/**
 * Images the cluster runs, pinned by multi-arch index digest (the arm64 nodes pull the arm64
 * variant). The tag next to the digest is for humans; the digest is what is pulled. The digests
 * were taken from public references without registry access; confirm and update with
 * `docker buildx imagetools inspect <image>:<tag>` before the first real deploy.
 */
export const CLUSTER_IMAGES = {
  postgres: "postgres:17-alpine@sha256:742f40ea20b9ff2ff31db5458d127452988a2164df9e17441e191f3b72252193",
  awsCli: "amazon/aws-cli@sha256:cd11f6e909d42f066a03e15f072853fcc19f033e343cb83b2d553e2082cbb5a7",
  // The manifest list of v1.19.2 (linux/amd64 and linux/arm64), the same digest in many independent
  // public references; the cluster's DaemonSet and the Pis' log agent run this one build. The alloy
  // chart 1.11.1's own default is v1.18.1, for which public references disagree on the digest.
  alloy: "grafana/alloy:v1.19.2@sha256:b8ec653c44235fbe910879145dac3597d66b0aaecf60bcbbe82580767771a839",
} as const;

/** `repository`, `tag` and `digest` of a pinned reference, as charts' `image` values take them. */
export function imageParts(ref: string): { repository: string; tag: string; digest: string } {
  const match = /^(?<repository>[^:@]+(?::\d+\/[^:@]+)?):(?<tag>[\w.-]+)@(?<digest>sha256:[a-f0-9]{64})$/.exec(ref);
  if (!match?.groups) throw new Error(`${ref}: expected <repository>:<tag>@sha256:<digest>`);
  const { repository = "", tag = "", digest = "" } = match.groups;
  return { repository, tag, digest };
}
