/**
 * A small builder for Grafana dashboard JSON (schema 39): dashboards are written as a list of
 * panels with PromQL targets and laid out here, so the files stay short and uniform.
 */

/** The Prometheus data source the chart provisions in Grafana (`grafana.sidecar.datasources.uid`). */
export const DATASOURCE = { type: "prometheus", uid: "prometheus" } as const;

export interface Target {
  expr: string;
  /** Grafana legend template, e.g. `{{instance}}`. */
  legend: string;
}

export interface PanelSpec {
  title: string;
  /** Grafana unit id: `percent`, `s`, `reqps`, `celsius`, `Bps`, `bytes`, `short`. */
  unit: string;
  targets: Target[];
  /** Default `timeseries`. */
  type?: "timeseries" | "stat";
  /** Grid columns out of 24. Default 12. */
  width?: number;
  /** Value from which the panel turns red (drawn as a threshold line on time series). */
  redFrom?: number;
  description?: string;
}

export interface VariableSpec {
  name: string;
  label: string;
  /** A `label_values(metric, label)` query. */
  query: string;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables?: VariableSpec[];
  panels: PanelSpec[];
}

const PANEL_HEIGHT = 8;

function variable(spec: VariableSpec): Record<string, unknown> {
  return {
    name: spec.name,
    label: spec.label,
    type: "query",
    datasource: DATASOURCE,
    query: { query: spec.query, refId: `${spec.name}-query` },
    definition: spec.query,
    includeAll: true,
    multi: true,
    refresh: 2,
    sort: 1,
    current: { selected: true, text: ["All"], value: ["$__all"] },
  };
}

function panel(
  spec: PanelSpec,
  id: number,
  gridPos: { x: number; y: number; w: number; h: number },
): Record<string, unknown> {
  const steps: { color: string; value: number | null }[] = [{ color: "green", value: null }];
  if (spec.redFrom !== undefined) steps.push({ color: "red", value: spec.redFrom });
  const type = spec.type ?? "timeseries";
  return {
    id,
    type,
    title: spec.title,
    description: spec.description ?? "",
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: {
      defaults: {
        unit: spec.unit,
        thresholds: { mode: "absolute", steps },
        ...(type === "timeseries" && spec.redFrom !== undefined
          ? { custom: { thresholdsStyle: { mode: "line" } } }
          : {}),
      },
      overrides: [],
    },
    options:
      type === "stat"
        ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "background" }
        : { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
    targets: spec.targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: t.expr,
      legendFormat: t.legend,
    })),
  };
}

/** Lays the panels out left to right in rows and returns the dashboard's JSON model. */
export function dashboard(spec: DashboardSpec): Record<string, unknown> {
  let x = 0;
  let y = 0;
  const panels = spec.panels.map((p, i) => {
    const w = p.width ?? 12;
    if (x + w > 24) {
      x = 0;
      y += PANEL_HEIGHT;
    }
    const built = panel(p, i + 1, { x, y, w, h: PANEL_HEIGHT });
    x += w;
    return built;
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ["platform"],
    timezone: "utc",
    schemaVersion: 39,
    version: 1,
    // Provisioned from code: edits in the UI would be lost on the next sync.
    editable: false,
    graphTooltip: 1,
    refresh: "1m",
    time: { from: "now-6h", to: "now" },
    templating: { list: (spec.variables ?? []).map(variable) },
    annotations: { list: [] },
    links: [],
    panels,
  };
}
