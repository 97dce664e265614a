import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

export interface SelfSignedCertOptions {
  /** The subject CN. */
  commonName: string;
  /** Validity in days. */
  days: number;
  /** Add a subjectAltName for the CN (an IP address or a DNS name, as nginx's clients check it). */
  subjectAltName?: boolean;
  /** File names under the directory; default `cert.pem` and `key.pem`. */
  certFile?: string;
  keyFile?: string;
}

/**
 * A throwaway self-signed ECDSA P-256 certificate made by the real openssl in `dir`, and its
 * notAfter as `openssl x509 -enddate` prints it (what pi-metrics.sh parses). Callers check
 * `requireTool("openssl")` first.
 */
export function selfSignedCert(
  dir: string,
  options: SelfSignedCertOptions,
): { cert: string; key: string; notAfter: string } {
  const cert = path.join(dir, options.certFile ?? "cert.pem");
  const key = path.join(dir, options.keyFile ?? "key.pem");
  const { commonName: cn } = options;
  const san = options.subjectAltName ? ["-addext", `subjectAltName=${/^[\d.]+$/.test(cn) ? "IP" : "DNS"}:${cn}`] : [];
  const made = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"].concat([
      "-days",
      String(options.days),
      "-subj",
      `/CN=${cn}`,
      ...san,
      "-keyout",
      key,
      "-out",
      cert,
    ]),
    { encoding: "utf8" },
  );
  assert.equal(made.status, 0, made.stderr);
  const enddate = spawnSync("openssl", ["x509", "-noout", "-enddate", "-in", cert], { encoding: "utf8" });
  assert.equal(enddate.status, 0, enddate.stderr);
  return { cert, key, notAfter: enddate.stdout.trim().replace(/^notAfter=/, "") };
}
