#!/usr/bin/env bash
# The offline plan of one stack for a pull request: the head's plan (JSON and text), the base
# branch's plan when a checkout of it is given, and the markdown report for the job summary and
# the PR comment. Exits with the head plan's status (1: a mandatory policy is violated, 2:
# invalid configuration), after the report is written, so the failure is explained.
#
# usage: offline-plan.sh STACK OUT_DIR [BASE_CHECKOUT_DIR]
set -euo pipefail

stack=${1:?usage: offline-plan.sh STACK OUT_DIR [BASE_CHECKOUT_DIR]}
out=${2:?usage: offline-plan.sh STACK OUT_DIR [BASE_CHECKOUT_DIR]}
base=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
# Everything the plan's tools write goes under OUT_DIR (the job's temporary directory in CI):
# npm's logs, the TypeScript loader's cache, any temporary file; nothing in the runner's home.
export npm_config_cache="$out/npm-cache" npm_config_logs_dir="$out/npm-logs" npm_config_update_notifier=false TMPDIR="$out/tmp"
mkdir -p "$TMPDIR"

: >"$out/base.json"
if [ -n "$base" ]; then
  # A base branch that cannot plan this stack (older tool, stack added by this PR) is reported
  # in the summary, not a failure of this PR.
  if ! (cd "$base" && npm run --silent plan -- --stack "$stack" --json) >"$out/base.json" 2>"$out/base.err"; then
    echo "::warning title=offline plan::the base branch could not plan stack $stack; no cost difference"
    : >"$out/base.json"
  fi
fi

# The head is planned once: its JSON to head.json (--out), and the text form, what a reviewer
# reads in full (the tree, violations, the cost table and, with a base plan, the line-by-line cost
# difference: --compare), to tree.txt. A plan that did not finish writes no head.json: when a base
# plan was given, it may be the base JSON that --compare could not use, so the head is planned
# again without it (the head's own status and errors are the ones reported).
: >"$out/head.json"
head_status=0
if [ -s "$out/base.json" ]; then
  npm run --silent plan -- --stack "$stack" --out "$out/head.json" --compare "$out/base.json" \
    >"$out/tree.txt" 2>"$out/head.err" || head_status=$?
fi
if [ ! -s "$out/head.json" ]; then
  head_status=0
  npm run --silent plan -- --stack "$stack" --out "$out/head.json" >"$out/tree.txt" 2>"$out/head.err" || head_status=$?
fi
cat "$out/head.err" >>"$out/tree.txt"

node --import tsx "$here/plan-report.ts" --stack "$stack" --head "$out/head.json" \
  --base "$out/base.json" --tree "$out/tree.txt" --exit-code "$head_status" >"$out/report.md"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$out/report.md" >>"$GITHUB_STEP_SUMMARY"
fi
if [ "$head_status" -ne 0 ]; then
  echo "::error title=offline plan::stack $stack: plan exited $head_status"
  cat "$out/head.err" >&2
fi
exit "$head_status"
