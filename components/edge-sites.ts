import * as aws from "@pulumi/aws";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { edgeSitePrefix, writerStatements } from "./backups";
import { ecrPullStatements, ecrRepositoryArn } from "./edge/ecr";
import { siteCommonName, sitePublicName, type SiteIdentity } from "./edge/identity";
import { siteRemoteWriteToken, type RemoteWriteReceiver } from "./monitoring";

/** What one Pi site holds, secret: its Roles Anywhere private key and, with a metrics receiver, its remote-write token. */
export interface EdgeSiteCredentials {
  /** PEM private key of the site's client certificate (SiteIdentity.certificatePem). */
  identityKeyPem: string;
  /** Bearer token for the cluster's remote-write proxy; absent when the cloud stack has no monitoring. */
  metricsToken?: string;
}

/**
 * How long a site's client certificate is valid, and how early `pulumi up` of the cloud stack
 * replaces it: any `up` in the last 30 days signs a new one (CI deploys dev and prod from main),
 * and the edge stack's next `up` installs it. A stolen key is useless after at most 90 days.
 */
export const SITE_CERTIFICATE_VALIDITY_HOURS = 90 * 24;
export const SITE_CERTIFICATE_EARLY_RENEWAL_HOURS = 30 * 24;
/** The CA's validity: ten years, renewed by the first `up` in its last year (every site certificate is re-signed with it). */
export const EDGE_CA_VALIDITY_HOURS = 10 * 365 * 24;
export const EDGE_CA_EARLY_RENEWAL_HOURS = 365 * 24;
/** Session length of the credentials the Pi gets from Roles Anywhere. */
export const SITE_SESSION_SECONDS = 3600;

/** The IAM policy of one site: put under its own backup folder, pull the edge app image; nothing else. */
export function siteAccessPolicy(args: {
  bucketArn: string;
  kmsKeyArn: string;
  repositoryArn: string;
  site: string;
}): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      ...writerStatements(args.bucketArn, args.kmsKeyArn, edgeSitePrefix(args.site)),
      ...ecrPullStatements(args.repositoryArn),
    ],
  });
}

/**
 * The IAM policy of a site's ACME role, what certbot's Route 53 plugin needs for DNS-01 and no
 * more: find the zone (ListHostedZones has no resource-level permission), wait for a change, and
 * change in that zone only the TXT record `_acme-challenge.<name>` (Route 53's record-set
 * condition keys; `ForAllValues`: every record in the request must match). Creating any other
 * record, or a TXT record for another name, is denied.
 */
export function siteAcmePolicy(args: { zoneId: string; name: string }): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "FindZone", Effect: "Allow", Action: "route53:ListHostedZones", Resource: "*" },
      { Sid: "WaitForChange", Effect: "Allow", Action: "route53:GetChange", Resource: "arn:aws:route53:::change/*" },
      {
        Sid: "OwnChallengeRecordOnly",
        Effect: "Allow",
        Action: "route53:ChangeResourceRecordSets",
        Resource: `arn:aws:route53:::hostedzone/${args.zoneId}`,
        Condition: {
          "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [`_acme-challenge.${args.name}`],
            "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
            "route53:ChangeResourceRecordSetsActions": ["UPSERT", "DELETE"],
          },
        },
      },
    ],
  });
}

/**
 * Trust policy of a site's role: only IAM Roles Anywhere may assume it, only for a certificate
 * that chains to this stack's trust anchor (aws:SourceArn), issued by its CA and naming this
 * site (the subject CN, which Roles Anywhere maps to the session tag x509Subject/CN). A
 * certificate of another site, from the same CA, gets nothing here.
 */
export function siteTrustPolicy(args: { trustAnchorArn: string; site: string; issuerCommonName: string }): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "RolesAnywhereSiteCertificate",
        Effect: "Allow",
        Principal: { Service: "rolesanywhere.amazonaws.com" },
        // TagSession: Roles Anywhere tags the session with the certificate's attributes;
        // SetSourceIdentity: it sets the certificate's serial as the source identity (CloudTrail).
        Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        Condition: {
          StringEquals: {
            "aws:PrincipalTag/x509Subject/CN": siteCommonName(args.site),
            "aws:PrincipalTag/x509Issuer/CN": args.issuerCommonName,
          },
          ArnEquals: { "aws:SourceArn": args.trustAnchorArn },
        },
      },
    ],
  });
}

/**
 * The cloud stack's CA for its Pis and the IAM Roles Anywhere trust anchor made from it. The CA
 * is self-managed (@pulumi/tls: an ECDSA P-384 key kept as a secret in the stack's state) rather
 * than AWS Private CA, which bills per CA per month whether or not it signs anything; here it
 * signs a handful of certificates a quarter, all during `pulumi up`.
 */
export class EdgeTrustAnchor extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  readonly caCertPem: pulumi.Output<string>;
  /** The CA's key (secret): only LocallySignedCert in this stack reads it. */
  readonly caPrivateKeyPem: pulumi.Output<string>;
  /** Subject CN of the CA, pinned in every site's trust policy as the issuer. */
  readonly caCommonName: string;

  constructor(name: string, args: { tags?: Record<string, string> }, opts?: pulumi.ComponentResourceOptions) {
    super("platform:edge:TrustAnchor", name, {}, opts);
    this.caCommonName = `${name} edge CA`;
    const key = new tls.PrivateKey(
      `${name}-edge-ca`,
      { algorithm: "ECDSA", ecdsaCurve: "P384" },
      { parent: this, additionalSecretOutputs: ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"] },
    );
    const cert = new tls.SelfSignedCert(
      `${name}-edge-ca`,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: this.caCommonName, organization: "platform edge" },
        isCaCertificate: true,
        validityPeriodHours: EDGE_CA_VALIDITY_HOURS,
        earlyRenewalHours: EDGE_CA_EARLY_RENEWAL_HOURS,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      },
      { parent: this },
    );
    const anchor = new aws.rolesanywhere.TrustAnchor(
      `${name}-edge`,
      {
        name: `${name}-edge`,
        enabled: true,
        source: { sourceType: "CERTIFICATE_BUNDLE", sourceData: { x509CertificateData: cert.certPem } },
        tags: args.tags,
      },
      { parent: this },
    );
    this.arn = anchor.arn;
    this.caCertPem = cert.certPem;
    this.caPrivateKeyPem = pulumi.secret(key.privateKeyPem);
    this.registerOutputs({ arn: this.arn, caCertPem: this.caCertPem });
  }
}

export interface EdgeSiteAccessArgs {
  /** The site's name (`platform:edgeSites`), a DNS label. */
  site: string;
  /** The backup bucket and its KMS key, from the Backups component. */
  backup: { bucketArn: pulumi.Input<string>; kmsKeyArn: pulumi.Input<string> };
  /** URL of the `edge-app` ECR repository the Pi pulls from. */
  appRepositoryUrl: pulumi.Input<string>;
  /** The stack's trust anchor and CA: it signs the site's certificate. */
  trustAnchor: EdgeTrustAnchor;
  /** The metrics receiver and the cluster's provider; undefined when the stack has no monitoring. */
  remoteWrite?: { receiver: RemoteWriteReceiver; provider: k8s.Provider };
  /** The Route 53 zone of the Pis' names (platform:edgeDns): the site then gets an ACME role for `<site>.<zone>`. */
  dnsZone?: { name: string; zoneId: pulumi.Input<string> };
}

/**
 * Everything the cloud stack gives one Pi site, created in the cloud stack so that an edge stack
 * needs no IAM or cluster rights: an IAM role that may only put objects under `edge/<site>/` of
 * the backup bucket and pull the edge app image, assumable only through IAM Roles Anywhere with
 * the site's certificate (a Roles Anywhere profile and a client certificate signed by the
 * stack's CA, valid 90 days, re-signed by any `up` in its last 30), and (with monitoring) a
 * service account token allowed only to remote-write. Removing the site from
 * `platform:edgeSites` deletes all of it, which revokes that Pi alone.
 */
export class EdgeSiteAccess extends pulumi.ComponentResource {
  readonly site: string;
  /** `edge/<site>/`: the only prefix of the backup bucket this site may write. */
  readonly backupPrefix: string;
  readonly roleArn: pulumi.Output<string>;
  /** What the Pi needs to call Roles Anywhere, but its key (not secret). */
  readonly identity: pulumi.Output<SiteIdentity>;
  /** The site's credentials (secret). */
  readonly credentials: pulumi.Output<EdgeSiteCredentials>;

  constructor(name: string, args: EdgeSiteAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:edge:SiteAccess", name, {}, opts);
    const { site, trustAnchor } = args;
    const tags = { "edge-site": site };
    const role = new aws.iam.Role(
      name,
      {
        path: "/edge/",
        description: `Pi site ${site}: put under ${edgeSitePrefix(site)} of the backup bucket, pull edge-app; through IAM Roles Anywhere only`,
        assumeRolePolicy: trustAnchor.arn.apply((trustAnchorArn) =>
          siteTrustPolicy({ trustAnchorArn, site, issuerCommonName: trustAnchor.caCommonName }),
        ),
        maxSessionDuration: SITE_SESSION_SECONDS,
        tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      name,
      {
        role: role.name,
        policy: pulumi
          .all([args.backup.bucketArn, args.backup.kmsKeyArn, args.appRepositoryUrl])
          .apply(([bucketArn, kmsKeyArn, url]) =>
            siteAccessPolicy({ bucketArn, kmsKeyArn, repositoryArn: ecrRepositoryArn(url), site }),
          ),
      },
      { parent: this },
    );
    const acme = args.dnsZone ? this.acmeRole(name, site, trustAnchor, args.dnsZone) : undefined;
    const profile = new aws.rolesanywhere.Profile(
      name,
      {
        name,
        enabled: true,
        roleArns: acme ? [role.arn, acme.roleArn] : [role.arn],
        durationSeconds: SITE_SESSION_SECONDS,
        tags,
      },
      { parent: this },
    );
    const key = new tls.PrivateKey(
      name,
      { algorithm: "ECDSA", ecdsaCurve: "P256" },
      { parent: this, additionalSecretOutputs: ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"] },
    );
    const request = new tls.CertRequest(
      name,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: siteCommonName(site), organization: "platform edge" },
      },
      { parent: this },
    );
    const cert = new tls.LocallySignedCert(
      name,
      {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: trustAnchor.caPrivateKeyPem,
        caCertPem: trustAnchor.caCertPem,
        validityPeriodHours: SITE_CERTIFICATE_VALIDITY_HOURS,
        earlyRenewalHours: SITE_CERTIFICATE_EARLY_RENEWAL_HOURS,
        allowedUses: ["digital_signature", "client_auth"],
      },
      { parent: this },
    );
    const metricsToken = args.remoteWrite
      ? siteRemoteWriteToken(name, site, args.remoteWrite.receiver, {
          parent: this,
          provider: args.remoteWrite.provider,
        })
      : pulumi.output(undefined);

    this.site = site;
    this.backupPrefix = edgeSitePrefix(site);
    this.roleArn = role.arn;
    this.identity = pulumi
      .all([trustAnchor.arn, profile.arn, role.arn, cert.certPem, acme?.roleArn])
      .apply(([trustAnchorArn, profileArn, roleArn, certificatePem, acmeRoleArn]) => ({
        trustAnchorArn,
        profileArn,
        roleArn,
        certificatePem,
        ...(acme && acmeRoleArn ? { acme: { name: acme.name, roleArn: acmeRoleArn } } : {}),
      }));
    this.credentials = pulumi.secret(
      pulumi.all([key.privateKeyPem, metricsToken]).apply(([identityKeyPem, token]) => ({
        identityKeyPem,
        ...(token === undefined ? {} : { metricsToken: token }),
      })),
    );
    this.registerOutputs({
      site,
      backupPrefix: this.backupPrefix,
      roleArn: this.roleArn,
      identity: this.identity,
      credentials: this.credentials,
    });
  }

  /**
   * The site's second role, for certbot only: the same certificate (same trust conditions), a
   * policy that may change only `_acme-challenge.<site>.<zone>` TXT. Kept apart from the backup
   * role so that neither credential can do the other's job.
   */
  private acmeRole(
    name: string,
    site: string,
    trustAnchor: EdgeTrustAnchor,
    zone: { name: string; zoneId: pulumi.Input<string> },
  ): { name: string; roleArn: pulumi.Output<string> } {
    const publicName = sitePublicName(site, zone.name);
    const role = new aws.iam.Role(
      `${name}-acme`,
      {
        path: "/edge/",
        description: `Pi site ${site}: the TXT record _acme-challenge.${publicName} only (certbot DNS-01); through IAM Roles Anywhere only`,
        assumeRolePolicy: trustAnchor.arn.apply((trustAnchorArn) =>
          siteTrustPolicy({ trustAnchorArn, site, issuerCommonName: trustAnchor.caCommonName }),
        ),
        maxSessionDuration: SITE_SESSION_SECONDS,
        tags: { "edge-site": site },
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-acme`,
      {
        role: role.name,
        policy: pulumi.output(zone.zoneId).apply((zoneId) => siteAcmePolicy({ zoneId, name: publicName })),
      },
      { parent: this },
    );
    return { name: publicName, roleArn: role.arn };
  }
}
