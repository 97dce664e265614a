#!/usr/bin/env bash
# The stacks of this repository, from its stack files (Pulumi.<stack>.yaml), as the JSON list a
# job matrix takes: a new stack needs only its stack file. Writes `list=[...]` to $GITHUB_OUTPUT
# (or stdout). Run from the repository root.
set -euo pipefail

out=${GITHUB_OUTPUT:-/dev/stdout}
stacks=()
for file in Pulumi.*.yaml; do
  [ -e "$file" ] || continue
  stack=${file#Pulumi.}
  stack=${stack%.yaml}
  # Stack names are spliced into JSON: anything but a Pulumi stack name is refused.
  if ! [[ $stack =~ ^[A-Za-z0-9_.-]+$ ]]; then
    echo "::error title=stack files::$file does not name a valid stack" >&2
    exit 1
  fi
  stacks+=("\"$stack\"")
done
joined=$(IFS=,; echo "${stacks[*]-}")
echo "list=[$joined]" >>"$out"
