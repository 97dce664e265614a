import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse } from "yaml";
import { CREDENTIAL_PLACEHOLDERS, GROUP_BY, RECEIVERS } from "../components/monitoring/alertmanager";
import { ConfigError, environmentDefaults } from "../config";
import { emitArtifacts } from "../tools/plan/emit";
import { entry, item } from "./helpers/assert";
import { loadCloud, sourceFor } from "./helpers/config";
import { input, inputRecord } from "./helpers/inputs";
import { one, planFor, PROJECT_DIR, STACKS } from "./helpers/program";
import { requireTool } from "./helpers/tools";

/**
 * Alertmanager from `platform:monitoring.alerting`: the file `--emit` writes goes through the real
 * amtool (`check-config`, `config routes test`); the config rules (prod needs a receiver) and the
 * plan (the file in a Secret, never in the chart's values) are checked here too.
 */
const amtool = requireTool("amtool");

/** Distinctive stand-ins for credentials: none may appear in an emitted file. */
const CREDENTIALS = {
  slackWebhookUrl: "https://hooks.slack.com/services/T000/B000/not-a-real-token-1",
  pagerdutyRoutingKey: "0123456789abcdef0123456789abcdef",
  webhookUrl: "https://incidents.example.com/hook?token=not-a-real-token-2",
  heartbeatUrl: "https://hc-ping.com/00000000-0000-0000-0000-000000000003",
};
const SMTP_PASSWORD = "not-a-real-smtp-password-4";
const EVERY_RECEIVER = {
  ...CREDENTIALS,
  slackChannel: "#alerts",
  email: {
    to: ["oncall@example.com"],
    from: "alertmanager@example.com",
    smarthost: "smtp.example.com:587",
    authUsername: "alerts",
    authPassword: SMTP_PASSWORD,
  },
};

/** The emitted files' directories, removed when the file's tests are done (several test files share a process). */
const emitDirs: string[] = [];
after(() => emitDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function emitted(stack: string, alerting?: Record<string, unknown>): { dir: string; file: string; text: string } {
  const patch = alerting ? { "platform:monitoring": { alerting } } : {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `alertmanager-${stack}-`));
  emitDirs.push(dir);
  emitArtifacts(dir, loadCloud(sourceFor(stack, patch)));
  const file = path.join(dir, "monitoring/alertmanager.yaml");
  return { dir, file, text: fs.readFileSync(file, "utf8") };
}

function amtoolRun(args: string[]): { status: number; stdout: string; output: string } {
  const result = spawnSync(amtool.path as string, args, { encoding: "utf8" });
  return { status: result.status ?? -1, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
}

/** The receivers amtool routes an alert with these labels to, in order. */
function routeOf(file: string, labels: Record<string, string>): string[] {
  const result = amtoolRun([
    "config",
    "routes",
    "test",
    `--config.file=${file}`,
    ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
  ]);
  assert.equal(result.status, 0, result.output);
  // stderr may carry a warning about a default --alertmanager.url (Debian's /etc/amtool/config.yml).
  return result.stdout
    .trim()
    .split(",")
    .map((r) => r.trim());
}

interface Receiver {
  name: string;
  [integration: string]: unknown;
}

describe("Alertmanager config (amtool)", { skip: amtool.skip }, () => {
  // Every stack's files through one amtool check-config (it reports each file under its own "Checking 'FILE'").
  let checked: { files: Map<string, string[]>; status: number; output: string } | undefined;
  const checkAll = () => {
    if (checked) return checked;
    const files = new Map(
      STACKS.map((stack) => [stack, [undefined, EVERY_RECEIVER].map((a) => emitted(stack, a).file)]),
    );
    const result = amtoolRun(["check-config", ...[...files.values()].flat()]);
    return (checked = { files, status: result.status, output: result.output });
  };
  for (const stack of STACKS) {
    it(`${stack}: amtool check-config accepts the emitted file, with its own receivers and with every kind of receiver`, () => {
      const { files, status, output } = checkAll();
      assert.equal(status, 0, output);
      for (const file of files.get(stack) ?? []) {
        const own = output.split(/^(?=Checking ')/m).find((part) => part.startsWith(`Checking '${file}'`));
        assert.ok(own, `${file} not in amtool's output:\n${output}`);
        assert.match(own, /SUCCESS/);
        assert.match(own, /4 receivers/);
      }
      assert.equal(files.get(stack)?.length, 2);
    });
  }

  it("critical alerts reach the pager, warnings chat, the Watchdog the heartbeat, info nothing", () => {
    const { file } = emitted("prod", EVERY_RECEIVER);
    assert.deepEqual(routeOf(file, { alertname: "HighErrorRate", severity: "critical", namespace: "app" }), [
      RECEIVERS.pager,
    ]);
    assert.deepEqual(routeOf(file, { alertname: "EdgeSilent", severity: "critical", site: "shop" }), [RECEIVERS.pager]);
    assert.deepEqual(routeOf(file, { alertname: "HighLatency", severity: "warning", namespace: "app" }), [
      RECEIVERS.chat,
    ]);
    assert.deepEqual(routeOf(file, { alertname: "Watchdog", severity: "none" }), [RECEIVERS.heartbeat]);
    assert.deepEqual(routeOf(file, { alertname: "InfoInhibitor", severity: "none" }), [RECEIVERS.none]);
    assert.deepEqual(routeOf(file, { alertname: "CPUThrottlingHigh", severity: "info" }), [RECEIVERS.none]);
    // An alert without a known severity is not lost: it goes to chat.
    assert.deepEqual(routeOf(file, { alertname: "Unlabelled" }), [RECEIVERS.chat]);
    // amtool's own check of the expectation (non-zero exit when it does not hold).
    const verified = amtoolRun([
      "config",
      "routes",
      "test",
      `--config.file=${file}`,
      `--verify.receivers=${RECEIVERS.pager}`,
      "severity=critical",
      "alertname=HighErrorRate",
    ]);
    assert.equal(verified.status, 0, verified.output);
    const wrong = amtoolRun([
      "config",
      "routes",
      "test",
      `--config.file=${file}`,
      `--verify.receivers=${RECEIVERS.pager}`,
      "severity=warning",
      "alertname=HighLatency",
    ]);
    assert.notEqual(wrong.status, 0, "a warning does not page");
  });

  it("the pager gets PagerDuty plus the chat integrations; chat never pages; the heartbeat only pings", () => {
    const config = parse(emitted("prod", EVERY_RECEIVER).text) as { receivers: Receiver[] };
    const byName = Object.fromEntries(config.receivers.map((r) => [r.name, r]));
    const receiver = (name: string) => entry(byName, name, "receivers");
    const kinds = (r: Receiver) =>
      Object.keys(r)
        .filter((k) => k.endsWith("_configs"))
        .sort();
    assert.deepEqual(kinds(receiver(RECEIVERS.pager)), [
      "email_configs",
      "pagerduty_configs",
      "slack_configs",
      "webhook_configs",
    ]);
    assert.deepEqual(kinds(receiver(RECEIVERS.chat)), ["email_configs", "slack_configs", "webhook_configs"]);
    assert.deepEqual(kinds(receiver(RECEIVERS.heartbeat)), ["webhook_configs"]);
    assert.deepEqual(receiver(RECEIVERS.heartbeat).webhook_configs, [
      { url: CREDENTIAL_PLACEHOLDERS.heartbeatUrl, send_resolved: false },
    ]);
    assert.deepEqual(kinds(receiver(RECEIVERS.none)), []);
    const email = item(receiver(RECEIVERS.chat).email_configs as Record<string, unknown>[], 0, "chat email_configs");
    assert.equal(email.require_tls, true, "never plain SMTP");
    const slack = item(receiver(RECEIVERS.chat).slack_configs as Record<string, unknown>[], 0, "chat slack_configs");
    assert.equal(slack.channel, "#alerts");
  });

  it("a firing critical inhibits the warning of the same alert in the same place; grouping and timing from config", () => {
    const config = parse(emitted("dev").text) as {
      route: Record<string, unknown>;
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    const rule = config.inhibit_rules.find((r) => r.source_matchers.includes('severity = "critical"'));
    assert.deepEqual(rule?.target_matchers, ['severity = "warning"']);
    assert.deepEqual(rule?.equal, [...GROUP_BY]);
    assert.ok(rule?.equal.includes("alertname"), "only the same alert");
    const defaults = environmentDefaults.dev.monitoring.alerting;
    assert.deepEqual(
      {
        wait: config.route.group_wait,
        interval: config.route.group_interval,
        repeat: config.route.repeat_interval,
        by: config.route.group_by,
      },
      {
        wait: defaults.groupWait,
        interval: defaults.groupInterval,
        repeat: defaults.repeatInterval,
        by: [...GROUP_BY],
      },
    );
  });

  it("the emitted file holds placeholders, never a credential", () => {
    const { text } = emitted("prod", EVERY_RECEIVER);
    for (const secret of [...Object.values(CREDENTIALS), SMTP_PASSWORD])
      assert.ok(!text.includes(secret), `${secret} leaked`);
    for (const placeholder of Object.values(CREDENTIAL_PLACEHOLDERS))
      assert.ok(text.includes(placeholder), `${placeholder} present`);
    // Without credentials, no placeholders either: the file shows what the stack actually configures.
    const bare = emitted("dev").text;
    assert.ok(!bare.includes("secret.invalid") && !bare.includes("<secret"), bare);
  });
});

describe("platform:monitoring.alerting configuration", () => {
  const expectProblems = (stack: string, patch: Record<string, unknown>, patterns: RegExp[]) => {
    assert.throws(
      () => loadCloud(sourceFor(stack, patch)),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        for (const pattern of patterns)
          assert.ok(
            error.problems.some((p) => pattern.test(p)),
            `${pattern} in:\n${error.problems.join("\n")}`,
          );
        return true;
      },
    );
  };

  it("prod without any receiver is a configuration error naming the key and the fix; dev may have none", () => {
    expectProblems("prod", { "platform:monitoring": { alerting: { email: undefined } } }, [
      /^platform:monitoring\.alerting: got nothing; expected at least one receiver .*pulumi config set --secret --path platform:monitoring\.alerting\.pagerdutyRoutingKey/,
    ]);
    assert.equal(environmentDefaults.prod.monitoring.alerting.requireReceiver, true);
    assert.equal(environmentDefaults.dev.monitoring.alerting.requireReceiver, false);
    assert.doesNotThrow(() => loadCloud(sourceFor("dev")));
    // Monitoring off: nothing to deliver, nothing required.
    assert.doesNotThrow(() =>
      loadCloud(sourceFor("prod", { "platform:monitoring": { enabled: false, alerting: { email: undefined } } })),
    );
  });

  it("half-configured receivers and bad values are all reported at once, credentials never quoted", () => {
    const patch = {
      "platform:monitoring": {
        alerting: {
          slackChannel: "#alerts",
          pagerdutyRoutingKey: "",
          groupWait: "soon",
          email: {
            to: ["not-an-address"],
            from: "alertmanager@example.com",
            smarthost: "smtp.example.com",
            authPassword: SMTP_PASSWORD,
          },
        },
      },
    };
    expectProblems("prod", patch, [
      /^platform:monitoring\.alerting\.slackChannel: .*expected monitoring\.alerting\.slackWebhookUrl set too/,
      /^platform:monitoring\.alerting\.pagerdutyRoutingKey: got \[secret\]; expected a PagerDuty/,
      /^platform:monitoring\.alerting\.groupWait: got "soon"; expected an Alertmanager duration/,
      /^platform:monitoring\.alerting\.email\.to\[0\]: .*expected an email address/,
      /^platform:monitoring\.alerting\.email\.smarthost: .*host:port/,
      /^platform:monitoring\.alerting\.email\.authUsername: .*set together/,
    ]);
    try {
      loadCloud(sourceFor("prod", { "platform:monitoring": { alerting: { email: SMTP_PASSWORD } } }));
      assert.fail("a string is not an email section");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.ok(!error.message.includes(SMTP_PASSWORD), error.message);
    }
  });

  it("every credential becomes a pulumi secret", async () => {
    const config = loadCloud(sourceFor("prod", { "platform:monitoring": { alerting: EVERY_RECEIVER } }));
    const { alerting } = config.monitoring;
    const pulumi = await import("@pulumi/pulumi");
    for (const value of [
      alerting.slackWebhookUrl,
      alerting.pagerdutyRoutingKey,
      alerting.webhookUrl,
      alerting.heartbeatUrl,
      alerting.email?.authPassword,
    ]) {
      assert.ok(value && pulumi.Output.isInstance(value), "an Output");
      assert.equal(await pulumi.isSecret(value), true);
    }
    assert.equal(alerting.email?.authUsername, "alerts", "the user name is not a secret");
  });
});

describe("Alertmanager in the plan", () => {
  for (const stack of STACKS) {
    it(`${stack}: the config is a Secret the operator reads (useExistingSecret + configSecret), never in the chart's values`, () => {
      const plan = planFor(stack);
      const secret = one(plan, "kubernetes:core/v1:Secret", `platform-${stack}-alertmanager-config`);
      assert.equal(input(secret, "metadata.namespace"), "monitoring");
      assert.equal(input(secret, "stringData"), "[secret]");
      const release = one(plan, "kubernetes:helm.sh/v3:Release", `platform-${stack}-kube-prometheus-stack`);
      const spec = inputRecord(release, "values.alertmanager.alertmanagerSpec");
      assert.equal(spec.useExistingSecret, true);
      assert.equal(spec.configSecret, input(secret, "metadata.name"));
      assert.equal(input(release, "values.alertmanager.config"), undefined, "no config in the release values");
    });
  }

  it("every Alertmanager value set exists in the chart's values.yaml at the pinned version", () => {
    const fixture = path.join(
      PROJECT_DIR,
      `test/fixtures/charts/kube-prometheus-stack-${environmentDefaults.prod.monitoring.chartVersion}.values.yaml`,
    );
    assert.ok(fs.existsSync(fixture), `${fixture} for the pinned chart version`);
    const chart = parse(fs.readFileSync(fixture, "utf8")) as {
      alertmanager: { alertmanagerSpec: Record<string, unknown> };
    };
    const spec = inputRecord(
      one(planFor("prod"), "kubernetes:helm.sh/v3:Release", "platform-prod-kube-prometheus-stack"),
      "values.alertmanager.alertmanagerSpec",
    );
    for (const key of ["useExistingSecret", "configSecret"]) {
      assert.ok(key in spec, `${key} is set`);
      assert.ok(key in chart.alertmanager.alertmanagerSpec, `alertmanager.alertmanagerSpec.${key} is a chart value`);
    }
  });
});
