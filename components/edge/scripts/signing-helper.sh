#!/usr/bin/env bash
# Installs AWS's IAM Roles Anywhere credential helper (aws_signing_helper), the program the AWS
# CLI runs through credential_process to trade the site's certificate for session credentials.
# Pinned: the version's URL and the SHA-256 AWS publishes for it (components/edge/identity.ts);
# a download that does not match is refused and nothing is installed. Idempotent: a helper whose
# checksum already matches is left alone, so a second run downloads nothing.
# Run as root: sudo env EDGE_SIGNING_HELPER_URL=... EDGE_SIGNING_HELPER_SHA256=... bash -s
# SYSROOT prefixes the installed path (empty on the Pi; a temporary root in the test).
set -euo pipefail

URL=${EDGE_SIGNING_HELPER_URL:?EDGE_SIGNING_HELPER_URL: where AWS serves the pinned release}
SHA256=${EDGE_SIGNING_HELPER_SHA256:?EDGE_SIGNING_HELPER_SHA256: its published checksum}
DEST=${EDGE_SIGNING_HELPER_PATH:-/usr/local/bin/aws_signing_helper}
SYSROOT=${SYSROOT:-}
target="$SYSROOT$DEST"

log() { printf 'signing-helper: %s\n' "$*"; }

case "$SHA256" in
  *[!0-9a-f]* | '') log "EDGE_SIGNING_HELPER_SHA256 must be 64 lower-case hex digits" >&2; exit 2 ;;
esac
if [ "${#SHA256}" -ne 64 ]; then log "EDGE_SIGNING_HELPER_SHA256 must be 64 lower-case hex digits" >&2; exit 2; fi

matches() { printf '%s  %s\n' "$SHA256" "$1" | sha256sum --check --status; }

if [ -f "$target" ] && matches "$target"; then
  log "$DEST is already the pinned release"
  exit 0
fi

install -d -m 0755 "$(dirname "$target")"
tmp=$(mktemp "$target.XXXXXX")
trap 'rm -f "$tmp"' EXIT
curl --fail --silent --show-error --location --proto '=https' --retry 3 --max-time 300 --output "$tmp" "$URL"
if ! matches "$tmp"; then
  log "the download from $URL does not have SHA-256 $SHA256; nothing installed" >&2
  exit 1
fi
chmod 0755 "$tmp"
mv "$tmp" "$target"
trap - EXIT
log "installed $DEST from $URL"
