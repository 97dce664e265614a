#!/usr/bin/env bash
# Nightly backup of the edge app (run by edge-backup.timer at 03:00): one archive holding what a
# restore needs, uploaded to s3://BUCKET/PREFIX<site>/ and kept locally for the retention.
#
# The archive, app-<UTC time to the nanosecond>-<random>.tar.gz (edge-backup/2):
#   app.db           an online-consistent copy of the database (see below), integrity-checked;
#   data/            the app's other files in its data directory (uploads): everything there but
#                    the database and its -wal/-shm/-journal, and what a restore set aside;
#   config/          the configuration directory without secrets: only world-readable files, and
#                    never a name containing "credentials" or "key". The AWS and ECR credentials
#                    and the TLS private key are not backed up: `pulumi up` writes them again
#                    (they live in the stack), and a copy in the bucket would hand them to anyone
#                    who can read backups;
#   info             format, site, time, SQLite version;
#   manifest.sha256  sha256 of every other member (`sha256sum -c` format), checked by the restore.
#
# The database copy is `VACUUM INTO`, not the sqlite3 shell's `.backup`: `.backup` copies 100
# pages per step and starts over whenever another connection commits between two steps, so
# under a steady stream of writes it may never finish (test/edge-backup.test.ts's writers: 31 MB
# under ~200 commits/s, `.backup` not done after 25 s; VACUUM INTO done in 0.1 s). VACUUM INTO
# copies within one read transaction: in WAL mode a consistent snapshot that neither restarts
# nor blocks the app's writers (the -wal only grows for the duration, checkpoints wait). It
# writes a compacted copy (no free pages) in rollback-journal mode; rows keep their rowids (the
# test checks a table without INTEGER PRIMARY KEY too). Needs SQLite 3.27 (bookworm has 3.40).
#
# Bounded: the copy, its check and the upload each run under `timeout` (EDGE_BACKUP_STEP_TIMEOUT
# seconds); the unit has TimeoutStartSec= around the whole run. Names are unique (nanoseconds and
# a random part) and linked into place with `ln`, which never replaces an existing file.
# Local copies older than the retention are deleted only after a successful upload.
set -euo pipefail

DB=${EDGE_DB:-/srv/edge/data/app.db}
BACKUP_DIR=${EDGE_BACKUP_DIR:-/var/backups/edge}
RETENTION_DAYS=${EDGE_BACKUP_RETENTION_DAYS:-7}
BUCKET=${EDGE_BACKUP_BUCKET:?EDGE_BACKUP_BUCKET: the S3 backup bucket}
PREFIX=${EDGE_BACKUP_PREFIX:-edge/}
SITE=${EDGE_SITE:?EDGE_SITE: the name of this Pi, a folder under the prefix}
# 1: grandfather-father-son keys, as the cloud's database dumps: the 1st of the month's backup is
# the monthly archive, Sunday's the weekly copy, any other night's a daily one; the bucket's
# lifecycle keeps each tier for its own days (platform:backups.weeklyRetentionDays / monthlyRetentionDays).
TIERS=${EDGE_BACKUP_TIERS:-0}
TEXTFILE_DIR=${EDGE_TEXTFILE_DIR:-}
DATA_DIR=${EDGE_DATA_DIR:-$(dirname "$DB")}
CONFIG_DIR=${EDGE_CONFIG_DIR:-/etc/edge}
STEP_TIMEOUT=${EDGE_BACKUP_STEP_TIMEOUT:-900}

log() { printf 'edge-backup: %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# timeout_run WHAT CMD...: CMD under the step timeout; says which step ran out of time.
timeout_run() {
  local what=$1 status=0
  shift
  timeout --kill-after=30 "$STEP_TIMEOUT" "$@" || status=$?
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then log "$what did not finish within ${STEP_TIMEOUT}s"; fi
  return "$status"
}
# copy_tree SRC DEST FIND-FILTER...: copies the entries of SRC that find selects, with their
# modes, owners and times. A file that changes or disappears while it is read is a warning
# (tar exits 1), not a failure: the app keeps working during the backup.
copy_tree() {
  local src=$1 dest=$2
  shift 2
  mkdir -p "$dest"
  set +e
  (cd "$src" && find . -mindepth 1 "$@" -print0) |
    tar -C "$src" --null --no-recursion -T - --numeric-owner --ignore-failed-read --warning=no-file-changed --warning=no-file-removed -cf - |
    tar -C "$dest" --numeric-owner -xpf -
  local piped=("${PIPESTATUS[@]}")
  set -e
  if [ "${piped[0]}" -ne 0 ] || [ "${piped[1]}" -gt 1 ] || [ "${piped[2]}" -ne 0 ]; then
    log "copying $src failed (find, tar, untar: ${piped[*]})"
    return 1
  fi
}

started=$(now)
[ -f "$DB" ] || { log "no database at $DB"; exit 1; }
[ -d "$DATA_DIR" ] || { log "no data directory at $DATA_DIR"; exit 1; }
mkdir -p "$BACKUP_DIR"
stamp=$(date -u +%Y%m%dT%H%M%S.%NZ)
name="app-$stamp-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n').tar.gz"
work=$(mktemp -d "$BACKUP_DIR/.work.XXXXXX")
finish() {
  local status=$?
  rm -rf "$work"
  if [ "$status" -ne 0 ]; then log "failed (exit $status): no backup uploaded"; fi
}
trap finish EXIT
stage="$work/stage"
mkdir -m 0700 "$stage"

# 1. The database. SQLITE_TMPDIR: VACUUM's temporary files go to the backup disk, not /tmp.
copy="$stage/app.db"
t=$(now)
mode=$(SQLITE_TMPDIR=$work timeout_run "the database copy" \
  sqlite3 -batch -bail "$DB" ".timeout 60000" "PRAGMA journal_mode;" "VACUUM INTO '${copy//\'/\'\'}';")
log "copied $DB in $(since "$t")s"
t=$(now)
# VACUUM INTO writes a rollback-journal database; a restored copy keeps the journal mode it had.
if [ "$mode" = wal ]; then sqlite3 -batch -bail "$copy" "PRAGMA journal_mode=WAL;" >/dev/null; fi
check=$(timeout_run "the integrity check" sqlite3 -batch -bail "$copy" "PRAGMA integrity_check;")
if [ "$check" != "ok" ]; then
  log "integrity check of the copy failed: $check"
  exit 1
fi
log "integrity_check ok in $(since "$t")s"

# 2. The app's files, after the database: a file the copied rows refer to was written before them.
db_name=$(basename "$DB")
copy_tree "$DATA_DIR" "$stage/data" ! -path './*/*' \
  \( -name "$db_name" -o -name "$db_name-wal" -o -name "$db_name-shm" -o -name "$db_name-journal" \
  -o -name '*.pre-restore-*' -o -name '.restore.*' \) -prune -o
# 3. The configuration without secrets (directories come along for their modes).
if [ -d "$CONFIG_DIR" ]; then
  copy_tree "$CONFIG_DIR" "$stage/config" \( -type d -o -type f -perm -o=r ! -name '*credentials*' ! -name '*key*' \)
else
  log "no configuration directory at $CONFIG_DIR"
  mkdir "$stage/config"
fi

{
  echo "format=edge-backup/2"
  echo "site=$SITE"
  echo "created=$stamp"
  echo "database=$DB"
  echo "sqlite=$(sqlite3 --version | cut -d' ' -f1)"
} >"$stage/info"
(cd "$stage" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) >"$work/manifest.sha256"
mv "$work/manifest.sha256" "$stage/manifest.sha256"
files=$(($(wc -l <"$stage/manifest.sha256") - 2))

t=$(now)
tar -C "$stage" --numeric-owner --sort=name -czf "$work/$name" info manifest.sha256 app.db data config
gzip -t "$work/$name"
chmod 0600 "$work/$name"
# ln, not mv: it fails instead of replacing a file of the same name.
ln "$work/$name" "$BACKUP_DIR/$name"
size=$(stat -c %s "$BACKUP_DIR/$name")
log "wrote $BACKUP_DIR/$name ($size bytes, the database and $files files) in $(since "$t")s"

t=$(now)
tier=""
if [ "$TIERS" = "1" ]; then
  if [ "$(date -u +%d)" = "01" ]; then
    tier=monthly/
  elif [ "$(date -u +%u)" = "7" ]; then
    tier=weekly/
  else
    tier=daily/
  fi
fi
timeout_run "the upload" aws s3 cp --only-show-errors "$BACKUP_DIR/$name" "s3://$BUCKET/${PREFIX}${SITE}/${tier}$name"
log "uploaded s3://$BUCKET/${PREFIX}${SITE}/${tier}$name in $(since "$t")s"

find "$BACKUP_DIR" -maxdepth 1 -type f \( -name 'app-*.tar.gz' -o -name 'app-*.db.gz' \) -mmin +$((RETENTION_DAYS * 24 * 60)) -print -delete |
  sed 's/^/edge-backup: expired /' >&2

duration=$(since "$started")
if [ -n "$TEXTFILE_DIR" ] && [ -d "$TEXTFILE_DIR" ]; then
  metrics=$(mktemp "$TEXTFILE_DIR/.edge-backup.XXXXXX")
  {
    echo '# HELP edge_backup_last_success_timestamp_seconds When the last backup was uploaded.'
    echo '# TYPE edge_backup_last_success_timestamp_seconds gauge'
    echo "edge_backup_last_success_timestamp_seconds $(date +%s)"
    echo '# HELP edge_backup_last_duration_seconds How long the last successful backup took.'
    echo '# TYPE edge_backup_last_duration_seconds gauge'
    echo "edge_backup_last_duration_seconds $duration"
    echo '# HELP edge_backup_last_size_bytes Size of the last uploaded backup archive.'
    echo '# TYPE edge_backup_last_size_bytes gauge'
    echo "edge_backup_last_size_bytes $size"
  } >"$metrics"
  chmod 0644 "$metrics"
  mv "$metrics" "$TEXTFILE_DIR/edge-backup.prom"
fi
log "done in ${duration}s"
