#!/usr/bin/env bash
# Writes the Pi's temperature, firmware throttle flags and the TLS certificate's expiry for node
# exporter's textfile collector.
#
# `vcgencmd get_throttled` prints throttled=0x<bits>. The bits used here:
#   0  under-voltage detected now           16  under-voltage has occurred since boot
#   1  ARM frequency capped now             17  frequency capping has occurred since boot
#   2  currently throttled                  18  throttling has occurred since boot
#   3  soft temperature limit active now    19  soft temperature limit has occurred since boot
set -euo pipefail

THERMAL_FILE=${PI_THERMAL_FILE:-/sys/class/thermal/thermal_zone0/temp}
VCGENCMD=${PI_VCGENCMD:-vcgencmd}
# nginx's certificate (written by pulumi up): its expiry is exported so a certificate nobody renews alerts.
TLS_CERT=${EDGE_TLS_CERT:-/etc/edge/tls/cert.pem}
# The site's IAM Roles Anywhere certificate: when it lapses, the Pi's AWS access (backups, pulls) stops.
IDENTITY_CERT=${EDGE_IDENTITY_CERT:-/etc/edge/identity/cert.pem}
OUT_DIR=${EDGE_TEXTFILE_DIR:-/var/lib/node_exporter/textfile}
# The app's own /health through this Pi's nginx (the name nginx serves, from /etc/edge/backup.env):
# EdgeAppUnhealthy fires on it, not only on the /metrics scrape. Unset: not probed.
HEALTH_HOST=${EDGE_HOST:-}
HEALTH_PORT=${EDGE_HEALTH_PORT:-443}
OUT="$OUT_DIR/pi.prom"

bit() { echo $(((${1} >> ${2}) & 1)); }

tmp=$(mktemp "$OUT_DIR/.pi.prom.XXXXXX")
trap 'rm -f "$tmp"' EXIT
success=1
{
  if millidegrees=$(cat "$THERMAL_FILE" 2>/dev/null) && [[ $millidegrees =~ ^-?[0-9]+$ ]]; then
    echo '# HELP pi_cpu_temperature_celsius SoC temperature from the thermal zone.'
    echo '# TYPE pi_cpu_temperature_celsius gauge'
    awk -v m="$millidegrees" 'BEGIN { printf "pi_cpu_temperature_celsius %.3f\n", m / 1000 }'
  else
    success=0
  fi
  if raw=$("$VCGENCMD" get_throttled 2>/dev/null) && [[ $raw =~ ^throttled=(0x[0-9a-fA-F]+)$ ]]; then
    flags=$((BASH_REMATCH[1]))
    echo '# HELP pi_under_voltage 1 while the supply is under-voltage (get_throttled bit 0).'
    echo '# TYPE pi_under_voltage gauge'
    echo "pi_under_voltage $(bit "$flags" 0)"
    echo '# HELP pi_throttled 1 while the firmware throttles the CPU (get_throttled bit 2).'
    echo '# TYPE pi_throttled gauge'
    echo "pi_throttled $(bit "$flags" 2)"
    echo '# HELP pi_under_voltage_since_boot 1 when under-voltage occurred since boot (bit 16).'
    echo '# TYPE pi_under_voltage_since_boot gauge'
    echo "pi_under_voltage_since_boot $(bit "$flags" 16)"
    echo '# HELP pi_throttled_since_boot 1 when throttling occurred since boot (bit 18).'
    echo '# TYPE pi_throttled_since_boot gauge'
    echo "pi_throttled_since_boot $(bit "$flags" 18)"
    echo '# HELP pi_throttled_flags The raw get_throttled bit field.'
    echo '# TYPE pi_throttled_flags gauge'
    echo "pi_throttled_flags $flags"
  else
    success=0
  fi
  if not_after=$(openssl x509 -noout -enddate -in "$TLS_CERT" 2>/dev/null) && expiry=$(date -u -d "${not_after#notAfter=}" +%s 2>/dev/null); then
    echo '# HELP edge_tls_certificate_expiry_timestamp_seconds When the nginx certificate expires (notAfter), Unix time.'
    echo '# TYPE edge_tls_certificate_expiry_timestamp_seconds gauge'
    echo "edge_tls_certificate_expiry_timestamp_seconds $expiry"
  else
    success=0
  fi
  # Absent before the first deploy with an identity: not a failed reading.
  if [ -f "$IDENTITY_CERT" ]; then
    if not_after=$(openssl x509 -noout -enddate -in "$IDENTITY_CERT" 2>/dev/null) && expiry=$(date -u -d "${not_after#notAfter=}" +%s 2>/dev/null); then
      echo '# HELP edge_identity_certificate_expiry_timestamp_seconds When the site AWS identity certificate expires (notAfter), Unix time.'
      echo '# TYPE edge_identity_certificate_expiry_timestamp_seconds gauge'
      echo "edge_identity_certificate_expiry_timestamp_seconds $expiry"
    else
      success=0
    fi
  fi
  if [ -n "$HEALTH_HOST" ]; then
    # -k: the certificate may be self-signed; --resolve: this Pi's nginx, not DNS.
    if curl -fsS -k --max-time 5 --resolve "$HEALTH_HOST:$HEALTH_PORT:127.0.0.1" -o /dev/null "https://$HEALTH_HOST:$HEALTH_PORT/health" 2>/dev/null; then
      healthy=1
    else
      healthy=0
    fi
    echo '# HELP edge_app_health_ok 1 when the app answered GET /health with 2xx through nginx on the last probe.'
    echo '# TYPE edge_app_health_ok gauge'
    echo "edge_app_health_ok $healthy"
  fi
  echo '# HELP pi_metrics_collector_success 1 when every Pi reading succeeded.'
  echo '# TYPE pi_metrics_collector_success gauge'
  echo "pi_metrics_collector_success $success"
} >"$tmp"
chmod 0644 "$tmp"
# Atomic replace: node exporter never reads a half-written file.
mv "$tmp" "$OUT"
trap - EXIT
