#!/usr/bin/env bash
# Nightly backup of the app's SQLite database (run by edge-backup.timer at 03:00).
# 1. an online-consistent copy with SQLite's backup API (`.backup`): safe while the app writes,
#    unlike cp of a live WAL database (the -wal file holds committed pages cp would miss);
# 2. PRAGMA integrity_check on the copy; 3. gzip; 4. upload to s3://BUCKET/PREFIX<site>/;
# 5. local copies older than the retention are deleted (only after a successful upload).
set -euo pipefail

DB=${EDGE_DB:-/srv/edge/data/app.db}
BACKUP_DIR=${EDGE_BACKUP_DIR:-/var/backups/edge}
RETENTION_DAYS=${EDGE_BACKUP_RETENTION_DAYS:-7}
BUCKET=${EDGE_BACKUP_BUCKET:?EDGE_BACKUP_BUCKET: the S3 backup bucket}
PREFIX=${EDGE_BACKUP_PREFIX:-edge/}
SITE=${EDGE_SITE:?EDGE_SITE: the name of this Pi, a folder under the prefix}
TEXTFILE_DIR=${EDGE_TEXTFILE_DIR:-}

log() { printf 'edge-backup: %s\n' "$*" >&2; }

[ -f "$DB" ] || { log "no database at $DB"; exit 1; }
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name="app-$stamp.db"
work=$(mktemp -d "$BACKUP_DIR/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# busy_timeout: the backup API retries while the app holds a write lock.
sqlite3 "$DB" ".timeout 60000" ".backup '$work/$name'"
check=$(sqlite3 "$work/$name" "PRAGMA integrity_check;")
if [ "$check" != "ok" ]; then
  log "integrity check of the copy failed: $check"
  exit 1
fi
gzip -9 -n "$work/$name"
chmod 0600 "$work/$name.gz"
mv "$work/$name.gz" "$BACKUP_DIR/$name.gz"
log "wrote $BACKUP_DIR/$name.gz"

aws s3 cp --only-show-errors "$BACKUP_DIR/$name.gz" "s3://$BUCKET/${PREFIX}${SITE}/$name.gz"
log "uploaded s3://$BUCKET/${PREFIX}${SITE}/$name.gz"

find "$BACKUP_DIR" -maxdepth 1 -type f -name 'app-*.db.gz' -mmin +$((RETENTION_DAYS * 24 * 60)) -print -delete |
  sed 's/^/edge-backup: expired /' >&2

if [ -n "$TEXTFILE_DIR" ] && [ -d "$TEXTFILE_DIR" ]; then
  metrics=$(mktemp "$TEXTFILE_DIR/.edge-backup.XXXXXX")
  {
    echo '# HELP edge_backup_last_success_timestamp_seconds When the last backup was uploaded.'
    echo '# TYPE edge_backup_last_success_timestamp_seconds gauge'
    echo "edge_backup_last_success_timestamp_seconds $(date +%s)"
  } >"$metrics"
  chmod 0644 "$metrics"
  mv "$metrics" "$TEXTFILE_DIR/edge-backup.prom"
fi
