/**
 * Images the cluster runs, pinned by multi-arch index digest (the arm64 nodes pull the arm64
 * variant). The tag next to the digest is for humans; the digest is what is pulled. The digests
 * were taken from public references without registry access; confirm and update with
 * `docker buildx imagetools inspect <image>:<tag>` before the first real deploy.
 */
export const CLUSTER_IMAGES = {
  postgres: "postgres:17-alpine@sha256:742f40ea20b9ff2ff31db5458d127452988a2164df9e17441e191f3b72252193",
  awsCli: "amazon/aws-cli@sha256:cd11f6e909d42f066a03e15f072853fcc19f033e343cb83b2d553e2082cbb5a7",
} as const;
