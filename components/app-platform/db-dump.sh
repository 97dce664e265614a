#!/bin/sh
# Nightly pg_dump, writer side: streams a compressed custom-format dump into the FIFO the
# uploader reads from, then records whether pg_dump succeeded (the uploader reports it).
# Runs in the postgres image; credentials come from the managed secret fetched by the init
# container into /work/secret.json.
set -eu

work=${WORK_DIR:-/work}

# RDS-managed master passwords contain no double quote, backslash, slash, @ or space, so the
# value is the characters between the quotes that follow "password":.
json_field() {
  sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$2"
}

PGUSER=$(json_field username "$work/secret.json")
PGPASSWORD=$(json_field password "$work/secret.json")
export PGUSER PGPASSWORD
export PGSSLMODE=require
rm -f "$work/secret.json"

status=0
pg_dump --host="$DB_HOST" --port="$DB_PORT" --dbname="$DB_NAME" --format=custom --compress=6 --no-password \
  >"$work/dump.fifo" || status=$?

# Written aside, then renamed: the uploader polls for the file and must never read it half-written.
if [ "$status" -eq 0 ]; then
  echo ok >"$work/dump.status.tmp"
else
  echo "pg_dump exited $status" >&2
  echo "failed $status" >"$work/dump.status.tmp"
fi
mv "$work/dump.status.tmp" "$work/dump.status"
exit "$status"
