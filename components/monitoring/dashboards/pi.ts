import {
  APP_METRICS as APP,
  EDGE_APP_JOB,
  NODE_METRICS as NODE,
  PI_METRICS as PI,
  PROMETHEUS_METRICS as PROM,
} from "../metrics";
import { dashboard } from "./grafana";

const site = 'site=~"$site"';
const app = `job="${EDGE_APP_JOB}", ${site}`;

/** The Raspberry Pi: its health (temperature, throttling, power) and the edge app on it. */
export const piDashboard = dashboard({
  uid: "platform-pi",
  title: "Platform / Raspberry Pi",
  description: "SoC temperature, throttling and under-voltage, host resources and the edge app, per site.",
  variables: [{ name: "site", label: "Site", query: `label_values(${PI.temperature}, site)` }],
  panels: [
    {
      title: "SoC temperature",
      unit: "celsius",
      redFrom: 80,
      targets: [{ expr: `${PI.temperature}{${site}}`, legend: "{{site}}" }],
    },
    {
      title: "Throttled / under-voltage",
      unit: "short",
      redFrom: 1,
      targets: [
        { expr: `${PI.throttled}{${site}}`, legend: "{{site}} throttled" },
        { expr: `${PI.underVoltage}{${site}}`, legend: "{{site}} under-voltage" },
      ],
    },
    {
      title: "Edge app up",
      unit: "short",
      type: "stat",
      width: 6,
      targets: [{ expr: `${PROM.up}{${app}}`, legend: "{{site}}" }],
    },
    {
      title: "Memory in use",
      unit: "percent",
      type: "stat",
      width: 6,
      redFrom: 90,
      targets: [{ expr: `100 * (1 - ${NODE.memAvailable}{${site}} / ${NODE.memTotal}{${site}})`, legend: "{{site}}" }],
    },
    {
      title: "SD card free",
      unit: "percent",
      type: "stat",
      width: 6,
      targets: [
        {
          expr: `100 * ${NODE.fsAvail}{${site}, mountpoint="/"} / ${NODE.fsSize}{${site}, mountpoint="/"}`,
          legend: "{{site}}",
        },
      ],
    },
    {
      title: "Load (1m)",
      unit: "short",
      type: "stat",
      width: 6,
      targets: [{ expr: `${NODE.load1}{${site}}`, legend: "{{site}}" }],
    },
    {
      title: "CPU busy",
      unit: "percent",
      redFrom: 85,
      targets: [
        {
          expr: `100 * (1 - avg by (site) (rate(${NODE.cpuSeconds}{${site}, mode="idle"}[$__rate_interval])))`,
          legend: "{{site}}",
        },
      ],
    },
    {
      title: "Edge app requests per second by status",
      unit: "reqps",
      targets: [{ expr: `sum by (status) (rate(${APP.requests}{${app}}[$__rate_interval]))`, legend: "{{status}}" }],
    },
    {
      title: "Edge app latency p95",
      unit: "s",
      redFrom: 1,
      targets: [
        {
          expr: `histogram_quantile(0.95, sum by (site, le) (rate(${APP.durationBucket}{${app}}[$__rate_interval])))`,
          legend: "{{site}}",
        },
      ],
    },
  ],
});
