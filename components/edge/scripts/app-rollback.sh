#!/usr/bin/env bash
# Puts the app back on the image it ran before the last image change. The deploy gate runs it on
# the Pi when a deploy's new app image fails its health check; an operator can run it by hand
# (sudo /usr/local/lib/edge/app-rollback.sh). It re-creates the app container from the previous
# image (recorded by the pre-deploy step) with the settings Pulumi gave the failing container, read
# back from Docker: user, the environment Pulumi set (not the new image's own), memory limit and
# reservation, mounts, tmpfs, capabilities, read-only root, security options, restart policy,
# networks and health check. The environment holds the Redis password: it goes to Docker through a
# pipe (--env-file on a process substitution), never on a command line or the SD card.
# It does not judge health: the gate probes the rolled-back app through nginx afterwards.
#
# Leaves the state in EDGE_ROLLBACK_STATE_FILE (from=, to=, at=), which the gate reads on the next
# `pulumi up` and the next image change's pre-deploy step clears (docs/edge.md: after a rollback).
# Exit status: 0 rolled back; 3 nothing to roll back to (no previous image recorded, or the app
# already runs it); 1 the rollback failed (the failing container is put back as it was).
set -euo pipefail

APP=${EDGE_APP_CONTAINER:-edge-app}
PREVIOUS_IMAGE_FILE=${EDGE_PREVIOUS_IMAGE_FILE:-/etc/edge/previous-app-image}
STATE_FILE=${EDGE_ROLLBACK_STATE_FILE:-/etc/edge/app-rolled-back}
# On the re-created container: the image it replaced, for `docker inspect` and the next pre-deploy step.
LABEL=platform.edge/rolled-back-from
FAILED="$APP-failed-deploy"

say() { echo "app-rollback: $*"; }

# One `docker create` option per line, from the failing container's settings (none are secret).
# Go templates print Durations as 30s, which --health-interval and friends accept.
# shellcheck disable=SC2016 # Go templates: $path is theirs, not the shell's
SETTINGS='{{if .Config.User}}--user={{.Config.User}}{{end}}
{{with .HostConfig}}{{if .Memory}}--memory={{.Memory}}b
{{end}}{{if .MemoryReservation}}--memory-reservation={{.MemoryReservation}}b
{{end}}{{range .CapDrop}}--cap-drop={{.}}
{{end}}{{range .CapAdd}}--cap-add={{.}}
{{end}}{{if .ReadonlyRootfs}}--read-only
{{end}}{{range .SecurityOpt}}--security-opt={{.}}
{{end}}{{range $path, $options := .Tmpfs}}--tmpfs={{$path}}:{{$options}}
{{end}}{{if .RestartPolicy.Name}}--restart={{.RestartPolicy.Name}}{{if .RestartPolicy.MaximumRetryCount}}:{{.RestartPolicy.MaximumRetryCount}}{{end}}
{{end}}{{end}}{{range .Mounts}}--mount=type={{.Type}},source={{if eq .Type "volume"}}{{.Name}}{{else}}{{.Source}}{{end}},target={{.Destination}}{{if not .RW}},readonly{{end}}
{{end}}{{with .Config.Healthcheck}}{{if .Interval}}--health-interval={{.Interval}}
{{end}}{{if .Timeout}}--health-timeout={{.Timeout}}
{{end}}{{if .Retries}}--health-retries={{.Retries}}
{{end}}{{if .StartPeriod}}--health-start-period={{.StartPeriod}}
{{end}}{{end}}'
HEALTH_TEST='{{with .Config.Healthcheck}}{{range .Test}}{{println .}}{{end}}{{end}}'
# shellcheck disable=SC2016 # a Go template
NETWORKS='{{range $name, $_ := .NetworkSettings.Networks}}{{println $name}}{{end}}'
ENV='{{range .Config.Env}}{{println .}}{{end}}'

# A word quoted for /bin/sh in the container: --health-cmd takes one shell string (CMD-SHELL).
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

current=$(docker inspect --format '{{.Config.Image}}' "$APP" 2>/dev/null) || {
  say "there is no $APP container to roll back"
  exit 1
}
previous=$(cat "$PREVIOUS_IMAGE_FILE" 2>/dev/null || true)
if [ -z "$previous" ]; then
  say "no previous app image recorded in $PREVIOUS_IMAGE_FILE (the first deploy of the app on this Pi): nothing to roll back to; $current stays"
  exit 3
fi
if [ "$previous" = "$current" ]; then
  say "$APP already runs the previous image $previous: nothing to roll back to"
  exit 3
fi
if ! docker image inspect "$previous" >/dev/null 2>&1; then
  say "rollback from $current to $previous failed: $previous is no longer on the Pi (pruned?); $current stays"
  exit 1
fi

mapfile -t options < <(docker inspect --format "$SETTINGS" "$APP" | grep -v '^$')
mapfile -t health_test < <(docker inspect --format "$HEALTH_TEST" "$APP" | grep -v '^$')
mapfile -t networks < <(docker inspect --format "$NETWORKS" "$APP" | grep -v '^$')
case "${health_test[0]:-}" in
  NONE) options+=(--no-healthcheck) ;;
  CMD-SHELL) options+=("--health-cmd=${health_test[1]}") ;;
  CMD)
    command=""
    for word in "${health_test[@]:1}"; do command+="${command:+ }$(sh_quote "$word")"; done
    options+=("--health-cmd=$command")
    ;;
esac
[ "${#networks[@]}" -gt 0 ] && options+=("--network=${networks[0]}")

# The environment Pulumi set: the container's, less what the failing image itself defines. Docker
# keeps no record of which is which: a variable Pulumi sets to exactly the value the failed image's
# own ENV gives it is taken for the image's and not copied (the previous image's ENV applies).
pulumi_env() {
  grep -Fxv -f <(docker image inspect --format "$ENV" "$current" 2>/dev/null || true) \
    <(docker inspect --format "$ENV" "$APP") | grep -v '^$' || true
}
env_lines=$(pulumi_env)

put_back() {
  docker rm --force "$APP" >/dev/null 2>&1 || true
  if docker rename "$FAILED" "$APP" >/dev/null 2>&1; then docker start "$APP" >/dev/null 2>&1 || true; fi
}

docker rm --force "$FAILED" >/dev/null 2>&1 || true
if ! error=$(docker stop --time 30 "$APP" 2>&1 >/dev/null) || ! error=$(docker rename "$APP" "$FAILED" 2>&1); then
  docker start "$APP" >/dev/null 2>&1 || true
  say "rollback from $current to $previous failed: could not set $current aside: $error"
  exit 1
fi
if ! error=$(docker create --name "$APP" --label "$LABEL=$current" "${options[@]}" \
  --env-file <(printf '%s\n' "$env_lines") "$previous" 2>&1 >/dev/null); then
  put_back
  say "rollback from $current to $previous failed: docker create: $error; $current is back in place"
  exit 1
fi
for network in "${networks[@]:1}"; do
  if ! error=$(docker network connect "$network" "$APP" 2>&1); then
    put_back
    say "rollback from $current to $previous failed: docker network connect $network: $error; $current is back in place"
    exit 1
  fi
done
if ! error=$(docker start "$APP" 2>&1 >/dev/null); then
  put_back
  say "rollback from $current to $previous failed: docker start: $error; $current is back in place"
  exit 1
fi
docker rm --force "$FAILED" >/dev/null
printf 'from=%s\nto=%s\nat=%s\n' "$current" "$previous" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$STATE_FILE"
say "rolled back from $current to $previous"
