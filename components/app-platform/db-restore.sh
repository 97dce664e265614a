#!/bin/sh
# Restores a nightly pg_dump (db-dump.sh / db-upload.sh) from s3://$BUCKET/$PREFIX into a NEW
# database and verifies it. Never writes into an existing database: the target must not exist,
# so a restore cannot overwrite production by mistake; switch the app over once it is verified.
#
# Usage: db-restore.sh TARGET_DB [S3_KEY]
#   TARGET_DB  name of the database to create and restore into (e.g. app_restore_20261129)
#   S3_KEY     the dump's key, e.g. db/2026/11/29/app-2026-11-29T030012Z.dump; default: the
#              newest dump under $PREFIX that has no .FAILED marker
# Environment: BUCKET, PREFIX (default db/), DB_HOST, DB_PORT (default 5432), and PGUSER /
#   PGPASSWORD, or WORK_DIR/secret.json as the dump job's init container writes it (the RDS
#   managed master secret). PGSSLMODE defaults to verify-full: set PGSSLROOTCERT to the RDS CA
#   bundle (the rds-ca ConfigMap, mounted at /etc/rds-ca/global-bundle.pem). WORK_DIR (default a temporary
#   directory) holds the downloaded dump and is removed at the end.
set -eu

usage() {
  echo "usage: $0 TARGET_DB [S3_KEY]" >&2
  exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
target=$1
key=${2:-}
case $target in
  '' | *[!a-z0-9_]* | [0-9]*) echo "TARGET_DB must be a lower-case identifier (letters, digits, _), got '$target'" >&2; exit 2 ;;
esac
: "${BUCKET:?set BUCKET to the backup bucket}" "${DB_HOST:?set DB_HOST to the target server}"
prefix=${PREFIX:-db/}
export PGHOST="$DB_HOST" PGPORT="${DB_PORT:-5432}" PGSSLMODE="${PGSSLMODE:-verify-full}"

own_work=0
if [ -z "${WORK_DIR:-}" ]; then
  WORK_DIR=$(mktemp -d)
  own_work=1
fi
work=$WORK_DIR

json_field() {
  sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$2"
}
if [ -f "$work/secret.json" ]; then
  PGUSER=$(json_field username "$work/secret.json")
  PGPASSWORD=$(json_field password "$work/secret.json")
  export PGUSER PGPASSWORD
  rm -f "$work/secret.json"
fi

cleanup() {
  rm -f "$work/restore.dump" "$work/toc.txt" "$work/keys.txt"
  if [ "$own_work" -eq 1 ]; then rmdir "$work" 2>/dev/null || true; fi
}
trap cleanup EXIT

# The newest dump of any tier (daily/, weekly/, monthly/): file names end in a UTC stamp, so
# ordering by the name (not the whole key, whose tier comes first) orders them by age.
if [ -z "$key" ]; then
  aws s3 ls "s3://${BUCKET}/${prefix}" --recursive | awk '{print $4}' >"$work/keys.txt"
  key=$(grep '\.dump$' "$work/keys.txt" | awk -F/ '{print $NF " " $0}' | sort -r | cut -d' ' -f2 | while read -r k; do
    if ! grep -qxF "$k.FAILED" "$work/keys.txt"; then
      echo "$k"
      break
    fi
  done)
  [ -n "$key" ] || { echo "no complete dump under s3://${BUCKET}/${prefix}" >&2; exit 1; }
fi
echo "restoring s3://${BUCKET}/${key} into database ${target} on ${PGHOST}:${PGPORT}"

aws s3 cp "s3://${BUCKET}/${key}" "$work/restore.dump" --no-progress >/dev/null
# A truncated or corrupt archive fails here, before anything is created.
pg_restore --list "$work/restore.dump" >"$work/toc.txt"

exists=$(psql -d postgres -XtAc "SELECT 1 FROM pg_database WHERE datname = '${target}'")
if [ "$exists" = "1" ]; then
  echo "database ${target} already exists: restore into a new name, then switch over" >&2
  exit 1
fi
psql -d postgres -Xq -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"${target}\""

# All or nothing: any error rolls the whole restore back and fails the script.
if ! pg_restore --dbname="$target" --no-owner --no-privileges --exit-on-error --single-transaction "$work/restore.dump"; then
  echo "pg_restore failed: database ${target} is left empty for inspection; drop it before retrying" >&2
  exit 1
fi

# Verify: every table whose data the dump holds exists and is readable; print its row count.
tables=$(awk '$4 == "TABLE" && $5 == "DATA" {print $6 "." $7}' "$work/toc.txt")
count=0
for table in $tables; do
  schema=${table%%.*}
  name=${table#*.}
  rows=$(psql -d "$target" -XtAc "SELECT count(*) FROM \"${schema}\".\"${name}\"") || {
    echo "verification failed: ${table} is missing or unreadable in ${target}" >&2
    exit 1
  }
  echo "  ${table}: ${rows} rows"
  count=$((count + 1))
done
psql -d "$target" -Xq -c "ANALYZE"
echo "restored and verified ${count} tables from ${key} into ${target}"
