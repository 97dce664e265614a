import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { RDS_CA_BUNDLE, RDS_CA_BUNDLE_SHA256 } from "../components/app-platform/rds-ca";
import { RDS_CA_IDENTIFIER } from "../components/database";
import { loadCloud, sourceFor } from "./helpers/config";
import { STACKS } from "./helpers/program";

/** The committed RDS CA bundle the pods verify the database with (components/app-platform/rds-ca.ts). */
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
  it("is the file whose SHA-256 is recorded next to its source", () => {
    assert.equal(createHash("sha256").update(RDS_CA_BUNDLE).digest("hex"), RDS_CA_BUNDLE_SHA256);
  });

  it("holds only self-signed Amazon RDS root CAs, each verified by its own key, none expired", () => {
    assert.ok(certificates.length >= 90, `${certificates.length} certificates`);
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
        `${expected} missing: refresh the bundle`,
      );
    });
  }
});
