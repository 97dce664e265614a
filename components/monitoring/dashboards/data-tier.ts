import { CLOUDWATCH_METRICS as CW, CLUSTER_METRICS as K8S, DB_DUMP_CRONJOB } from "../metrics";
import { dashboard } from "./grafana";

const DB = "dimension_DBInstanceIdentifier";
const CACHE = "dimension_CacheClusterId";

/** RDS and ElastiCache from CloudWatch (YACE), and the database dump's freshness; thresholds as in the alerts. */
export const dataTierDashboard = dashboard({
  uid: "platform-data-tier",
  title: "Platform / Database and cache",
  description:
    "RDS PostgreSQL and ElastiCache from CloudWatch (5-minute resolution, a few minutes behind), and the age of the last database dump.",
  panels: [
    {
      title: "Database CPU",
      unit: "percent",
      redFrom: 80,
      targets: [{ expr: `max by (${DB}) (${CW.rdsCpu})`, legend: `{{${DB}}}` }],
    },
    {
      title: "Database free storage",
      unit: "bytes",
      targets: [{ expr: `min by (${DB}) (${CW.rdsFreeStorage})`, legend: `{{${DB}}}` }],
    },
    {
      title: "Database connections",
      unit: "short",
      targets: [{ expr: `max by (${DB}) (${CW.rdsConnections})`, legend: `{{${DB}}}` }],
    },
    {
      title: "Hours since the last successful dump",
      unit: "short",
      type: "stat",
      width: 6,
      redFrom: 26,
      targets: [
        {
          expr: `(time() - max by (namespace, cronjob) (${K8S.cronjobLastSuccess}{cronjob="${DB_DUMP_CRONJOB}"})) / 3600`,
          legend: "{{namespace}}",
        },
      ],
    },
    {
      title: "Cache memory used",
      unit: "percent",
      redFrom: 90,
      targets: [{ expr: `max by (${CACHE}) (${CW.cacheMemory})`, legend: `{{${CACHE}}}` }],
    },
    {
      title: "Cache evictions per period",
      unit: "short",
      redFrom: 1,
      targets: [{ expr: `sum by (${CACHE}) (${CW.cacheEvictions})`, legend: `{{${CACHE}}}` }],
    },
  ],
});
