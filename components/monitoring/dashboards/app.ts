import { APP_METRICS as APP, PROMETHEUS_METRICS as PROM } from "../metrics";
import { dashboard } from "./grafana";

const sel = 'job=~"$job"';
const quantile = (q: number) => ({
  expr: `histogram_quantile(${q}, sum by (le) (rate(${APP.durationBucket}{${sel}}[$__rate_interval])))`,
  legend: `p${Math.round(q * 100)}`,
});

/** The application's golden signals, cloud and edge alike (pick the job). */
export const appDashboard = dashboard({
  uid: "platform-app",
  title: "Platform / Application",
  description: "Traffic, errors, latency and database connection failures of the app's jobs.",
  variables: [{ name: "job", label: "Job", query: `label_values(${APP.requests}, job)` }],
  panels: [
    {
      title: "Requests per second by status",
      unit: "reqps",
      targets: [{ expr: `sum by (status) (rate(${APP.requests}{${sel}}[$__rate_interval]))`, legend: "{{status}}" }],
    },
    {
      title: "5xx responses per second",
      unit: "reqps",
      redFrom: 0.1,
      description: "HighErrorRate fires above 0.1/s for 2 minutes.",
      targets: [
        {
          expr: `sum by (job, site) (rate(${APP.requests}{${sel}, status=~"5.."}[$__rate_interval]))`,
          legend: "{{job}} {{site}}",
        },
      ],
    },
    { title: "Latency", unit: "s", redFrom: 1, targets: [quantile(0.5), quantile(0.95), quantile(0.99)] },
    {
      title: "Database connection failures per second",
      unit: "short",
      redFrom: 0.001,
      targets: [
        {
          expr: `sum by (job, site) (rate(${APP.dbConnectionErrors}{${sel}}[$__rate_interval]))`,
          legend: "{{job}} {{site}}",
        },
      ],
    },
    {
      title: "Targets up",
      unit: "short",
      type: "stat",
      width: 24,
      targets: [{ expr: `${PROM.up}{${sel}}`, legend: "{{job}} {{instance}}" }],
    },
  ],
});
