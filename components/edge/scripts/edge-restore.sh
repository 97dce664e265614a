#!/usr/bin/env bash
# Restores the app's SQLite database from a backup (a local app-*.db.gz, or one fetched with
# `aws s3 cp s3://<bucket>/edge/<site>/app-<stamp>.db.gz .`).
# Usage: sudo edge-restore.sh BACKUP.db.gz
# Verifies the backup before touching anything, stops the app, keeps the current database as
# app.db.pre-restore-<stamp>, removes the stale -wal/-shm files (they belong to the old
# database and would be replayed onto the restored one), then starts the app.
set -euo pipefail

BACKUP=${1:?usage: edge-restore.sh BACKUP.db.gz}
DB=${EDGE_DB:-/srv/edge/data/app.db}
APP_CONTAINER=${EDGE_APP_CONTAINER:-edge-app}

log() { printf 'edge-restore: %s\n' "$*" >&2; }

[ -f "$BACKUP" ] || { log "no such backup: $BACKUP"; exit 1; }
data_dir=$(dirname "$DB")
work=$(mktemp -d "$data_dir/.restore.XXXXXX")
trap 'rm -rf "$work"' EXIT

case "$BACKUP" in
  *.gz) gzip -dc "$BACKUP" >"$work/restore.db" ;;
  *) cp "$BACKUP" "$work/restore.db" ;;
esac
check=$(sqlite3 "$work/restore.db" "PRAGMA integrity_check;")
if [ "$check" != "ok" ]; then
  log "backup fails integrity_check, nothing changed: $check"
  exit 1
fi
chown --reference="$data_dir" "$work/restore.db"
chmod 0640 "$work/restore.db"

log "stopping $APP_CONTAINER"
docker stop "$APP_CONTAINER" >/dev/null
stamp=$(date -u +%Y%m%dT%H%M%SZ)
if [ -f "$DB" ]; then
  mv "$DB" "$DB.pre-restore-$stamp"
  log "kept the previous database as $DB.pre-restore-$stamp"
fi
rm -f "$DB-wal" "$DB-shm"
mv "$work/restore.db" "$DB"
log "starting $APP_CONTAINER"
docker start "$APP_CONTAINER" >/dev/null
log "restored $BACKUP into $DB"
