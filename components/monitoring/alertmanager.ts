import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import type { AlertingConfig } from "../../config";

/**
 * Alertmanager's configuration, rendered by one pure function from `platform:monitoring.alerting`
 * and the credentials' values: the component passes the real ones (inside a secret Output), the
 * plan's `--emit` passes placeholders so the file can be checked with amtool and never holds one.
 */

/** Receiver names, as `amtool config routes test` prints them. */
export const RECEIVERS = {
  /** Critical alerts: PagerDuty, plus every chat/email/webhook receiver for context. */
  pager: "pager",
  /** Warnings (and anything without a known severity): Slack, email, webhook; never the pager. */
  chat: "chat",
  /** The Watchdog: the dead-man's switch that pages when it stops hearing from Alertmanager. */
  heartbeat: "heartbeat",
  /** Info alerts and the chart's InfoInhibitor: visible in Alertmanager and Grafana, sent nowhere. */
  none: "null",
} as const;

/** The labels alerts are grouped by: one notification per alert, per namespace (cloud) or site (Pi). */
export const GROUP_BY = ["alertname", "namespace", "site"] as const;

/** The credentials the rendered file holds, by their `monitoring.alerting` knob. */
export interface AlertingCredentials {
  slackWebhookUrl?: string;
  pagerdutyRoutingKey?: string;
  webhookUrl?: string;
  heartbeatUrl?: string;
  emailAuthPassword?: string;
}

/** What `--emit` writes instead of each credential: valid where a URL is expected, so amtool checks the rest. */
export const CREDENTIAL_PLACEHOLDERS: Required<AlertingCredentials> = {
  slackWebhookUrl: "https://secret.invalid/platform:monitoring.alerting.slackWebhookUrl",
  pagerdutyRoutingKey: "<secret platform:monitoring.alerting.pagerdutyRoutingKey>",
  webhookUrl: "https://secret.invalid/platform:monitoring.alerting.webhookUrl",
  heartbeatUrl: "https://secret.invalid/platform:monitoring.alerting.heartbeatUrl",
  emailAuthPassword: "<secret platform:monitoring.alerting.email.authPassword>",
};

type Integrations = Record<string, unknown[]>;

function chatIntegrations(alerting: AlertingConfig, credentials: AlertingCredentials): Integrations {
  const out: Integrations = {};
  if (credentials.slackWebhookUrl)
    out.slack_configs = [
      {
        api_url: credentials.slackWebhookUrl,
        ...(alerting.slackChannel ? { channel: alerting.slackChannel } : {}),
        send_resolved: true,
        title:
          '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}{{ with .CommonLabels.site }} at {{ . }}{{ end }}',
        text: "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n{{ end }}",
      },
    ];
  const email = alerting.email;
  if (email)
    out.email_configs = [
      {
        to: email.to.join(", "),
        from: email.from,
        smarthost: email.smarthost,
        // Alerts describe the platform: never over plain SMTP.
        require_tls: true,
        send_resolved: true,
        ...(email.authUsername
          ? { auth_username: email.authUsername, auth_password: credentials.emailAuthPassword }
          : {}),
      },
    ];
  if (credentials.webhookUrl) out.webhook_configs = [{ url: credentials.webhookUrl, send_resolved: true }];
  return out;
}

function pagerIntegrations(credentials: AlertingCredentials): Integrations {
  if (!credentials.pagerdutyRoutingKey) return {};
  return {
    pagerduty_configs: [
      {
        routing_key: credentials.pagerdutyRoutingKey,
        severity: "critical",
        send_resolved: true,
        description:
          "{{ .CommonLabels.alertname }}{{ with .CommonLabels.site }} at {{ . }}{{ end }}: {{ .CommonAnnotations.summary }}",
      },
    ],
  };
}

/** The config as an object (Alertmanager's own shape). */
export function alertmanagerConfig(
  alerting: AlertingConfig,
  credentials: AlertingCredentials,
): Record<string, unknown> {
  const chat = chatIntegrations(alerting, credentials);
  return {
    global: { resolve_timeout: "5m" },
    route: {
      receiver: RECEIVERS.chat,
      group_by: [...GROUP_BY],
      group_wait: alerting.groupWait,
      group_interval: alerting.groupInterval,
      repeat_interval: alerting.repeatInterval,
      routes: [
        // Always firing: each notification tells the switch that the alerting pipeline is alive.
        {
          receiver: RECEIVERS.heartbeat,
          matchers: ['alertname = "Watchdog"'],
          group_by: ["alertname"],
          group_wait: "0s",
          group_interval: "1m",
          repeat_interval: "1m",
        },
        { receiver: RECEIVERS.none, matchers: ['alertname = "InfoInhibitor"'] },
        // Pages go out fast and repeat hourly until acknowledged upstream or resolved.
        { receiver: RECEIVERS.pager, matchers: ['severity = "critical"'], group_wait: "10s", repeat_interval: "1h" },
        { receiver: RECEIVERS.chat, matchers: ['severity = "warning"'] },
        { receiver: RECEIVERS.none, matchers: ['severity =~ "info|none"'] },
      ],
    },
    inhibit_rules: [
      // A firing critical silences the warning of the same alert in the same place (e.g. disk 90% vs 95%).
      { source_matchers: ['severity = "critical"'], target_matchers: ['severity = "warning"'], equal: [...GROUP_BY] },
      {
        source_matchers: ['severity =~ "critical|warning"'],
        target_matchers: ['severity = "info"'],
        equal: [...GROUP_BY],
      },
      // The chart's InfoInhibitor: info alerts stay quiet unless something worse fires in their namespace.
      {
        source_matchers: ['alertname = "InfoInhibitor"'],
        target_matchers: ['severity = "info"'],
        equal: ["namespace"],
      },
    ],
    receivers: [
      { name: RECEIVERS.pager, ...pagerIntegrations(credentials), ...chat },
      { name: RECEIVERS.chat, ...chat },
      {
        name: RECEIVERS.heartbeat,
        ...(credentials.heartbeatUrl
          ? { webhook_configs: [{ url: credentials.heartbeatUrl, send_resolved: false }] }
          : {}),
      },
      { name: RECEIVERS.none },
    ],
  };
}

/** `alertmanager.yaml` as Alertmanager reads it. */
export function renderAlertmanagerConfig(alerting: AlertingConfig, credentials: AlertingCredentials): string {
  return stringify(alertmanagerConfig(alerting, credentials), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Placeholders for the credentials the stack sets, nothing for those it does not: what `--emit` renders. */
export function placeholderCredentials(alerting: AlertingConfig): AlertingCredentials {
  const set = (value: unknown, placeholder: string) => (value === undefined ? undefined : placeholder);
  return {
    slackWebhookUrl: set(alerting.slackWebhookUrl, CREDENTIAL_PLACEHOLDERS.slackWebhookUrl),
    pagerdutyRoutingKey: set(alerting.pagerdutyRoutingKey, CREDENTIAL_PLACEHOLDERS.pagerdutyRoutingKey),
    webhookUrl: set(alerting.webhookUrl, CREDENTIAL_PLACEHOLDERS.webhookUrl),
    heartbeatUrl: set(alerting.heartbeatUrl, CREDENTIAL_PLACEHOLDERS.heartbeatUrl),
    emailAuthPassword: set(alerting.email?.authPassword, CREDENTIAL_PLACEHOLDERS.emailAuthPassword),
  };
}

/** The rendered file with the real credentials, as a secret Output (the component's Secret holds it). */
export function renderAlertmanagerSecret(alerting: AlertingConfig): pulumi.Output<string> {
  const rendered = pulumi
    .all([
      alerting.slackWebhookUrl,
      alerting.pagerdutyRoutingKey,
      alerting.webhookUrl,
      alerting.heartbeatUrl,
      alerting.email?.authPassword,
    ])
    .apply(([slackWebhookUrl, pagerdutyRoutingKey, webhookUrl, heartbeatUrl, emailAuthPassword]) =>
      renderAlertmanagerConfig(alerting, {
        slackWebhookUrl,
        pagerdutyRoutingKey,
        webhookUrl,
        heartbeatUrl,
        emailAuthPassword,
      }),
    );
  return pulumi.secret(rendered);
}
