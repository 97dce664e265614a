import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { remote, type types } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { EdgeConfig } from "../../config";
import { OFFLINE_PLAN_ENV } from "./reachability";
import { sha256 } from "./scripts";

export type { EdgeConfig } from "../../config";
export type Connection = types.input.remote.ConnectionArgs;

/**
 * SSH to the Pi with its host key pinned (a different key fails the connection instead of being
 * trusted), authenticated by the secret private key or, without one, by the SSH agent: the
 * provider reads $SSH_AUTH_SOCK itself, so no socket path (different on every machine) is stored.
 */
export function connection(config: EdgeConfig): Connection {
  const { host, hostKey } = config;
  const auth = config.sshPrivateKey ? { privateKey: pulumi.secret(config.sshPrivateKey) } : {};
  return { host, port: config.port, user: config.user, hostKey, ...auth, dialErrorLimit: 3, perDialTimeout: 10 };
}

/** A known_hosts line for the pinned key; OpenSSH writes non-22 ports as [host]:port. */
export function knownHostsLine(host: string, port: number, hostKey: string): string {
  const [type, key] = hostKey.split(/\s+/);
  return `${port === 22 ? host : `[${host}]:${port}`} ${type} ${key}\n`;
}

/** Where the Docker provider's ssh finds the private key (when one is configured), relative to `~`. */
export function sshFilesDir(stack: string): string {
  return `.ssh/pulumi-edge/${stack}`;
}

/**
 * Options for the Docker provider's ssh:// connection (and the deploy gate's ssh). The Docker
 * provider runs the system `ssh` client, which knows nothing of the command provider's pinned
 * key: ssh is told to trust only that key, given inline by KnownHostsCommand (OpenSSH 8.5+), and
 * to read and write no known_hosts file. With a configured private key, the key is written to
 * `~/.ssh/pulumi-edge/<stack>/id_edge` (0600) for `-i`, a name ssh expands itself, so the
 * provider's inputs are the same on every machine; otherwise ssh uses the agent.
 */
export function dockerSshOpts(config: EdgeConfig, stack: string): pulumi.Output<string[]> {
  const { host, hostKey } = config;
  const base = [
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "UserKnownHostsFile=none",
    "-o",
    "GlobalKnownHostsFile=none",
    "-o",
    `KnownHostsCommand=/bin/echo ${knownHostsLine(host, config.port, hostKey).trim()}`,
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=10",
  ];
  const key: pulumi.Output<string | undefined> = config.sshPrivateKey ? config.sshPrivateKey : pulumi.output(undefined);
  return key.apply((privateKey) => {
    if (privateKey === undefined) return base;
    // ssh expands ~ from the passwd entry, not $HOME: write where it will look.
    const relative = sshFilesDir(stack);
    // The offline plan has no Pi to reach: it writes nothing outside the repository.
    if (process.env[OFFLINE_PLAN_ENV] !== "1") {
      const dir = privateDir(os.userInfo().homedir, relative);
      writePrivateFile(path.join(dir, "id_edge"), privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`);
    }
    return [...base, "-o", "IdentitiesOnly=yes", "-i", `~/${relative}/id_edge`];
  });
}

/**
 * `home/relative`, each directory below `~/.ssh` created 0700 (and reset to 0700), refused if it
 * is a symlink or belongs to someone else: the key must not land where another user can swap it.
 */
export function privateDir(home: string, relative: string): string {
  const uid = process.getuid?.();
  let dir = home;
  for (const [i, part] of relative.split("/").entries()) {
    dir = path.join(dir, part);
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    // ~/.ssh itself is the user's: created if missing, otherwise left as it is.
    if (i === 0) continue;
    const st = fs.lstatSync(dir);
    if (st.isSymbolicLink() || !st.isDirectory())
      throw new Error(`${dir}: expected a directory, found a symlink or a file; refusing to write SSH keys there`);
    if (uid !== undefined && st.uid !== uid)
      throw new Error(
        `${dir}: owned by uid ${st.uid}, not the current user (${uid}); refusing to write SSH keys there`,
      );
    fs.chmodSync(dir, 0o700);
  }
  return dir;
}

/** Writes a 0600 file under a fresh name (never following a planted one), then renames it over `file`. */
export function writePrivateFile(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.writeFileSync(tmp, content, { flag: "wx", mode: 0o600 });
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export interface RemoteFileArgs {
  connection: Connection;
  /** Absolute path on the Pi. */
  path: string;
  content: pulumi.Input<string>;
  /** Octal mode, e.g. `0755`. */
  mode: string;
  /** The content is a secret: the command logs nothing and its hash stays secret. */
  secret?: boolean;
  /** `uid:gid` owning the file. Default `root:root`. */
  owner?: string;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The shell command that writes stdin to `file` (owned by `owner`, `mode`), atomically by rename. */
export function installFileCommand(file: string, mode: string, owner = "root:root"): string {
  const tmp = `${file}.new`;
  const dir = path.posix.dirname(file);
  // Only a missing directory is created: install -d would reset an existing one's mode (/etc/edge/tls is 0700).
  return (
    `{ sudo test -d ${dir} || sudo install -d -m 0755 ${dir}; } && ` +
    `sudo sh -c 'umask 077 && cat > ${tmp} && chown ${owner} ${tmp} && chmod ${mode} ${tmp} && mv ${tmp} ${file}'`
  );
}

/**
 * Installs a file on the Pi, root-owned, atomically (written next to it, then renamed). The
 * content travels on the command's stdin, never in its command line, so it is not in `ps` or in
 * the provider's logs. The sha256 trigger re-runs it exactly when the content changes.
 */
export function remoteFile(parent: pulumi.Resource, name: string, args: RemoteFileArgs): remote.Command {
  const file = args.path;
  const content = args.secret ? pulumi.secret(args.content) : pulumi.output(args.content);
  return new remote.Command(
    name,
    {
      connection: args.connection,
      create: installFileCommand(file, args.mode, args.owner),
      delete: `sudo rm -f ${file}`,
      stdin: content,
      triggers: [content.apply((c) => sha256(c ?? ""))],
      logging: args.secret ? "none" : "stdoutAndStderr",
      addPreviousOutputInEnv: false,
    },
    // A changed trigger replaces the command: delete (rm) first, or the old resource's delete
    // would remove the file the new one just wrote.
    {
      parent,
      dependsOn: args.dependsOn,
      deleteBeforeReplace: true,
      additionalSecretOutputs: args.secret ? ["stdout", "stderr"] : [],
    },
  );
}

/** Runs a script from the repository on the Pi as root, again whenever it or its env changes. */
export function remoteScript(
  parent: pulumi.Resource,
  name: string,
  args: {
    connection: Connection;
    script: string;
    env: Record<string, pulumi.Input<string>>;
    /** More reasons to run again besides the script's content. */
    triggers?: pulumi.Input<string>[];
    dependsOn?: pulumi.Input<pulumi.Resource>[];
  },
): remote.Command {
  const env = pulumi
    .all(Object.entries(args.env).map(([k, v]) => pulumi.output(v).apply((value) => `${k}=${shellQuote(value)}`)))
    .apply((pairs) => pairs.join(" "));
  return new remote.Command(
    name,
    {
      connection: args.connection,
      create: pulumi.interpolate`sudo env ${env} bash -s`,
      stdin: args.script,
      triggers: [sha256(args.script), ...(args.triggers ?? [])],
      addPreviousOutputInEnv: false,
    },
    { parent, dependsOn: args.dependsOn },
  );
}

export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
