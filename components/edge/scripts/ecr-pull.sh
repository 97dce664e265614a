#!/usr/bin/env bash
# Pulls the app image onto the Pi by digest, so the Docker provider never needs registry
# credentials (a fresh ECR token in the provider's inputs would be a diff on every preview).
# Run as root: sudo env EDGE_IMAGE=<registry>/<repo>@sha256:... EDGE_ECR_REGION=... bash -s
# With EDGE_ECR_REGION set, it logs in to the image's ECR registry with the Pi's pull-only
# identity (AWS_CONFIG_FILE: Roles Anywhere through credential_process, pull-only on the edge
# repository); the login lives in a throwaway DOCKER_CONFIG.
set -euo pipefail

IMAGE=${EDGE_IMAGE:?EDGE_IMAGE: the image reference, by digest}
REGION=${EDGE_ECR_REGION:-}
export AWS_CONFIG_FILE=${AWS_CONFIG_FILE:-/etc/edge/aws-config}

case "$IMAGE" in
  *@sha256:*) ;;
  *) echo "ecr-pull: $IMAGE is not pinned by digest" >&2; exit 2 ;;
esac

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "ecr-pull: $IMAGE is already on the Pi"
  exit 0
fi

DOCKER_CONFIG=$(mktemp -d)
export DOCKER_CONFIG
trap 'rm -rf "$DOCKER_CONFIG"' EXIT
if [ -n "$REGION" ]; then
  registry=${IMAGE%%/*}
  aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$registry" >/dev/null
fi
docker pull --platform linux/arm64 "$IMAGE"
echo "ecr-pull: pulled $IMAGE"
