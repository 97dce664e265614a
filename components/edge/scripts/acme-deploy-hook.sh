#!/usr/bin/env bash
# certbot's deploy hook for the Pi's certificate (run by certbot after it obtains or renews one,
# and by acme-certbot.sh when the installed copy is not the current one): copies the lineage's
# full chain and key where nginx reads them (the TLS directory is mounted read-only into the nginx
# container), atomically, then asks nginx to reload (SIGHUP: new workers with the new
# certificate, no dropped connection). nginx not running yet (the first deploy) is fine: it
# reads the files when it starts.
set -euo pipefail

LINEAGE=${RENEWED_LINEAGE:?RENEWED_LINEAGE: the certificate lineage certbot renewed}
TLS_DIR=${EDGE_ACME_TLS_DIR:-/etc/edge/tls/acme}
NGINX=${EDGE_NGINX_CONTAINER:-edge-nginx}

log() { printf 'acme-deploy-hook: %s\n' "$*" >&2; }

# install_file SRC DEST MODE: a copy next to DEST, then a rename over it.
install_file() {
  local tmp
  tmp=$(mktemp "$2.XXXXXX")
  cat "$1" >"$tmp"
  chmod "$3" "$tmp"
  mv "$tmp" "$2"
}

install -d -m 0755 "$TLS_DIR"
install_file "$LINEAGE/privkey.pem" "$TLS_DIR/privkey.pem" 0600
install_file "$LINEAGE/fullchain.pem" "$TLS_DIR/fullchain.pem" 0644
log "installed $(basename "$LINEAGE")'s certificate in $TLS_DIR"

if [ "$(docker inspect -f '{{.State.Running}}' "$NGINX" 2>/dev/null || true)" = true ]; then
  docker kill --signal HUP "$NGINX" >/dev/null
  log "nginx reloaded"
else
  log "nginx is not running: it reads the certificate when it starts"
fi
