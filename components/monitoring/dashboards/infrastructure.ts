import { CLUSTER_METRICS as K8S, NODE_METRICS as NODE } from "../metrics";
import { dashboard } from "./grafana";

const REAL_FS = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs"';
const PHYSICAL_NIC = 'device!~"lo|veth.*|eni.*|docker.*|br-.*"';

/** Nodes (EKS and the Pi) and the cluster's workloads and volumes. */
export const infrastructureDashboard = dashboard({
  uid: "platform-infrastructure",
  title: "Platform / Infrastructure",
  description: "CPU, memory, disk and network of every node, pod health and volume usage on the cluster.",
  panels: [
    {
      title: "CPU busy",
      unit: "percent",
      redFrom: 85,
      targets: [
        {
          expr: `100 * (1 - avg by (instance) (rate(${NODE.cpuSeconds}{mode="idle"}[$__rate_interval])))`,
          legend: "{{instance}}",
        },
      ],
    },
    {
      title: "Memory in use",
      unit: "percent",
      redFrom: 90,
      targets: [{ expr: `100 * (1 - ${NODE.memAvailable} / ${NODE.memTotal})`, legend: "{{instance}}" }],
    },
    {
      title: "Disk free",
      unit: "percent",
      targets: [
        {
          expr: `100 * ${NODE.fsAvail}{${REAL_FS}} / ${NODE.fsSize}{${REAL_FS}}`,
          legend: "{{instance}} {{mountpoint}}",
        },
      ],
    },
    {
      title: "Network",
      unit: "Bps",
      targets: [
        {
          expr: `sum by (instance) (rate(${NODE.networkReceive}{${PHYSICAL_NIC}}[$__rate_interval]))`,
          legend: "{{instance}} in",
        },
        {
          expr: `sum by (instance) (rate(${NODE.networkTransmit}{${PHYSICAL_NIC}}[$__rate_interval]))`,
          legend: "{{instance}} out",
        },
      ],
    },
    {
      title: "Ready nodes",
      unit: "short",
      type: "stat",
      width: 6,
      targets: [{ expr: `sum(${K8S.nodeReady}{condition="Ready", status="true"})`, legend: "ready" }],
    },
    {
      title: "Pods not running",
      unit: "short",
      type: "stat",
      width: 6,
      redFrom: 1,
      targets: [{ expr: `sum(${K8S.podPhase}{phase=~"Pending|Failed|Unknown"})`, legend: "pods" }],
    },
    {
      title: "Container restarts (1h)",
      unit: "short",
      targets: [
        { expr: `sum by (namespace, pod) (increase(${K8S.podRestarts}[1h])) > 0`, legend: "{{namespace}}/{{pod}}" },
      ],
    },
    {
      title: "CPU by namespace",
      unit: "short",
      targets: [
        {
          expr: `sum by (namespace) (rate(${K8S.containerCpu}{container!=""}[$__rate_interval]))`,
          legend: "{{namespace}}",
        },
      ],
    },
    {
      title: "Memory by namespace",
      unit: "bytes",
      targets: [{ expr: `sum by (namespace) (${K8S.containerMemory}{container!=""})`, legend: "{{namespace}}" }],
    },
    {
      title: "Persistent volume usage",
      unit: "percent",
      redFrom: 85,
      targets: [
        { expr: `100 * ${K8S.volumeUsed} / ${K8S.volumeCapacity}`, legend: "{{namespace}}/{{persistentvolumeclaim}}" },
      ],
    },
  ],
});
