#!/usr/bin/env bash
# Restores the app's SQLite database from a backup (a local app-*.db.gz, or one fetched with
# `aws s3 cp s3://<bucket>/edge/<site>/app-<stamp>.db.gz .`).
# Usage: sudo edge-restore.sh BACKUP.db.gz
# Verifies the backup before touching anything, stops the app, keeps the current database as
# app.db.pre-restore-<stamp> together with its -wal/-shm (they belong to the old database: left
# in place they would be replayed onto the restored one), then starts the app.
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
kept="$DB.pre-restore-$stamp"
if [ -f "$DB" ]; then
  # The -wal holds committed transactions not yet in the main file: it moves with the database,
  # renamed the way SQLite looks for it (<db>-wal), so the kept copy opens complete.
  mv "$DB" "$kept"
  for suffix in wal shm; do
    if [ -f "$DB-$suffix" ]; then mv "$DB-$suffix" "$kept-$suffix"; fi
  done
  log "kept the previous database as $kept (with its -wal/-shm)"
fi
# Without a database they belong to nothing; replayed onto the restored file they would corrupt it.
rm -f "$DB-wal" "$DB-shm"
mv "$work/restore.db" "$DB"
log "starting $APP_CONTAINER"
docker start "$APP_CONTAINER" >/dev/null
log "restored $BACKUP into $DB"
