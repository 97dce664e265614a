import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * nginx's certificate: the configured one, or a self-signed ECDSA P-256 certificate for the
 * Pi's name, valid a year and renewed on the first `up` in its last 30 days.
 */
export function edgeCertificate(
  parent: pulumi.Resource,
  name: string,
  args: { host: string; certificatePem?: string; privateKeyPem?: pulumi.Output<string> },
): { certificatePem: pulumi.Output<string>; privateKeyPem: pulumi.Output<string>; selfSigned: boolean } {
  if (args.certificatePem && args.privateKeyPem)
    return {
      certificatePem: pulumi.output(args.certificatePem),
      privateKeyPem: pulumi.secret(args.privateKeyPem),
      selfSigned: false,
    };
  const key = new tls.PrivateKey(`${name}-edge-tls`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
  const isAddress = IPV4.test(args.host);
  const cert = new tls.SelfSignedCert(
    `${name}-edge-tls`,
    {
      privateKeyPem: key.privateKeyPem,
      subject: { commonName: args.host, organization: "platform edge" },
      ...(isAddress ? { ipAddresses: [args.host] } : { dnsNames: [args.host] }),
      validityPeriodHours: 365 * 24,
      earlyRenewalHours: 30 * 24,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    },
    { parent },
  );
  return { certificatePem: cert.certPem, privateKeyPem: pulumi.secret(key.privateKeyPem), selfSigned: true };
}
