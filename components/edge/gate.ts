import * as path from "node:path";
import { local } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_NAMES } from "./containers";
import type { EdgeConfig } from "./host";
import { EDGE_PATHS, EDGE_SCRIPTS } from "./scripts";

/** What the plan and `pulumi preview` show for the gate: it checks running containers, so it runs in `up` only. */
export const GATE_IN_PREVIEW = "not run in preview: every `pulumi up` ends with it";

/** Where the pre-deploy step records the app image that ran before an image change; the gate names it on failure. */
export const PREVIOUS_APP_IMAGE_FILE = `${EDGE_PATHS.etc}/previous-app-image`;

/**
 * The files beside the previous-image record through which the pre-deploy step, the gate and
 * app-rollback.sh hand over: `unverifiedImage` exists from an image change until that image first
 * passes the gate (only such an image is rolled back automatically); `rollbackState` (from=, to=,
 * at=) exists while the Pi runs a rolled-back app, until the next image change clears it.
 */
export function gateStateFiles(previousImageFile: string = PREVIOUS_APP_IMAGE_FILE) {
  const dir = path.posix.dirname(previousImageFile);
  return {
    previousImage: previousImageFile,
    unverifiedImage: `${dir}/app-image-unverified`,
    rollbackState: `${dir}/app-rolled-back`,
  };
}

/** Where app-rollback.sh is installed on the Pi (the gate runs it; an operator may too). */
export const APP_ROLLBACK_SCRIPT = `${EDGE_PATHS.bin}/app-rollback.sh`;

export interface HealthGateOptions {
  /** Tries before the gate fails. Default 30. */
  attempts?: number;
  /** Seconds between tries. Default 5. */
  delaySeconds?: number;
  /** The pre-deploy command's URN, named in the gate's way forward after a rollback. */
  preDeployUrn?: string;
  /** The previous-image record (the other state files sit beside it). Default PREVIOUS_APP_IMAGE_FILE. */
  previousImageFile?: string;
  /** The rollback script on the Pi. Default APP_ROLLBACK_SCRIPT. */
  rollbackScript?: string;
}

const shellQuote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * The command, run where `pulumi up` runs, that pipes health-gate.sh to the Pi over the system
 * ssh (the same pinned known_hosts and key as the Docker provider) and runs it there as root.
 */
export function healthGateCommand(config: EdgeConfig, sshOptions: string[], options: HealthGateOptions = {}): string {
  const { host } = config;
  const files = gateStateFiles(options.previousImageFile);
  const env = [
    `EDGE_HOST=${host}`,
    `EDGE_APP_CONTAINER=${CONTAINER_NAMES.app}`,
    `EDGE_NGINX_CONTAINER=${CONTAINER_NAMES.nginx}`,
    `GATE_ATTEMPTS=${options.attempts ?? 30}`,
    `GATE_DELAY_SECONDS=${options.delaySeconds ?? 5}`,
    `EDGE_PREVIOUS_IMAGE_FILE=${files.previousImage}`,
    `EDGE_UNVERIFIED_IMAGE_FILE=${files.unverifiedImage}`,
    `EDGE_ROLLBACK_STATE_FILE=${files.rollbackState}`,
    `EDGE_ROLLBACK_SCRIPT=${options.rollbackScript ?? APP_ROLLBACK_SCRIPT}`,
    // Quoted for the Pi's shell: a URN holds `$`.
    ...(options.preDeployUrn ? [`EDGE_PRE_DEPLOY_URN=${shellQuote(options.preDeployUrn)}`] : []),
  ];
  const onPi = `sudo env ${env.join(" ")} bash -s`;
  return ["ssh", ...sshOptions, "-p", String(config.port), `${config.user}@${host}`, onPi].map(shellQuote).join(" ");
}

/**
 * The deploy gate: GET /health through nginx on the Pi at the end of every `pulumi up`, after
 * every container. It is an invoke, not a resource: it runs on each update whether or not
 * anything changed, and leaves nothing in the state, so a preview of an unchanged stack (and the
 * drift check's `--expect-no-changes`) stays empty. A failure fails `pulumi up` with the app's and
 * nginx's last log lines; when the failing app image is this deploy's, the Pi first rolls the app
 * back to the previous image (app-rollback.sh, installed before: `after`).
 */
export function healthGate(
  parent: pulumi.Resource,
  config: EdgeConfig,
  sshOptions: pulumi.Input<string[]>,
  containers: pulumi.Resource[],
  rollback?: { preDeploy: pulumi.Resource; after: pulumi.Resource[] },
): pulumi.Output<string> {
  if (pulumi.runtime.isDryRun()) return pulumi.output(GATE_IN_PREVIEW);
  const urn = rollback ? rollback.preDeploy.urn : pulumi.output(undefined);
  const command = pulumi
    .all([sshOptions, urn])
    .apply(([options, preDeployUrn]) => healthGateCommand(config, options, { preDeployUrn }));
  const dependsOn = [...containers, ...(rollback?.after ?? [])];
  return local.runOutput({ command, stdin: EDGE_SCRIPTS["health-gate.sh"] }, { parent, dependsOn }).stdout;
}
