import { local } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_NAMES } from "./containers";
import type { EdgeConfig } from "./host";
import { EDGE_PATHS, EDGE_SCRIPTS } from "./scripts";

/** What the plan and `pulumi preview` show for the gate: it checks running containers, so it runs in `up` only. */
export const GATE_IN_PREVIEW = "not run in preview: every `pulumi up` ends with it";

/** Where the pre-deploy step records the app image that ran before an image change; the gate names it on failure. */
export const PREVIOUS_APP_IMAGE_FILE = `${EDGE_PATHS.etc}/previous-app-image`;

export interface HealthGateOptions {
  /** Tries before the gate fails. Default 30. */
  attempts?: number;
  /** Seconds between tries. Default 5. */
  delaySeconds?: number;
}

const shellQuote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * The command, run where `pulumi up` runs, that pipes health-gate.sh to the Pi over the system
 * ssh (the same pinned known_hosts and key as the Docker provider) and runs it there as root.
 */
export function healthGateCommand(config: EdgeConfig, sshOptions: string[], options: HealthGateOptions = {}): string {
  const { host } = config;
  const env = [
    `EDGE_HOST=${host}`,
    `EDGE_APP_CONTAINER=${CONTAINER_NAMES.app}`,
    `EDGE_NGINX_CONTAINER=${CONTAINER_NAMES.nginx}`,
    `GATE_ATTEMPTS=${options.attempts ?? 30}`,
    `GATE_DELAY_SECONDS=${options.delaySeconds ?? 5}`,
    `EDGE_PREVIOUS_IMAGE_FILE=${PREVIOUS_APP_IMAGE_FILE}`,
  ];
  const onPi = `sudo env ${env.join(" ")} bash -s`;
  return ["ssh", ...sshOptions, "-p", String(config.port), `${config.user}@${host}`, onPi].map(shellQuote).join(" ");
}

/**
 * The deploy gate: GET /health through nginx on the Pi at the end of every `pulumi up`, after
 * every container. It is an invoke, not a resource: it runs on each update whether or not
 * anything changed, and leaves nothing in the state, so a preview of an unchanged stack (and the
 * drift check's `--expect-no-changes`) stays empty. A failure fails `pulumi up` with the app's and
 * nginx's last log lines.
 */
export function healthGate(
  parent: pulumi.Resource,
  config: EdgeConfig,
  sshOptions: pulumi.Input<string[]>,
  containers: pulumi.Resource[],
): pulumi.Output<string> {
  if (pulumi.runtime.isDryRun()) return pulumi.output(GATE_IN_PREVIEW);
  const command = pulumi.output(sshOptions).apply((options) => healthGateCommand(config, options));
  return local.runOutput({ command, stdin: EDGE_SCRIPTS["health-gate.sh"] }, { parent, dependsOn: containers }).stdout;
}
