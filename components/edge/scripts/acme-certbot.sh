#!/usr/bin/env bash
# The Pi's publicly trusted certificate by ACME DNS-01 (Let's Encrypt), with certbot and its
# Route 53 plugin (Debian's certbot and python3-certbot-dns-route53). certbot proves control of
# the name with a TXT record `_acme-challenge.<name>`, written with the site's ACME role (IAM Roles
# Anywhere through credential_process: AWS_CONFIG_FILE, profile AWS_PROFILE), which may change
# that record only. Renewal needs no deploy: Debian's certbot.timer runs `certbot renew` twice a
# day, and a drop-in gives certbot.service the same AWS config and profile; certbot renews in the
# certificate's last 30 days and runs the deploy hook, which installs it and reloads nginx.
# Idempotent: with a certificate not yet due, certbot changes nothing (--keep-until-expiring),
# and the hook runs only when the installed copy is not the lineage's current one.
# Run as root: sudo env EDGE_ACME_DOMAIN=... EDGE_ACME_EMAIL=... bash -s < acme-certbot.sh
# Prints the installed certificate (full chain, PEM) on stdout; everything else goes to stderr.
set -euo pipefail

DOMAIN=${EDGE_ACME_DOMAIN:?EDGE_ACME_DOMAIN: the name to certify}
EMAIL=${EDGE_ACME_EMAIL:?EDGE_ACME_EMAIL: the ACME account contact}
STAGING=${EDGE_ACME_STAGING:-0}
HOOK=${EDGE_ACME_DEPLOY_HOOK:-/usr/local/lib/edge/acme-deploy-hook.sh}
TLS_DIR=${EDGE_ACME_TLS_DIR:-/etc/edge/tls/acme}
LETSENCRYPT=${EDGE_LETSENCRYPT_DIR:-/etc/letsencrypt}
export AWS_CONFIG_FILE=${AWS_CONFIG_FILE:-/etc/edge/aws-config}
export AWS_PROFILE=${AWS_PROFILE:-edge-acme}
# Prefixes the systemd drop-in (empty on the Pi; a temporary root in the test).
SYSROOT=${SYSROOT:-}

log() { printf 'acme: %s\n' "$*" >&2; }

case "$DOMAIN" in
  *[!a-z0-9.-]* | '' | .* | *.) log "EDGE_ACME_DOMAIN must be a lower-case DNS name, got '$DOMAIN'"; exit 2 ;;
esac

packages() {
  local wanted=(certbot python3-certbot-dns-route53) missing=() p
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  fi
}

renewal_environment() {
  local dir="$SYSROOT/etc/systemd/system/certbot.service.d" want
  want="[Service]
Environment=AWS_CONFIG_FILE=$AWS_CONFIG_FILE
Environment=AWS_PROFILE=$AWS_PROFILE"
  if [ ! -f "$dir/edge-acme.conf" ] || [ "$(cat "$dir/edge-acme.conf")" != "$want" ]; then
    install -d -m 0755 "$dir"
    printf '%s\n' "$want" >"$dir/edge-acme.conf.tmp"
    mv "$dir/edge-acme.conf.tmp" "$dir/edge-acme.conf"
    systemctl daemon-reload
    log "certbot.service renews with the site's ACME role"
  fi
  systemctl is-enabled --quiet certbot.timer || systemctl enable --now certbot.timer >&2
}

issue() {
  local args=(certonly --non-interactive --agree-tos --email "$EMAIL" --dns-route53
    --domain "$DOMAIN" --cert-name "$DOMAIN" --key-type ecdsa --keep-until-expiring --deploy-hook "$HOOK")
  if [ "$STAGING" = 1 ]; then args+=(--staging); fi
  certbot "${args[@]}" >&2
}

packages
renewal_environment
issue
lineage="$LETSENCRYPT/live/$DOMAIN"
if ! cmp -s "$lineage/fullchain.pem" "$TLS_DIR/fullchain.pem" || ! cmp -s "$lineage/privkey.pem" "$TLS_DIR/privkey.pem"; then
  RENEWED_LINEAGE="$lineage" EDGE_ACME_TLS_DIR="$TLS_DIR" "$HOOK"
fi
cat "$TLS_DIR/fullchain.pem"
