/** Where host preparation installs the drop-in; Debian's sshd_config includes sshd_config.d/*.conf first. */
export const SSHD_DROP_IN = "/etc/ssh/sshd_config.d/10-edge.conf";

export interface SshdConfigArgs {
  /** The only account allowed in: the deploy user (`edge.user`). */
  user: string;
  /** The port sshd listens on (`edge.port`). */
  port: number;
}

/**
 * The Pi's sshd drop-in: public keys only, no root, only the deploy user, current key exchange,
 * ciphers and MACs (OpenSSH 9.2 on bookworm), and dead sessions cut after about 15 minutes of
 * silence. sshd takes the first value of each keyword, and Debian includes sshd_config.d before
 * its own settings, so these win over the image's defaults. Host preparation validates it with
 * `sshd -t` before reloading.
 */
export function renderSshdConfig(args: SshdConfigArgs): string {
  return [
    "# Installed by the edge stack (host-prep.sh); changes are overwritten by the next pulumi up.",
    `Port ${args.port}`,
    "PermitRootLogin no",
    `AllowUsers ${args.user}`,
    "AuthenticationMethods publickey",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitEmptyPasswords no",
    "HostbasedAuthentication no",
    "IgnoreRhosts yes",
    // sntrup761 is post-quantum hybrid (OpenSSH 9.0+); curve25519 for older clients.
    "KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org",
    "Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com",
    "MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
    "HostKeyAlgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256",
    "PubkeyAcceptedAlgorithms ssh-ed25519,sk-ssh-ed25519@openssh.com,rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256",
    "LoginGraceTime 30",
    "MaxAuthTries 3",
    "MaxSessions 10",
    "MaxStartups 10:30:60",
    // 3 unanswered probes 5 minutes apart: a vanished client's session ends after 15 minutes.
    "ClientAliveInterval 300",
    "ClientAliveCountMax 3",
    "X11Forwarding no",
    "AllowAgentForwarding no",
    // The Docker provider's ssh:// connection runs `docker system dial-stdio`: no TCP forwarding needed.
    "AllowTcpForwarding no",
    "PermitTunnel no",
    "GatewayPorts no",
    "PermitUserEnvironment no",
    "LogLevel VERBOSE",
    "",
  ].join("\n");
}
