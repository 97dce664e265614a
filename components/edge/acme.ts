import type { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { remoteFile, remoteScript, type Connection } from "./host";
import type { NginxConfArgs } from "./nginx";
import { ACME_AWS_PROFILE, IDENTITY_PATHS } from "./identity";
import { EDGE_PATHS, EDGE_SCRIPTS, sha256 } from "./scripts";

/**
 * The publicly trusted certificate (platform:edge.acme): certbot on the Pi obtains it by ACME
 * DNS-01 with the site's ACME role and renews it on its own timer, without a deploy. Its files
 * live apart from the self-signed or provided certificate's (`/etc/edge/tls/acme/`, inside the
 * directory nginx mounts), so switching modes never has Pulumi delete what certbot installed.
 */
export const ACME_PATHS = {
  /** Where the deploy hook installs the current certificate (the Pi's path). */
  tlsDir: `${EDGE_PATHS.tls}/acme`,
  certificate: `${EDGE_PATHS.tls}/acme/fullchain.pem`,
  privateKey: `${EDGE_PATHS.tls}/acme/privkey.pem`,
  hook: `${EDGE_PATHS.bin}/acme-deploy-hook.sh`,
} as const;

/** The same files as nginx sees them (EDGE_PATHS.tls is mounted at /etc/nginx/tls). */
export const ACME_NGINX_PATHS = {
  certificatePath: "/etc/nginx/tls/acme/fullchain.pem",
  keyPath: "/etc/nginx/tls/acme/privkey.pem",
} as const;

/**
 * Where nginx finds its certificate and whether it sends HSTS, from the edge config alone (the
 * component and `--emit` both use it): HSTS only with a certificate browsers trust, ACME's
 * (not its staging CA) or a provided one.
 */
export function nginxTlsArgs(edge: {
  acme?: { staging?: boolean };
  tlsCertificate?: string;
}): Pick<NginxConfArgs, "hsts" | "certificatePath" | "keyPath"> {
  if (edge.acme) return { hsts: edge.acme.staging !== true, ...ACME_NGINX_PATHS };
  return { hsts: edge.tlsCertificate !== undefined };
}

/** The environment acme-certbot.sh runs with. */
export function acmeEnv(args: { domain: string; email: string; staging: boolean }): Record<string, string> {
  return {
    EDGE_ACME_DOMAIN: args.domain,
    EDGE_ACME_EMAIL: args.email,
    EDGE_ACME_STAGING: args.staging ? "1" : "0",
    EDGE_ACME_DEPLOY_HOOK: ACME_PATHS.hook,
    EDGE_ACME_TLS_DIR: ACME_PATHS.tlsDir,
    AWS_CONFIG_FILE: IDENTITY_PATHS.awsConfig,
    AWS_PROFILE: ACME_AWS_PROFILE,
  };
}

/**
 * The deploy hook and the certbot run on the Pi. The run happens on the first `up` with ACME and
 * again only when the name, contact, CA or scripts change; renewals are certbot's. Its output is
 * the installed certificate (PEM).
 */
export function acmeCertificate(
  parent: pulumi.Resource,
  name: string,
  args: {
    connection: Connection;
    domain: string;
    email: string;
    staging: boolean;
    dependsOn: pulumi.Resource[];
  },
): { certificatePem: pulumi.Output<string>; ready: remote.Command[] } {
  const hook = remoteFile(parent, `${name}-edge-acme-hook`, {
    connection: args.connection,
    path: ACME_PATHS.hook,
    content: EDGE_SCRIPTS["acme-deploy-hook.sh"],
    mode: "0755",
    dependsOn: args.dependsOn,
  });
  const certbot = remoteScript(parent, `${name}-edge-acme`, {
    connection: args.connection,
    script: EDGE_SCRIPTS["acme-certbot.sh"],
    env: acmeEnv(args),
    triggers: [sha256(EDGE_SCRIPTS["acme-deploy-hook.sh"])],
    dependsOn: [...args.dependsOn, hook],
  });
  return { certificatePem: certbot.stdout, ready: [hook, certbot] };
}
