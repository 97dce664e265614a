#!/bin/sh
# Nightly pg_dump, writer side: streams a compressed custom-format dump into the FIFO the
# uploader reads from, then records whether pg_dump succeeded (the uploader reports it).
# Runs in the postgres image as the read-only dump user $DB_USER, with the IAM authentication
# token the init container wrote to /work/db-token (`aws rds generate-db-auth-token`, valid
# 15 minutes, enough to connect); or, run by hand, with /work/secret.json ({"username", "password"}).
# TLS: PGSSLMODE defaults to verify-full, against the CA bundle in PGSSLROOTCERT. DB_SCHEMA, when
# set, limits the dump to that schema (the only one the dump user may read).
set -eu

work=${WORK_DIR:-/work}

# RDS-managed master passwords contain no double quote, backslash, slash, @ or space, so the
# value is the characters between the quotes that follow "password":.
json_field() {
  sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$2"
}

if [ -f "$work/db-token" ]; then
  PGUSER=$DB_USER
  PGPASSWORD=$(cat "$work/db-token")
  rm -f "$work/db-token"
else
  PGUSER=$(json_field username "$work/secret.json")
  PGPASSWORD=$(json_field password "$work/secret.json")
  rm -f "$work/secret.json"
fi
export PGUSER PGPASSWORD
export PGSSLMODE="${PGSSLMODE:-verify-full}"

status=0
pg_dump --host="$DB_HOST" --port="$DB_PORT" --dbname="$DB_NAME" ${DB_SCHEMA:+"--schema=$DB_SCHEMA"} \
  --format=custom --compress=6 --no-password >"$work/dump.fifo" || status=$?

# Written aside, then renamed: the uploader polls for the file and must never read it half-written.
if [ "$status" -eq 0 ]; then
  echo ok >"$work/dump.status.tmp"
else
  echo "pg_dump exited $status" >&2
  echo "failed $status" >"$work/dump.status.tmp"
fi
mv "$work/dump.status.tmp" "$work/dump.status"
exit "$status"
