import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const read = (relative: string) => fs.readFileSync(path.join(__dirname, relative), "utf8");

/** Every script sent to the Pi, by file name; kept as files so shellcheck and tests run them. */
export const EDGE_SCRIPTS = {
  "host-prep.sh": read("scripts/host-prep.sh"),
  "edge-backup.sh": read("scripts/edge-backup.sh"),
  "edge-restore.sh": read("scripts/edge-restore.sh"),
  "pi-metrics.sh": read("scripts/pi-metrics.sh"),
  "health-gate.sh": read("scripts/health-gate.sh"),
  "app-rollback.sh": read("scripts/app-rollback.sh"),
  "ecr-pull.sh": read("scripts/ecr-pull.sh"),
  "signing-helper.sh": read("scripts/signing-helper.sh"),
  "acme-certbot.sh": read("scripts/acme-certbot.sh"),
  "acme-deploy-hook.sh": read("scripts/acme-deploy-hook.sh"),
} as const;

/** systemd units installed on the Pi: the 03:00 backup, the 15 s Pi-metrics refresh and the weekly image pruning. */
export const EDGE_UNITS = {
  "edge-backup.service": read("systemd/edge-backup.service"),
  "edge-backup.timer": read("systemd/edge-backup.timer"),
  "pi-metrics.service": read("systemd/pi-metrics.service"),
  "pi-metrics.timer": read("systemd/pi-metrics.timer"),
  "edge-image-prune.service": read("systemd/edge-image-prune.service"),
  "edge-image-prune.timer": read("systemd/edge-image-prune.timer"),
} as const;

/** Where things live on the Pi. */
export const EDGE_PATHS = {
  root: "/srv/edge",
  data: "/srv/edge/data",
  database: "/srv/edge/data/app.db",
  redis: "/srv/edge/redis",
  prometheus: "/srv/edge/prometheus",
  backups: "/var/backups/edge",
  textfile: "/var/lib/node_exporter/textfile",
  bin: "/usr/local/lib/edge",
  etc: "/etc/edge",
  tls: "/etc/edge/tls",
  /** The metrics agent's remote-write token and CA, mounted read-only into its container. */
  metricsSecrets: "/etc/edge/metrics",
} as const;

export const sha256 = (content: string): string => createHash("sha256").update(content).digest("hex");
