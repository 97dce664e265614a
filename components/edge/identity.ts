import { EDGE_PATHS } from "./scripts";

/**
 * The Pi's AWS identity without long-lived keys: IAM Roles Anywhere. The cloud stack signs a
 * short-lived client certificate per site with its own CA (the trust anchor); on the Pi, AWS's
 * credential helper (`aws_signing_helper`) trades the certificate and its key for one-hour
 * session credentials of the site's role, called by the AWS CLI through `credential_process`.
 * Nothing on the SD card is an AWS secret: a stolen key works only until its certificate
 * expires or the site's role, profile or the trust anchor is removed.
 */

/**
 * AWS's credential helper for Linux arm64, pinned with the checksum AWS publishes for it
 * (IAM Roles Anywhere user guide, "Get temporary security credentials", table of downloads).
 * The binaries are not GitHub release assets of aws/rolesanywhere-credential-helper: AWS serves
 * them from rolesanywhere.amazonaws.com/releases/<version>/<arch>/<os>/.
 */
export const SIGNING_HELPER = {
  version: "1.5.0",
  url: "https://rolesanywhere.amazonaws.com/releases/1.5.0/Aarch64/Linux/aws_signing_helper",
  sha256: "c01ae38181309a25cb3451c84b3cdaec8e9308ffd0b89015f3c667914050b053",
  path: "/usr/local/bin/aws_signing_helper",
} as const;

/** Where the site's identity lives on the Pi; root's, as the backup unit and the image pull run as root. */
export const IDENTITY_PATHS = {
  dir: `${EDGE_PATHS.etc}/identity`,
  /** The site's client certificate (public), signed by the cloud stack's CA. */
  certificate: `${EDGE_PATHS.etc}/identity/cert.pem`,
  /** Its private key: 0600 root. */
  privateKey: `${EDGE_PATHS.etc}/identity/key.pem`,
  /** AWS CLI config naming the credential process (no secret in it); AWS_CONFIG_FILE points here. */
  awsConfig: `${EDGE_PATHS.etc}/aws-config`,
} as const;

/** What the cloud stack publishes for one site's Roles Anywhere identity (no secret: the key travels apart). */
export interface SiteIdentity {
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  /** The site's client certificate (PEM), subject CN siteCommonName(site). */
  certificatePem: string;
  /** With the cloud stack's platform:edgeDns zone: the site's public name and the role certbot uses for DNS-01. */
  acme?: { name: string; roleArn: string };
}

/** The AWS CLI profile (in IDENTITY_PATHS.awsConfig) certbot's Route 53 plugin uses: the site's ACME role. */
export const ACME_AWS_PROFILE = "edge-acme";

/** The site's public name in the cloud stack's zone: the name its ACME role may validate. */
export function sitePublicName(site: string, zoneName: string): string {
  return `${site}.${zoneName}`;
}

/** The certificate subject CN of a site: the site's role trusts only a certificate with this CN. */
export function siteCommonName(site: string): string {
  return `edge-site-${site}`;
}

const ROLES_ANYWHERE_ARN = (kind: string) =>
  new RegExp(`^arn:aws[a-z-]*:rolesanywhere:[a-z0-9-]+:\\d{12}:${kind}/[A-Za-z0-9-]+$`);
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

function checked(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`renderAwsConfig: ${what} ${JSON.stringify(value)} is not valid`);
  return value;
}

/**
 * The AWS CLI config of the Pi: the default profile gets its credentials from the credential
 * helper (one-hour sessions, fetched again when they run out). Every value is checked, since
 * the CLI runs the `credential_process` line split like a shell command.
 */
export function renderAwsConfig(args: {
  region: string;
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  /** Defaults: SIGNING_HELPER.path and IDENTITY_PATHS (the test points them at a stub). */
  helperPath?: string;
  certificatePath?: string;
  privateKeyPath?: string;
  /** With it, a second profile (ACME_AWS_PROFILE) for the same certificate and this role: certbot's DNS-01 only. */
  acmeRoleArn?: string;
}): string {
  const path = /^\/[A-Za-z0-9._/-]+$/;
  const command = [
    checked(args.helperPath ?? SIGNING_HELPER.path, path, "helper path"),
    "credential-process",
    "--certificate",
    checked(args.certificatePath ?? IDENTITY_PATHS.certificate, path, "certificate path"),
    "--private-key",
    checked(args.privateKeyPath ?? IDENTITY_PATHS.privateKey, path, "private key path"),
    "--trust-anchor-arn",
    checked(args.trustAnchorArn, ROLES_ANYWHERE_ARN("trust-anchor"), "trust anchor ARN"),
    "--profile-arn",
    checked(args.profileArn, ROLES_ANYWHERE_ARN("profile"), "profile ARN"),
  ].join(" ");
  const profile = (role: string) => [
    `region = ${args.region}`,
    `credential_process = ${command} --role-arn ${checked(role, ROLE_ARN, "role ARN")} --region ${checked(args.region, REGION, "region")}`,
  ];
  return [
    "[default]",
    ...profile(args.roleArn),
    ...(args.acmeRoleArn ? ["", `[profile ${ACME_AWS_PROFILE}]`, ...profile(args.acmeRoleArn)] : []),
    "",
  ].join("\n");
}
