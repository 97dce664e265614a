#!/bin/sh
# Nightly pg_dump, uploader side: streams the FIFO to s3://$BUCKET/$PREFIX<date>/<db>.dump
# (multipart, nothing on local disk), then waits for the writer's status. A failed dump leaves
# a .FAILED marker next to the partial object so a restore never mistakes it for a good one.
set -eu

work=${WORK_DIR:-/work}
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
# Grandfather-father-son: the dump of the 1st of the month is the monthly archive, Sunday's the
# weekly copy, any other night's a daily one; the bucket's lifecycle keeps each tier for its own
# time (platform:backups.weeklyRetentionDays / monthlyRetentionDays).
if [ "$(date -u +%d)" = "01" ]; then
  tier=monthly
elif [ "$(date -u +%u)" = "7" ]; then
  tier=weekly
else
  tier=daily
fi
key="${PREFIX}${tier}/$(date -u +%Y/%m/%d)/${DB_NAME}-${stamp}.dump"

aws s3 cp - "s3://${BUCKET}/${key}" --expected-size 107374182400 --no-progress <"$work/dump.fifo"

waited=0
while [ ! -f "$work/dump.status" ] && [ "$waited" -lt 60 ]; do
  sleep 1
  waited=$((waited + 1))
done

if [ "$(cat "$work/dump.status" 2>/dev/null)" = "ok" ]; then
  echo "uploaded s3://${BUCKET}/${key}"
  exit 0
fi
echo "dump failed: $(cat "$work/dump.status" 2>/dev/null || echo 'no status')" >&2
printf 'dump failed at %s\n' "$stamp" | aws s3 cp - "s3://${BUCKET}/${key}.FAILED" --no-progress
exit 1
