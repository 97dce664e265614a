#!/usr/bin/env bash
# Restores the edge app from a backup: a local /var/backups/edge/app-<stamp>-<id>.tar.gz, or one
# fetched with `aws s3 cp s3://<bucket>/edge/<site>/app-<stamp>-<id>.tar.gz .`. An older
# app-<stamp>.db.gz (database only) is accepted too.
# Usage: sudo edge-restore.sh BACKUP
#
# Verifies the whole backup before touching anything (members, sha256 manifest, the database's
# PRAGMA integrity_check): a bad backup changes nothing. Then it stops the app and:
# - keeps the current database as app.db.pre-restore-<stamp> together with its -wal/-shm (they
#   belong to the old database: left in place they would be replayed onto the restored one);
# - moves the app's current files (uploads) to files.pre-restore-<stamp>/ in the data directory
#   and puts the backup's in their place (an old database-only backup leaves the files alone);
# - puts back configuration files that are missing, and only those: the ones present are
#   written by `pulumi up`, which would not rewrite a file it believes unchanged, so replacing
#   them with older copies would go unnoticed. Secrets are not in backups: `pulumi up` writes them.
# and starts the app. Nothing is deleted: remove the *.pre-restore-* entries once satisfied.
set -euo pipefail

BACKUP=${1:?usage: edge-restore.sh BACKUP (app-<stamp>-<id>.tar.gz or app-<stamp>.db.gz)}
DB=${EDGE_DB:-/srv/edge/data/app.db}
DATA_DIR=${EDGE_DATA_DIR:-$(dirname "$DB")}
CONFIG_DIR=${EDGE_CONFIG_DIR:-/etc/edge}
APP_CONTAINER=${EDGE_APP_CONTAINER:-edge-app}

log() { printf 'edge-restore: %s\n' "$*" >&2; }
refuse() {
  log "$*; nothing changed"
  exit 1
}

[ -f "$BACKUP" ] || { log "no such backup: $BACKUP"; exit 1; }
db_dir=$(dirname "$DB")
db_name=$(basename "$DB")
# On the database's file system, so putting the restored database in place is a rename.
work=$(mktemp -d "$db_dir/.restore.XXXXXX")
stopped=0
finish() {
  local status=$?
  rm -rf "$work"
  if [ "$status" -ne 0 ] && [ "$stopped" = 1 ]; then
    log "failed after stopping $APP_CONTAINER: it is left stopped; see the *.pre-restore-$stamp entries in $DATA_DIR"
  fi
}
trap finish EXIT

archive=0
case "$BACKUP" in
  *.tar.gz | *.tgz)
    archive=1
    members=$(tar -tzf "$BACKUP") || refuse "cannot read $BACKUP"
    # Only the members the backup writes, none climbing out with "..".
    unexpected=$(grep -Ev '^(info|manifest\.sha256|app\.db|(data|config)(/.*)?)$' <<<"$members" || true)
    climbing=$(grep -E '(^|/)\.\.(/|$)' <<<"$members" || true)
    [ -z "$unexpected$climbing" ] || refuse "unexpected members in $BACKUP: $unexpected$climbing"
    tar -C "$work" --numeric-owner -xzpf "$BACKUP" || refuse "cannot extract $BACKUP"
    grep -qx 'format=edge-backup/2' "$work/info" 2>/dev/null || refuse "$BACKUP is not an edge-backup/2 archive"
    (cd "$work" && sha256sum --quiet --strict -c manifest.sha256) >&2 || refuse "$BACKUP does not match its manifest"
    # Every extracted file is in the manifest (and the manifest is not in itself).
    listed=$(($(wc -l <"$work/manifest.sha256") + 1))
    found=$(find "$work" -type f | wc -l)
    [ "$listed" = "$found" ] || refuse "$BACKUP has $found files, its manifest lists $((listed - 1)) besides itself"
    mkdir -p "$work/data" "$work/config"
    log "verified $BACKUP: $(grep -E '^(site|created)=' "$work/info" | tr '\n' ' ')"
    restored="$work/app.db"
    ;;
  *.gz) gzip -dc "$BACKUP" >"$work/restore.db" || refuse "cannot decompress $BACKUP"; restored="$work/restore.db" ;;
  *) cp "$BACKUP" "$work/restore.db"; restored="$work/restore.db" ;;
esac
[ -f "$restored" ] || refuse "no database in $BACKUP"
check=$(sqlite3 -batch "$restored" "PRAGMA integrity_check;" 2>&1) || true
[ "$check" = "ok" ] || refuse "the backup's database fails integrity_check: $check"
chown --reference="$db_dir" "$restored"
chmod 0640 "$restored"

log "stopping $APP_CONTAINER"
stamp=$(date -u +%Y%m%dT%H%M%S.%NZ)
stopped=1
docker stop "$APP_CONTAINER" >/dev/null
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
mv "$restored" "$DB"

if [ "$archive" = 1 ]; then
  # The app's files: what is there now moves aside (the database's files, earlier set-asides and
  # this restore's work directory stay), then the backup's move in.
  files_kept="$DATA_DIR/files.pre-restore-$stamp"
  mkdir -m 0700 "$files_kept"
  find "$DATA_DIR" -mindepth 1 -maxdepth 1 ! -name "$db_name" ! -name "$db_name-*" ! -name '*.pre-restore-*' ! -name '.restore.*' \
    -exec mv -t "$files_kept" {} +
  count=$(find "$work/data" -type f | wc -l)
  find "$work/data" -mindepth 1 -maxdepth 1 -exec mv -t "$DATA_DIR" {} +
  log "restored $count files into $DATA_DIR; the previous ones are in $files_kept"

  # Configuration: missing files only (directories first, with the backup's modes and owners).
  put=0 differ=0
  while IFS= read -r -d '' entry; do
    rel=${entry#"$work/config/"}
    target="$CONFIG_DIR/$rel"
    if [ -d "$entry" ]; then
      [ -e "$target" ] || { mkdir -p "$target"; chmod --reference="$entry" "$target"; chown --reference="$entry" "$target"; }
    elif [ ! -e "$target" ]; then
      cp -p "$entry" "$target.restore"
      mv "$target.restore" "$target"
      put=$((put + 1))
    elif ! cmp -s "$entry" "$target"; then
      log "kept $target: it differs from the backup's copy (pulumi up manages it)"
      differ=$((differ + 1))
    fi
  done < <(find "$work/config" -mindepth 1 -print0 | LC_ALL=C sort -z)
  log "configuration: put back $put missing files into $CONFIG_DIR, kept $differ that differ"
fi

log "starting $APP_CONTAINER"
docker start "$APP_CONTAINER" >/dev/null
stopped=0
log "restored $BACKUP into $DB"
