#!/usr/bin/env bash
# Which stacks a cloud job can run for: those whose IAM role for OIDC is configured. Reads
# ROLE_DEV and ROLE_PROD (role ARNs, empty when not configured) and writes to $GITHUB_OUTPUT
#   matrix={"include":[{"stack":"dev","role":"arn:…"},…]}   any=true|false
# so a repository without AWS set up (or a fork) skips the cloud jobs instead of failing them.
set -euo pipefail

out=${GITHUB_OUTPUT:-/dev/stdout}
arn_pattern='^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$'
items=()
for stack in dev prod; do
  var="ROLE_${stack^^}"
  role=${!var:-}
  [ -n "$role" ] || continue
  # The ARN is spliced into JSON: anything but a role ARN is a configuration error, said plainly.
  if ! [[ $role =~ $arn_pattern ]]; then
    echo "::error title=AWS role::the role for stack $stack is not an IAM role ARN: $role" >&2
    exit 1
  fi
  items+=("{\"stack\":\"$stack\",\"role\":\"$role\"}")
done

joined=$(IFS=,; echo "${items[*]-}")
echo "matrix={\"include\":[$joined]}" >>"$out"
if [ "${#items[@]}" -gt 0 ]; then echo "any=true" >>"$out"; else echo "any=false" >>"$out"; fi
