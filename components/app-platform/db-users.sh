#!/bin/sh
# Creates or updates the application's and the dump's database users: runs the SQL of
# components/app-platform/db-users.ts (mounted at $SQL_FILE) as the master user, in one
# transaction. Runs in the postgres image of the db-users Job; the master credentials come from
# the RDS-managed secret, fetched by the init container into $WORK_DIR/secret.json.
# Connection: DB_HOST, DB_PORT, DB_NAME; PGSSLMODE (default verify-full) with PGSSLROOTCERT.
set -eu

work=${WORK_DIR:-/work}
sql=${SQL_FILE:-/sql/db-users.sql}

# RDS-managed master passwords contain no double quote, backslash, slash, @ or space, so the
# value is the characters between the quotes that follow "password":.
json_field() {
  sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$2"
}

PGUSER=$(json_field username "$work/secret.json")
PGPASSWORD=$(json_field password "$work/secret.json")
export PGUSER PGPASSWORD
export PGSSLMODE="${PGSSLMODE:-verify-full}"
rm -f "$work/secret.json"
if [ -z "$PGUSER" ] || [ -z "$PGPASSWORD" ]; then
  echo "no username/password in the master secret" >&2
  exit 1
fi

psql --host="$DB_HOST" --port="$DB_PORT" --dbname="$DB_NAME" --no-password -X -q \
  -v ON_ERROR_STOP=1 --file="$sql"
echo "database users of ${DB_NAME} are up to date"
