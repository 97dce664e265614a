#!/usr/bin/env bash
# Drift check of one deployed stack: refresh from the cloud, then preview, expecting no changes.
# Writes `drift=true|false` to $GITHUB_OUTPUT and the preview's output to OUT_FILE, so a later
# step can open an issue. Exit 0: no drift; 3: drift; anything else: the check itself failed
# (credentials, backend, a resource the runner cannot reach), which is not reported as drift.
#
# usage: drift-check.sh STACK OUT_FILE      (needs the pulumi CLI, logged in, and npm ci done)
set -euo pipefail

stack=${1:?usage: drift-check.sh STACK OUT_FILE}
out=${2:?usage: drift-check.sh STACK OUT_FILE}
output=${GITHUB_OUTPUT:-/dev/null}

status=0
pulumi preview --stack "$stack" --refresh --expect-no-changes --diff --non-interactive \
  --color never >"$out" 2>&1 || status=$?
cat "$out"

if [ "$status" -eq 0 ]; then
  echo "drift=false" >>"$output"
  exit 0
fi
# Pulumi has no distinct exit code for "changes proposed"; its message is the only signal
# (worded "were proposed" or "occurred" depending on the CLI version).
if grep -Eq 'no changes were expected( for [a-z]+)? but changes (were proposed|occurred)' "$out"; then
  echo "drift=true" >>"$output"
  echo "::error title=drift::stack $stack differs from its last deployment"
  exit 3
fi
echo "drift=false" >>"$output"
echo "::error title=drift check::the preview of stack $stack failed (exit $status); see the log"
exit "$status"
