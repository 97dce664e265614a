import { appDashboard } from "./app";
import { dataTierDashboard } from "./data-tier";
import { infrastructureDashboard } from "./infrastructure";
import { piDashboard } from "./pi";

/** Every dashboard by its stable name (the file and ConfigMap key stem). */
export const DASHBOARDS: Record<string, Record<string, unknown>> = {
  app: appDashboard,
  data: dataTierDashboard,
  infrastructure: infrastructureDashboard,
  pi: piDashboard,
};

/** Each dashboard's JSON by file name, e.g. `app.json`, for ConfigMaps and `--emit`. */
export function renderDashboards(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(DASHBOARDS).map(([name, model]) => [`${name}.json`, `${JSON.stringify(model, null, 2)}\n`]),
  );
}
