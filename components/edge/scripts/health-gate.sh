#!/usr/bin/env bash
# The deploy gate: GET https://<host>/health through nginx on the Pi itself, with retries.
# On failure it prints the app's and nginx's last log lines and exits non-zero, which fails
# `pulumi up` with that output in the error. It also fails when Docker does not enforce memory
# limits (the Pi's memory cgroup is off).
set -euo pipefail

HOST=${EDGE_HOST:?EDGE_HOST: the name nginx serves}
ATTEMPTS=${GATE_ATTEMPTS:-30}
DELAY=${GATE_DELAY_SECONDS:-5}
APP_CONTAINER=${EDGE_APP_CONTAINER:-edge-app}
NGINX_CONTAINER=${EDGE_NGINX_CONTAINER:-edge-nginx}
# The app image before the last image change (written by the pre-deploy step), named on failure.
PREVIOUS_IMAGE_FILE=${EDGE_PREVIOUS_IMAGE_FILE:-/etc/edge/previous-app-image}

for attempt in $(seq 1 "$ATTEMPTS"); do
  # -k: the certificate may be self-signed; --resolve: test this Pi's nginx, not DNS.
  if body=$(curl -fsS -k --max-time 5 --resolve "$HOST:443:127.0.0.1" "https://$HOST/health" 2>&1); then
    echo "health-gate: https://$HOST/health answered on attempt $attempt: $body"
    # Without the memory cgroup Docker accepts --memory and enforces nothing: the container
    # limits the deploy relies on would be fiction.
    memory_limit=$(docker info --format '{{.MemoryLimit}}' 2>&1 || true)
    if [ "$memory_limit" != true ]; then
      echo "health-gate: docker info reports MemoryLimit=$memory_limit: container memory limits are not enforced;" \
        "enable the memory cgroup (host-prep adds cgroup_enable=memory cgroup_memory=1 to cmdline.txt), reboot the Pi and run pulumi up again" >&2
      exit 1
    fi
    exit 0
  fi
  echo "health-gate: attempt $attempt/$ATTEMPTS: $body" >&2
  sleep "$DELAY"
done

{
  echo "health-gate: https://$HOST/health failed $ATTEMPTS times; last log lines:"
  echo "--- docker logs --tail 50 $APP_CONTAINER"
  docker logs --tail 50 "$APP_CONTAINER" 2>&1 || true
  echo "--- docker logs --tail 20 $NGINX_CONTAINER"
  docker logs --tail 20 "$NGINX_CONTAINER" 2>&1 || true
  if [ -s "$PREVIOUS_IMAGE_FILE" ]; then
    previous=$(cat "$PREVIOUS_IMAGE_FILE")
    echo "--- the app image before the last image change was $previous"
    echo "to roll back: pulumi config set --path platform:edge.appImage $previous, then pulumi up"
  fi
} >&2
exit 1
