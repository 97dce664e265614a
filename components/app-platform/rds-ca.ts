import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The RDS certificate authorities' global bundle, committed next to this file and shipped to pods
 * as the ConfigMap `rds-ca`: clients connect with `sslmode=verify-full` against it.
 *
 * Why a committed file, not a download at pod start: a pod that fetches its trust anchors needs
 * egress to the Internet and a checksum to pin anyway, and a fetch that fails (or is tampered with)
 * at 01:30 fails the dump; a file in the repository is reviewed like code, changes only through a
 * pull request, and its SHA-256 is checked by a test.
 *
 * Source: AWS's global bundle, https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
 * (docs: "Using SSL/TLS to encrypt a connection to a DB instance"). This machine has no route to
 * it: the copy is the one committed in github.com/safvan13058/aizoplug_backend
 * (183db090efd451d23d87293ca5ee61c26131551a, 2025-04-09; 96 certificates), line endings converted
 * from CRLF to LF. 87 of its certificates are byte-identical to an independent copy
 * (github.com/huggingface/chat-ui 3dbeff3845073723ebbf61f7d9c95847f0d45c1c, 2023-06-28); the other 9
 * are the roots of three newer regions (ap-southeast-5, ca-west-1, il-central-1). Every
 * certificate is a self-signed "Amazon RDS <region> Root CA" (test/app-platform-rds-ca.test.ts).
 * Regions opened after April 2025 are not in it: refresh the file from the URL above (and this
 * checksum) before using one.
 */
export const RDS_CA_BUNDLE_FILE = "rds-global-bundle.pem";
export const RDS_CA_BUNDLE = fs.readFileSync(path.join(__dirname, RDS_CA_BUNDLE_FILE), "utf8");
export const RDS_CA_BUNDLE_SHA256 = "390fdc813e2e58ec5a0def8ce6422b83d75032899167052ab981d8e1b3b14ff2";
export const RDS_CA_BUNDLE_SOURCE = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem";

/** Where pods mount the ConfigMap, and the path PGSSLROOTCERT names. */
export const RDS_CA_MOUNT_DIR = "/etc/rds-ca";
export const RDS_CA_KEY = "global-bundle.pem";
export const RDS_CA_PATH = `${RDS_CA_MOUNT_DIR}/${RDS_CA_KEY}`;
/** The ConfigMap in the app namespace that holds the bundle. */
export const RDS_CA_CONFIGMAP = "rds-ca";
