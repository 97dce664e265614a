#!/usr/bin/env bash
# Prepares a Raspberry Pi 4 (Raspberry Pi OS / Debian bookworm, arm64) for the edge containers.
# Idempotent: every step checks or overwrites to a fixed state, so a second run changes nothing.
# Run as root: sudo env EDGE_USER=pi ... bash -s < host-prep.sh
# SYSROOT prefixes every file it writes (empty on the Pi); the sandbox test runs it twice under a
# temporary root with the system commands shimmed, and checks the second run changes nothing.
set -euo pipefail

EDGE_USER=${EDGE_USER:?EDGE_USER: the SSH user that drives Docker}
EDGE_APP_UID=${EDGE_APP_UID:-1000}
EDGE_ROOT=${EDGE_ROOT:-/srv/edge}
EDGE_BACKUP_DIR=${EDGE_BACKUP_DIR:-/var/backups/edge}
EDGE_TEXTFILE_DIR=${EDGE_TEXTFILE_DIR:-/var/lib/node_exporter/textfile}
SWAP_FILE=${SWAP_FILE:-/swapfile}
SWAP_MB=${SWAP_MB:-2048}
JOURNAL_MAX=${JOURNAL_MAX:-64M}
# Local time (HH:MM) unattended-upgrades may reboot the Pi at when an update needs it.
EDGE_REBOOT_TIME=${EDGE_REBOOT_TIME:-04:00}
EDGE_SSH_PORT=${EDGE_SSH_PORT:-22}
# Networks SSH is admitted from (space-separated CIDRs) and the sshd drop-in, both from platform:edge.
EDGE_SSH_ALLOW_FROM=${EDGE_SSH_ALLOW_FROM:?EDGE_SSH_ALLOW_FROM: the networks SSH is admitted from}
EDGE_SSHD_CONFIG=${EDGE_SSHD_CONFIG:?EDGE_SSHD_CONFIG: the sshd drop-in (renderSshdConfig)}
SYSROOT=${SYSROOT:-}

log() { printf 'host-prep: %s\n' "$*"; }

case "$EDGE_SSH_PORT" in
  '' | *[!0-9]*) log "EDGE_SSH_PORT must be a port number, got '$EDGE_SSH_PORT'" >&2; exit 2 ;;
esac
case "$EDGE_REBOOT_TIME" in
  [01][0-9]:[0-5][0-9] | 2[0-3]:[0-5][0-9]) ;;
  *) log "EDGE_REBOOT_TIME must be HH:MM, got '$EDGE_REBOOT_TIME'" >&2; exit 2 ;;
esac

# Writes $2 to $1 only when the content differs; returns 0 when it changed the file.
write_if_changed() {
  local path=$1 content=$2 mode=${3:-0644}
  if [ -f "$path" ] && [ "$(cat "$path")" = "$content" ]; then
    return 1
  fi
  install -d -m 0755 "$(dirname "$path")"
  printf '%s\n' "$content" >"$path.tmp"
  chmod "$mode" "$path.tmp"
  mv "$path.tmp" "$path"
  log "wrote $path"
  return 0
}

packages() {
  # Debian's docker.io: signed by the distribution, updated by unattended-upgrades, arm64 built.
  local wanted=(docker.io ufw sqlite3 awscli curl ca-certificates unattended-upgrades openssl)
  local missing=()
  local p
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

docker_daemon() {
  # Container logs rotate (the SD card must not fill); live-restore keeps containers up over
  # a daemon upgrade.
  local daemon_json='{
  "log-driver": "json-file",
  "log-opts": { "max-size": "10m", "max-file": "3" },
  "live-restore": true
}'
  if write_if_changed "$SYSROOT/etc/docker/daemon.json" "$daemon_json"; then
    systemctl restart docker
  fi
  systemctl enable --now docker >/dev/null
  # The SSH user drives the Docker API through the provider's ssh:// connection.
  id -nG "$EDGE_USER" | tr ' ' '\n' | grep -qx docker || usermod -aG docker "$EDGE_USER"
}

firewall() {
  # Deny incoming but HTTP, HTTPS and SSH from the configured networks only, rate-limited (ufw
  # limit: a 7th connection within 30 s from one address is dropped). Docker's published ports
  # bypass ufw (DOCKER chain in nat), which is why only nginx publishes ports.
  ufw default deny incoming >/dev/null
  ufw default allow outgoing >/dev/null
  local port cidr stale
  for port in 80/tcp 443/tcp; do
    ufw allow "$port" >/dev/null
  done
  for cidr in $EDGE_SSH_ALLOW_FROM; do
    ufw limit proto tcp from "$cidr" to any port "$EDGE_SSH_PORT" >/dev/null
  done
  # Networks no longer configured, and the SSH-from-anywhere rule earlier versions added.
  for stale in $(ufw status | awk -v p="$EDGE_SSH_PORT/tcp" '$1 == p && $2 == "LIMIT" { print $3 }'); do
    case " $EDGE_SSH_ALLOW_FROM " in *" $stale "*) ;; *) ufw delete limit proto tcp from "$stale" to any port "$EDGE_SSH_PORT" >/dev/null ;; esac
  done
  if ufw status | awk -v p="$EDGE_SSH_PORT/tcp" '$1 == p && $2 == "ALLOW" { found = 1 } END { exit !found }'; then
    ufw delete allow "$EDGE_SSH_PORT/tcp" >/dev/null
  fi
  # Read whole first: with pipefail, grep -q quitting at the first line would make ufw fail on a
  # closed pipe while it still prints its rules, and the firewall would be re-enabled every run.
  local status
  status=$(ufw status)
  grep -q '^Status: active' <<<"$status" || ufw --force enable
}

sshd_hardening() {
  # The drop-in (components/edge/sshd.ts) is checked by `sshd -t` with the whole configuration
  # before sshd reloads; a rejected one is taken out again, so a bad change cannot lock the Pi out.
  local path="$SYSROOT/etc/ssh/sshd_config.d/10-edge.conf" want
  # Compared as $(cat) reads it: without trailing newlines.
  want=$(printf '%s' "$EDGE_SSHD_CONFIG")
  if [ -f "$path" ] && [ "$(cat "$path")" = "$want" ]; then
    return 0
  fi
  if [ -f "$path" ]; then cp -p "$path" "$path.previous"; fi
  install -d -m 0755 "$(dirname "$path")"
  printf '%s\n' "$want" >"$path.tmp"
  chmod 0644 "$path.tmp"
  mv "$path.tmp" "$path"
  if ! sshd -t; then
    if [ -f "$path.previous" ]; then mv "$path.previous" "$path"; else rm -f "$path"; fi
    log "sshd -t rejected the new drop-in; the previous sshd configuration stays" >&2
    exit 2
  fi
  rm -f "$path.previous"
  # Reload keeps the deploy's own session; new connections get the new settings.
  systemctl reload ssh
  log "wrote /etc/ssh/sshd_config.d/10-edge.conf and reloaded sshd"
}

swap() {
  # Raspberry Pi OS ships dphys-swapfile with 100 MB; one 2 GB swap file replaces it.
  if systemctl list-unit-files dphys-swapfile.service >/dev/null 2>&1; then
    systemctl disable --now dphys-swapfile.service >/dev/null 2>&1 || true
  fi
  local want_bytes=$((SWAP_MB * 1024 * 1024))
  local file="$SYSROOT$SWAP_FILE"
  if [ ! -f "$file" ] || [ "$(stat -c %s "$file")" -ne "$want_bytes" ]; then
    swapoff "$file" 2>/dev/null || true
    rm -f "$file"
    fallocate -l "$want_bytes" "$file"
    chmod 600 "$file"
    mkswap "$file" >/dev/null
    log "created ${SWAP_MB} MB swap at $SWAP_FILE"
  fi
  swapon --show=NAME --noheadings | grep -qx "$file" || swapon "$file"
  grep -q "^$SWAP_FILE " "$SYSROOT/etc/fstab" || printf '%s none swap sw 0 0\n' "$SWAP_FILE" >>"$SYSROOT/etc/fstab"
  # Swap only under real pressure: the SD card wears with every write.
  if write_if_changed "$SYSROOT/etc/sysctl.d/90-edge-swap.conf" 'vm.swappiness=10'; then
    sysctl -q -p "$SYSROOT/etc/sysctl.d/90-edge-swap.conf"
  fi
}

sd_card() {
  # noatime on / (no write per read); applied live with a remount.
  if ! findmnt -n -o OPTIONS / | tr ',' '\n' | grep -qx noatime; then
    awk '$2 == "/" && $4 !~ /noatime/ { $4 = $4 ",noatime" } { print }' "$SYSROOT/etc/fstab" >"$SYSROOT/etc/fstab.edge"
    mv "$SYSROOT/etc/fstab.edge" "$SYSROOT/etc/fstab"
    mount -o remount,noatime /
    log "root mounted noatime"
  fi
  # Journal on the card, so the logs before a crash or a reboot survive, but capped, and flushed
  # every 5 minutes instead of on every message (an emergency message is still written at once).
  local journald="[Journal]
Storage=persistent
SystemMaxUse=${JOURNAL_MAX}
SystemKeepFree=512M
RuntimeMaxUse=32M
SyncIntervalSec=5m
MaxRetentionSec=1month"
  if write_if_changed "$SYSROOT/etc/systemd/journald.conf.d/90-edge.conf" "$journald"; then
    systemctl restart systemd-journald
  fi
}

upgrades() {
  # Security updates daily (Debian's security archive, and the Raspberry Pi archive's kernel and
  # firmware), a reboot at EDGE_REBOOT_TIME when one needs it, old kernels removed.
  local periodic='APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";'
  # shellcheck disable=SC2016 # ${distro_codename} is unattended-upgrades' own variable.
  local policy='Unattended-Upgrade::Origins-Pattern {
  "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";
  "origin=Debian,codename=${distro_codename},label=Debian-Security";
  "origin=Raspberry Pi Foundation,codename=${distro_codename},label=Raspberry Pi Foundation";
};
Unattended-Upgrade::Remove-Unused-Kernel-Packages "true";
Unattended-Upgrade::Remove-Unused-Dependencies "true";
Unattended-Upgrade::Automatic-Reboot "true";
Unattended-Upgrade::Automatic-Reboot-WithUsers "true";
Unattended-Upgrade::Automatic-Reboot-Time "'"$EDGE_REBOOT_TIME"'";
Unattended-Upgrade::SyslogEnable "true";'
  write_if_changed "$SYSROOT/etc/apt/apt.conf.d/20auto-upgrades" "$periodic" || true
  write_if_changed "$SYSROOT/etc/apt/apt.conf.d/52edge-unattended-upgrades" "$policy" || true
  systemctl is-enabled --quiet apt-daily-upgrade.timer || systemctl enable --now apt-daily.timer apt-daily-upgrade.timer
}

directories() {
  local root="$SYSROOT$EDGE_ROOT"
  install -d -m 0755 -o root -g root "$root"
  # The app container runs as EDGE_APP_UID and owns its SQLite database.
  install -d -m 0750 -o "$EDGE_APP_UID" -g "$EDGE_APP_UID" "$root/data"
  # redis:7-alpine runs as uid 999, the Prometheus agent as nobody (65534).
  install -d -m 0750 -o 999 -g 999 "$root/redis"
  install -d -m 0750 -o 65534 -g 65534 "$root/prometheus"
  install -d -m 0700 -o root -g root "$SYSROOT$EDGE_BACKUP_DIR"
  install -d -m 0755 -o root -g root "$SYSROOT$EDGE_TEXTFILE_DIR"
  install -d -m 0755 -o root -g root "$SYSROOT/etc/edge" "$SYSROOT/usr/local/lib/edge"
  install -d -m 0700 -o root -g root "$SYSROOT/etc/edge/tls"
}

memory_cgroup() {
  # The Raspberry Pi kernel boots with the memory controller disabled, and Docker then ignores
  # --memory without failing. The kernel command line (one line) needs both parameters; they
  # take effect at the next boot only.
  local cmdline="$SYSROOT/boot/firmware/cmdline.txt"
  [ -f "$cmdline" ] || cmdline="$SYSROOT/boot/cmdline.txt"
  if [ -f "$cmdline" ]; then
    local line param missing=()
    line=$(head -n 1 "$cmdline")
    for param in cgroup_enable=memory cgroup_memory=1; do
      case " $line " in *" $param "*) ;; *) missing+=("$param") ;; esac
    done
    if [ "${#missing[@]}" -gt 0 ]; then
      printf '%s %s\n' "$line" "${missing[*]}" >"$cmdline.edge"
      chmod --reference="$cmdline" "$cmdline.edge"
      mv "$cmdline.edge" "$cmdline"
      log "added ${missing[*]} to $cmdline"
    fi
  else
    log "no cmdline.txt under /boot/firmware or /boot: not changing the kernel command line"
  fi
  # Active now? cgroup v2 lists its controllers; v1 has an enabled column in /proc/cgroups.
  local controllers="$SYSROOT/sys/fs/cgroup/cgroup.controllers"
  local active=no
  if [ -f "$controllers" ]; then
    tr ' ' '\n' <"$controllers" | grep -qx memory && active=yes
  elif [ -f "$SYSROOT/proc/cgroups" ]; then
    awk '$1 == "memory" && $4 == 1 { found = 1 } END { exit !found }' "$SYSROOT/proc/cgroups" && active=yes
  fi
  if [ "$active" != yes ]; then
    printf 'host-prep: the memory cgroup is not active, so Docker would ignore the container memory limits.\n' >&2
    printf 'host-prep: the kernel command line now enables it: reboot the Pi (sudo reboot) and run pulumi up again.\n' >&2
    exit 3
  fi
}

packages
docker_daemon
firewall
sshd_hardening
swap
sd_card
upgrades
directories
memory_cgroup
log "done"
