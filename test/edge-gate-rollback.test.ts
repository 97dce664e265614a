import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { EDGE_SCRIPTS, preDeployBackupCommand } from "../components/edge";
import { APP_ROLLBACK_SCRIPT, gateStateFiles, healthGateCommand } from "../components/edge/gate";
import { emitEdge } from "../tools/plan/emit-edge";
import { dockerSshOpts } from "../components/edge/host";
import { edgeConfigWith, loadEdge, sourceFor } from "./helpers/config";
import { loopbackSshdSkip, startLoopbackSshd, type LoopbackSshd } from "./helpers/loopback-sshd";
import { EDGE_STACKS, one, planFor, PROJECT_DIR } from "./helpers/program";

/**
 * The automatic rollback over a real sshd on loopback: the pre-deploy command, the deploy gate
 * (health-gate.sh piped over the pinned ssh, as `pulumi up` runs it) and app-rollback.sh run for
 * real in bash. There is no Docker engine here: `docker` is a stateful PATH shim
 * (test/fixtures/edge/rollback/docker) that keeps containers as directories and answers each
 * `docker inspect --format` template with what Docker would render, and `curl` a shim for nginx
 * that answers /health when the running app's image is a healthy one. The app container the
 * shim starts with has the settings the edge-dev plan gives it.
 */
const skip = loopbackSshdSkip();
const FAKES = path.join(PROJECT_DIR, "test/fixtures/edge/rollback");
const REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/edge-app";
const NEW = `${REGISTRY}@sha256:${"b".repeat(64)}`;
const PREVIOUS = `${REGISTRY}@sha256:${"a".repeat(64)}`;
const REDIS_SECRET = "Zm9vYmFyc2VjcmV0cGFzc3dvcmQ";
/** What the program sets (envs are secret in the plan: these stand in, with the Redis password). */
const PULUMI_ENV = ["PORT=5000", `REDIS_URL=redis://:${REDIS_SECRET}@edge-redis:6379/0`, "SQLITE_JOURNAL_MODE=WAL"];
const IMAGE_ENV = {
  [NEW]: ["PATH=/usr/local/bin:/usr/bin:/bin", "PYTHON_VERSION=3.13.1"],
  [PREVIOUS]: ["PATH=/usr/local/bin:/usr/bin:/bin", "PYTHON_VERSION=3.12.8"],
};
const PRE_DEPLOY_URN =
  "urn:pulumi:edge-dev::platform::platform:edge:Edge$command:remote:Command::platform-dev-edge-pre-deploy-backup";

type Inputs = Record<string, unknown>;

/**
 * The `docker create` options `docker inspect` renders through app-rollback.sh's template for a
 * container the Docker provider made from these inputs (MB limits become bytes), and the keys
 * that go elsewhere: the health check's test, the networks, the environment, or nowhere (name
 * and image are the rollback's own; platform: the previous image is already the Pi's; the grace
 * period is the provider's stop timeout).
 */
const ELSEWHERE = ["name", "image", "envs", "networksAdvanced", "platform", "destroyGraceSeconds"];
function inspectedOptions(inputs: Inputs): string[] {
  const mb = (n: unknown) => `${Number(n) * 1024 * 1024}b`;
  const caps = inputs.capabilities as { drops?: string[]; adds?: string[] } | undefined;
  const health = inputs.healthcheck as Record<string, unknown> | undefined;
  const handled: Record<string, string[]> = {
    user: [`--user=${String(inputs.user)}`],
    memory: [`--memory=${mb(inputs.memory)}`],
    memoryReservation: [`--memory-reservation=${mb(inputs.memoryReservation)}`],
    capabilities: [
      ...(caps?.drops ?? []).map((c) => `--cap-drop=${c}`),
      ...(caps?.adds ?? []).map((c) => `--cap-add=${c}`),
    ],
    readOnly: inputs.readOnly ? ["--read-only"] : [],
    securityOpts: ((inputs.securityOpts as string[]) ?? []).map((o) => `--security-opt=${o}`),
    tmpfs: Object.entries((inputs.tmpfs as Record<string, string>) ?? {}).map(([p, o]) => `--tmpfs=${p}:${o}`),
    restart: [`--restart=${String(inputs.restart)}`],
    volumes: ((inputs.volumes as { hostPath: string; containerPath: string; readOnly?: boolean }[]) ?? []).map(
      (v) => `--mount=type=bind,source=${v.hostPath},target=${v.containerPath}${v.readOnly ? ",readonly" : ""}`,
    ),
    healthcheck: health
      ? [
          `--health-interval=${String(health.interval)}`,
          `--health-timeout=${String(health.timeout)}`,
          `--health-retries=${String(health.retries)}`,
          `--health-start-period=${String(health.startPeriod)}`,
        ]
      : [],
  };
  const unknown = Object.keys(inputs).filter((k) => !(k in handled) && !ELSEWHERE.includes(k));
  assert.deepEqual(unknown, [], "a setting app-rollback.sh does not copy: add it to its template and to this mapping");
  // The template's order.
  return [
    "user",
    "memory",
    "memoryReservation",
    "capabilities",
    "readOnly",
    "securityOpts",
    "tmpfs",
    "restart",
    "volumes",
    "healthcheck",
  ].flatMap((k) => (k in inputs ? (handled[k] ?? []) : []));
}

describe("automatic rollback of the edge app over a loopback sshd", { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-rollback-"));
  const state = path.join(dir, "docker-state");
  const bin = path.join(dir, "bin");
  const etc = path.join(dir, "etc/edge");
  const files = gateStateFiles(path.join(etc, "previous-app-image"));
  const rollbackScript = path.join(dir, "app-rollback.sh");
  const stack = `rollback-test-${process.pid}`;
  let sshd: LoopbackSshd;
  let sshOptions: string[] = [];
  let app: Inputs = {};
  let config: ReturnType<typeof edgeConfigWith>;

  const read = (file: string) => fs.readFileSync(file, "utf8");
  const lines = (file: string) => read(file).split("\n").filter(Boolean);
  const box = (name: string) => path.join(state, "containers", name);
  const calls = () => (fs.existsSync(path.join(state, "calls")) ? lines(path.join(state, "calls")) : []);
  const imageFile = (ref: string) =>
    path.join(state, "images", spawnSync("sha256sum", { input: ref, encoding: "utf8" }).stdout.slice(0, 32));

  /** A container as the Docker provider made it from the plan's inputs, running `image`. */
  function providerContainer(image: string) {
    const c = box("edge-app");
    fs.mkdirSync(c, { recursive: true });
    fs.writeFileSync(path.join(c, "image"), `${image}\n`);
    fs.writeFileSync(path.join(c, "options"), `${inspectedOptions(app).join("\n")}\n`);
    fs.writeFileSync(path.join(c, "env"), `${[...(IMAGE_ENV[image] ?? []), ...PULUMI_ENV].join("\n")}\n`);
    fs.writeFileSync(path.join(c, "health"), `${(app.healthcheck as { tests: string[] }).tests.join("\n")}\n`);
    const networks = (app.networksAdvanced as { name: string }[]).map((n) => n.name);
    fs.writeFileSync(path.join(c, "networks"), `${networks.join("\n")}\n`);
    fs.writeFileSync(path.join(c, "running"), "");
  }

  /** What `pulumi up` of an image change does: pre-deploy step, then the provider replaces the app container. */
  function deploy(image: string) {
    const pre = sshd.ssh(sshOptions, preDeployBackupCommand(path.join(dir, "no-database"), files.previousImage));
    assert.equal(pre.status, 0, pre.stderr);
    fs.rmSync(box("edge-app"), { recursive: true, force: true });
    providerContainer(image);
    return pre;
  }

  function gate() {
    const command = healthGateCommand(config, [...sshOptions, "-i", sshd.clientKey], {
      attempts: 2,
      delaySeconds: 0,
      previousImageFile: files.previousImage,
      rollbackScript,
      preDeployUrn: PRE_DEPLOY_URN,
    });
    return spawnSync("sh", ["-c", command], {
      encoding: "utf8",
      input: EDGE_SCRIPTS["health-gate.sh"],
      timeout: 30000,
    });
  }

  const healthy = (...images: string[]) => fs.writeFileSync(path.join(state, "healthy-images"), images.join("\n"));

  before(async () => {
    app = one(planFor("edge-dev"), "docker:index/container:Container", "platform-dev-edge-app").inputs;
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, "sudo"), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
    for (const fake of ["docker", "curl"]) fs.copyFileSync(path.join(FAKES, fake), path.join(bin, fake));
    fs.writeFileSync(rollbackScript, EDGE_SCRIPTS["app-rollback.sh"], { mode: 0o755 });
    sshd = await startLoopbackSshd(dir, {
      PATH: `${bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
      FAKE_DOCKER_STATE: state,
    });
    config = edgeConfigWith({ host: "127.0.0.1", port: sshd.port, user: "root", hostKey: sshd.hostKey }, stack);
    sshOptions = await new Promise((resolve) => dockerSshOpts(config, stack).apply(resolve));
  });

  beforeEach(() => {
    fs.rmSync(state, { recursive: true, force: true });
    fs.rmSync(etc, { recursive: true, force: true });
    fs.mkdirSync(path.join(state, "images"), { recursive: true });
    fs.mkdirSync(etc, { recursive: true });
    for (const [image, env] of Object.entries(IMAGE_ENV)) fs.writeFileSync(imageFile(image), `${env.join("\n")}\n`);
  });

  after(() => {
    sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.join(os.userInfo().homedir, ".ssh/pulumi-edge", stack), { recursive: true, force: true });
  });

  it("new image unhealthy: the previous one is restored with the same settings, answers again, and the gate fails naming both", () => {
    providerContainer(PREVIOUS);
    healthy(PREVIOUS);
    const pre = deploy(NEW);
    assert.equal(read(files.previousImage).trim(), PREVIOUS, "the pre-deploy step recorded the running image");
    assert.ok(fs.existsSync(files.unverifiedImage), "and marked the new one unverified");
    assert.doesNotMatch(pre.stdout, /rolled-back/);
    const failedOptions = read(path.join(box("edge-app"), "options"));

    const result = gate();
    assert.notEqual(result.status, 0, "the up fails");
    assert.match(result.stderr, /health-gate: https:\/\/127\.0\.0\.1\/health failed 2 times/);
    assert.ok(result.stderr.includes(`${NEW}: a log line`), "the failing app's log lines come first");
    assert.ok(result.stderr.includes(`app-rollback: rolled back from ${NEW} to ${PREVIOUS}`), result.stderr);
    assert.ok(
      result.stderr.includes(
        `health-gate: rolled back from ${NEW} to ${PREVIOUS}, which answers /health; the deploy of ${NEW} failed.`,
      ),
      result.stderr,
    );
    assert.ok(result.stderr.includes(`pulumi up --refresh --replace '${PRE_DEPLOY_URN}'`), result.stderr);

    // The Pi: the previous image runs under the app's name with the failing container's settings.
    const c = box("edge-app");
    assert.equal(read(path.join(c, "image")).trim(), PREVIOUS);
    assert.ok(fs.existsSync(path.join(c, "running")));
    assert.equal(read(path.join(c, "options")), failedOptions, "user, limits, mounts, tmpfs, capabilities, restart…");
    assert.deepEqual(lines(path.join(c, "networks")), ["edge-internal"]);
    assert.deepEqual(
      lines(path.join(c, "env")),
      [...(IMAGE_ENV[PREVIOUS] ?? []), ...PULUMI_ENV],
      "Pulumi's environment on the previous image's own (not the failed image's PYTHON_VERSION)",
    );
    const [kind, shellCommand] = lines(path.join(c, "health"));
    assert.equal(kind, "CMD-SHELL");
    const words = spawnSync("sh", ["-c", `set -- ${shellCommand}; printf '%s\\n' "$@"`], { encoding: "utf8" });
    assert.deepEqual(words.stdout.split("\n").slice(0, -1), (app.healthcheck as { tests: string[] }).tests.slice(1));
    assert.ok(!fs.existsSync(box("edge-app-failed-deploy")), "the failed container is removed");
    assert.ok(
      calls().every((call) => !call.includes(REDIS_SECRET)),
      "the Redis password never appears in a docker command line",
    );
    assert.ok(
      calls().some((call) => call.startsWith(`create --name edge-app --label platform.edge/rolled-back-from=${NEW}`)),
      calls().join("\n"),
    );
    const rolled = read(files.rollbackState);
    assert.match(rolled, new RegExp(`^from=${NEW.replace(/[.]/g, "\\.")}\nto=${PREVIOUS.replace(/[.]/g, "\\.")}\nat=`));
    assert.ok(!fs.existsSync(files.unverifiedImage));

    // The next `pulumi up` without a change: Pulumi still records the new image; the gate says so at once.
    const created = calls().length;
    const again = gate();
    assert.notEqual(again.status, 0);
    assert.ok(
      again.stderr.includes(`the app was rolled back automatically from ${NEW} to ${PREVIOUS} after a failed deploy`),
      again.stderr,
    );
    assert.ok(again.stderr.includes(`pulumi config set --path platform:edge.appImage ${PREVIOUS}`), again.stderr);
    assert.equal(calls().length, created, "no probe, no second rollback: nothing touches Docker");

    // Pinning the previous image (an image change): the pre-deploy step clears the way for the provider.
    const cleared = sshd.ssh(sshOptions, preDeployBackupCommand(path.join(dir, "no-database"), files.previousImage));
    assert.equal(cleared.status, 0, cleared.stderr);
    assert.match(cleared.stdout, /removed the rolled-back edge-app container/);
    assert.ok(!fs.existsSync(box("edge-app")) && !fs.existsSync(files.rollbackState));
    assert.equal(read(files.previousImage).trim(), PREVIOUS);
  });

  it("first deploy (no previous image recorded): no rollback, and the gate says why", () => {
    healthy(PREVIOUS);
    const pre = deploy(NEW);
    assert.equal(pre.status, 0);
    assert.ok(!fs.existsSync(files.previousImage));
    const result = gate();
    assert.notEqual(result.status, 0);
    assert.ok(
      result.stderr.includes(
        `app-rollback: no previous app image recorded in ${files.previousImage} (the first deploy of the app on this Pi): nothing to roll back to; ${NEW} stays`,
      ),
      result.stderr,
    );
    assert.match(result.stderr, /health-gate: no automatic rollback: the new app image stays for debugging/);
    assert.equal(read(path.join(box("edge-app"), "image")).trim(), NEW);
    assert.ok(!calls().some((call) => /^(create|stop|rename|rm) /.test(call)), calls().join("\n"));
    assert.ok(!fs.existsSync(files.rollbackState));
  });

  it("previous image unhealthy too: rolled back, and the gate says the previous does not answer either", () => {
    providerContainer(PREVIOUS);
    healthy();
    deploy(NEW);
    const result = gate();
    assert.notEqual(result.status, 0);
    assert.ok(
      result.stderr.includes(
        `health-gate: rolled back from ${NEW} to ${PREVIOUS}, but ${PREVIOUS} does not answer /health either`,
      ),
      result.stderr,
    );
    assert.ok(result.stderr.includes(`${PREVIOUS}: a log line`), "the rolled-back app's log lines");
    assert.equal(read(path.join(box("edge-app"), "image")).trim(), PREVIOUS);
  });

  it("a rollback that cannot start the previous image puts the failing container back and says the rollback failed", () => {
    providerContainer(PREVIOUS);
    healthy(PREVIOUS);
    deploy(NEW);
    fs.writeFileSync(path.join(state, "unstartable-images"), `${PREVIOUS}\n`);
    const result = gate();
    assert.notEqual(result.status, 0);
    assert.ok(
      result.stderr.includes(`app-rollback: rollback from ${NEW} to ${PREVIOUS} failed: docker start:`),
      result.stderr,
    );
    assert.match(result.stderr, /health-gate: the rollback also failed \(exit 1\)/);
    assert.equal(read(path.join(box("edge-app"), "image")).trim(), NEW);
    assert.ok(fs.existsSync(path.join(box("edge-app"), "running")));
    assert.ok(!fs.existsSync(box("edge-app-failed-deploy")) && !fs.existsSync(files.rollbackState));
  });

  it("an image that passed the gate once is not rolled back when a later up fails", () => {
    providerContainer(PREVIOUS);
    healthy(PREVIOUS, NEW);
    deploy(NEW);
    const passed = gate();
    assert.equal(passed.status, 0, passed.stderr);
    assert.ok(!fs.existsSync(files.unverifiedImage), "the image is verified");
    healthy();
    const failed = gate();
    assert.notEqual(failed.status, 0);
    assert.ok(failed.stderr.includes(`--- the app image before the last image change was ${PREVIOUS}`), failed.stderr);
    assert.doesNotMatch(failed.stderr, /rolling back/);
    assert.equal(read(path.join(box("edge-app"), "image")).trim(), NEW);
  });
});

describe("the gate's command after a rollback", () => {
  it("quotes the pre-deploy URN for the Pi's shell (it holds `$`)", () => {
    const command = healthGateCommand(edgeConfigWith({}), [], { preDeployUrn: PRE_DEPLOY_URN });
    // What the Pi's shell gets: the last word of the local command.
    const onPi = spawnSync("sh", ["-c", `set -- ${command}; for word; do last=$word; done; printf %s "$last"`], {
      encoding: "utf8",
    }).stdout;
    assert.match(onPi, /^sudo env .* bash -s$/);
    const asEnv = onPi.replace(/^sudo /, "").replace(/ bash -s$/, "");
    const urn = spawnSync("sh", ["-c", `${asEnv} sh -c 'printf %s "$EDGE_PRE_DEPLOY_URN"'`], { encoding: "utf8" });
    assert.equal(urn.stdout, PRE_DEPLOY_URN);
  });
});

describe("the rollback script has one source", () => {
  it("its docker inspect template renders every option the app container's plan settings map to", () => {
    const script = EDGE_SCRIPTS["app-rollback.sh"];
    const template = /^SETTINGS='([^']*)'$/m.exec(script)?.[1];
    assert.ok(template, "the SETTINGS template");
    const inputs = one(planFor("edge-dev"), "docker:index/container:Container", "platform-dev-edge-app").inputs;
    for (const option of inspectedOptions(inputs)) {
      const flag = option.replace(/=.*$/, "=").replace(/^--mount=.*/, "--mount=type=");
      assert.ok(template.includes(flag), `${flag} in the template`);
    }
  });

  for (const stack of EDGE_STACKS) {
    it(`${stack}: the component installs app-rollback.sh where the gate runs it, and --emit writes the same bytes`, () => {
      const plan = planFor(stack);
      const install = plan.resources.find(
        (r) => r.type === "command:remote:Command" && r.name.endsWith("-edge-rollback-script"),
      );
      assert.ok(install, "the install command");
      assert.equal(install.inputs.stdin, EDGE_SCRIPTS["app-rollback.sh"]);
      assert.ok(String(install.inputs.create).includes(APP_ROLLBACK_SCRIPT), String(install.inputs.create));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emit-rollback-"));
      try {
        emitEdge(dir, loadEdge(sourceFor(stack)));
        const emitted = path.join(dir, "edge/scripts/app-rollback.sh");
        assert.equal(fs.readFileSync(emitted, "utf8"), EDGE_SCRIPTS["app-rollback.sh"]);
        assert.equal(fs.statSync(emitted).mode & 0o777, 0o755);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
