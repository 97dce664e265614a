#!/usr/bin/env bash
# Fails the job closed unless the role variable it names holds an IAM role ARN; otherwise writes
# `arn=<the ARN>` to $GITHUB_OUTPUT for aws-actions/configure-aws-credentials. There is no
# fallback to another variable: a preview without its read-only role must not borrow a deploy
# role, so a missing role is an error that says which variable to set, and where.
#
# usage: ROLE=<value of the variable> require-role.sh VARIABLE_NAME ENVIRONMENT
set -euo pipefail

name=${1:?usage: require-role.sh VARIABLE_NAME ENVIRONMENT}
environment=${2:?usage: require-role.sh VARIABLE_NAME ENVIRONMENT}
role=${ROLE:-}
output=${GITHUB_OUTPUT:-/dev/stdout}
arn_pattern='^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$'

if [ -z "$role" ]; then
  echo "::error title=AWS role::set the variable $name of environment $environment (Settings → Environments → $environment) to the IAM role this job assumes through OIDC; see README \"Set up CI on a new account\""
  exit 1
fi
if ! [[ $role =~ $arn_pattern ]]; then
  echo "::error title=AWS role::the variable $name of environment $environment is not an IAM role ARN (arn:aws:iam::<account>:role/<name>): $role"
  exit 1
fi
echo "arn=$role" >>"$output"
