#!/usr/bin/env bash
# The deploy gate: GET https://<host>/health through nginx on the Pi itself, with retries.
# On failure it prints the app's and nginx's last log lines and exits non-zero, which fails
# `pulumi up` with that output in the error. It also fails when Docker does not enforce memory
# limits (the Pi's memory cgroup is off).
# When the app image of this deploy has never passed the gate (the pre-deploy step marks it) and
# fails, it rolls the app back to the previous image (app-rollback.sh), probes again and still
# fails the `up`, saying from which image to which it rolled back and whether the previous answers.
# While the Pi runs a rolled-back app, every later gate fails at once with the way forward: Pulumi's
# state still records the failed image (docs/edge.md: after a rollback).
set -euo pipefail

HOST=${EDGE_HOST:?EDGE_HOST: the name nginx serves}
ATTEMPTS=${GATE_ATTEMPTS:-30}
DELAY=${GATE_DELAY_SECONDS:-5}
APP_CONTAINER=${EDGE_APP_CONTAINER:-edge-app}
NGINX_CONTAINER=${EDGE_NGINX_CONTAINER:-edge-nginx}
# The app image before the last image change (written by the pre-deploy step), named on failure.
PREVIOUS_IMAGE_FILE=${EDGE_PREVIOUS_IMAGE_FILE:-/etc/edge/previous-app-image}
# Present from the pre-deploy step of an image change until that image first passes the gate.
UNVERIFIED_FILE=${EDGE_UNVERIFIED_IMAGE_FILE:-/etc/edge/app-image-unverified}
ROLLBACK_SCRIPT=${EDGE_ROLLBACK_SCRIPT:-/usr/local/lib/edge/app-rollback.sh}
ROLLBACK_STATE_FILE=${EDGE_ROLLBACK_STATE_FILE:-/etc/edge/app-rolled-back}
# The URN of the pre-deploy command: replacing it re-runs the deploy of the failed image.
PRE_DEPLOY_URN=${EDGE_PRE_DEPLOY_URN:-<the pre-deploy-backup command>}

# From a rollback state file: the image rolled back from (from=) or to (to=).
rolled() { sed -n "s/^$1=//p" "$ROLLBACK_STATE_FILE"; }

way_forward() {
  echo "Pulumi's state still records the app container of $(rolled from); the Pi runs $(rolled to) (rolled back at $(rolled at))."
  echo "to stay on $(rolled to): pulumi config set --path platform:edge.appImage $(rolled to), then pulumi up --refresh"
  echo "to retry $(rolled from) (once fixed): pulumi up --refresh --replace '$PRE_DEPLOY_URN'"
}

if [ -s "$ROLLBACK_STATE_FILE" ]; then
  {
    echo "health-gate: the app was rolled back automatically from $(rolled from) to $(rolled to) after a failed deploy; this stack does not match the Pi until one of:"
    way_forward
  } >&2
  exit 1
fi

# Probes /health through nginx up to $ATTEMPTS times; the answer (or last error) in $body.
probe() {
  local attempt
  for attempt in $(seq 1 "$ATTEMPTS"); do
    # -k: the certificate may be self-signed; --resolve: test this Pi's nginx, not DNS.
    if body=$(curl -fsS -k --max-time 5 --resolve "$HOST:443:127.0.0.1" "https://$HOST/health" 2>&1); then
      echo "health-gate: https://$HOST/health answered on attempt $attempt: $body"
      return 0
    fi
    echo "health-gate: attempt $attempt/$ATTEMPTS: $body" >&2
    sleep "$DELAY"
  done
  return 1
}

if probe; then
  rm -f "$UNVERIFIED_FILE"
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

{
  echo "health-gate: https://$HOST/health failed $ATTEMPTS times; last log lines:"
  echo "--- docker logs --tail 50 $APP_CONTAINER"
  docker logs --tail 50 "$APP_CONTAINER" 2>&1 || true
  echo "--- docker logs --tail 20 $NGINX_CONTAINER"
  docker logs --tail 20 "$NGINX_CONTAINER" 2>&1 || true
} >&2

if [ ! -e "$UNVERIFIED_FILE" ]; then
  # The app image passed the gate before: the failure is not this deploy's image, so no rollback.
  if [ -s "$PREVIOUS_IMAGE_FILE" ]; then
    previous=$(cat "$PREVIOUS_IMAGE_FILE")
    {
      echo "--- the app image before the last image change was $previous"
      echo "to roll back: pulumi config set --path platform:edge.appImage $previous, then pulumi up"
    } >&2
  fi
  exit 1
fi

# This deploy's image never answered: put the previous one back, once.
rm -f "$UNVERIFIED_FILE"
echo "--- rolling back the app image" >&2
set +e
rollback=$(EDGE_APP_CONTAINER="$APP_CONTAINER" EDGE_PREVIOUS_IMAGE_FILE="$PREVIOUS_IMAGE_FILE" \
  EDGE_ROLLBACK_STATE_FILE="$ROLLBACK_STATE_FILE" bash "$ROLLBACK_SCRIPT" 2>&1)
status=$?
set -e
echo "$rollback" >&2
case "$status" in
  0)
    if probe; then
      echo "health-gate: rolled back from $(rolled from) to $(rolled to), which answers /health; the deploy of $(rolled from) failed." >&2
    else
      {
        echo "health-gate: rolled back from $(rolled from) to $(rolled to), but $(rolled to) does not answer /health either:" \
          "the cause is probably not the image (Redis, nginx, the data, the disk)."
        echo "--- docker logs --tail 20 $APP_CONTAINER (rolled back)"
        docker logs --tail 20 "$APP_CONTAINER" 2>&1 || true
      } >&2
    fi
    way_forward >&2
    ;;
  3) echo "health-gate: no automatic rollback: the new app image stays for debugging." >&2 ;;
  *) echo "health-gate: the rollback also failed (exit $status): the new app image stays; see the lines above." >&2 ;;
esac
exit 1
