/**
 * Images the Pi runs, pinned by multi-arch index digest (Docker pulls the linux/arm64 variant).
 * The tag is for humans; the digest is what is pulled. Digests were taken from public
 * references (each seen in several independent repositories) without registry access: confirm
 * with `docker buildx imagetools inspect <image>:<tag>` (it must list linux/arm64) before the
 * first deploy, and update them here.
 */
export const EDGE_IMAGES = {
  redis: "redis:7-alpine@sha256:6ab0b6e7381779332f97b8ca76193e45b0756f38d4c0dcda72dbb3c32061ab99",
  nginx: "nginx:alpine@sha256:e7257f1ef28ba17cf7c248cb8ccf6f0c6e0228ab9c315c152f9c203cd34cf6d1",
  nodeExporter: "prom/node-exporter:v1.8.2@sha256:4032c6d5bfd752342c3e631c2f1de93ba6b86c41db6b167b9a35372c139e7706",
  // v3: agent mode is the `--agent` flag (v2 had a feature flag).
  prometheus: "prom/prometheus:v3.1.0@sha256:6559acbd5d770b15bb3c954629ce190ac3cbbdb2b7f1c30f0385c4e05104e218",
} as const;

/** Every edge container runs the Pi's architecture. */
export const EDGE_PLATFORM = "linux/arm64";

const DIGEST_REF = /^(?<repo>[a-z0-9][a-z0-9._/:-]*)@(?<digest>sha256:[a-f0-9]{64})$/;

/**
 * The app image reference: `edge.appImage` as given when it names a registry, the stack's ECR
 * repository when it is `edge-app@sha256:…` (a bare repository name), or undefined when unset
 * (the component then pins the repository's most recent image by its digest).
 */
export function resolveAppImage(appImage: string | undefined, repositoryUrl: string): string | undefined {
  if (appImage === undefined) return undefined;
  const match = DIGEST_REF.exec(appImage);
  const { repo, digest } = match?.groups ?? {};
  if (repo === undefined || digest === undefined)
    throw new Error(`edge.appImage must be <repository>@sha256:<digest>, got ${appImage}`);
  const firstPart = repo.split("/")[0] ?? repo;
  const namesRegistry =
    repo.includes("/") && (firstPart.includes(".") || firstPart.includes(":") || firstPart === "localhost");
  if (namesRegistry) return appImage;
  const repositoryName = repositoryUrl.split("/").slice(1).join("/");
  // A bare name that is not the ECR repository is a Docker Hub image, pulled as given.
  return repo === repositoryName ? `${repositoryUrl}@${digest}` : appImage;
}
