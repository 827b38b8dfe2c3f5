import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { z } from "zod";

/**
 * The engine's operating files (`apps/engine/ops/`) as the tests read them: the Grafana
 * dashboard's queries and the Prometheus alert rules, with the metric names each one reads.
 * Test support only: nothing at run time reads these files.
 */

const OPS_DIR = fileURLToPath(new URL("../../ops/", import.meta.url));

export const DASHBOARD_PATH = `${OPS_DIR}grafana/engine-dashboard.json`;
export const ALERTS_PATH = `${OPS_DIR}prometheus/engine-alerts.yml`;

const PanelSchema = z.object({
  title: z.string(),
  type: z.string(),
  targets: z.array(z.object({ expr: z.string().min(1) })).optional(),
});

const DashboardSchema = z.object({
  panels: z.array(PanelSchema),
  templating: z.object({
    list: z.array(z.object({ name: z.string(), query: z.unknown().optional() })),
  }),
});

const AlertRulesSchema = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      rules: z.array(
        z.object({
          alert: z.string(),
          expr: z.string(),
          for: z.string().optional(),
          labels: z.object({ severity: z.enum(["critical", "warning"]) }),
          annotations: z.object({ summary: z.string(), description: z.string() }),
        }),
      ),
    }),
  ),
});

export type AlertRule = z.infer<typeof AlertRulesSchema>["groups"][number]["rules"][number];

/** One PromQL query of the operating files: where it comes from, and the query. */
export interface OpsQuery {
  /** `dashboard: <panel title>` or `alert: <name>`, for messages. */
  source: string;
  expr: string;
}

/** Every query of the dashboard's panels, template variables as Grafana would put them. */
export function dashboardQueries(): OpsQuery[] {
  const dashboard = DashboardSchema.parse(JSON.parse(readFileSync(DASHBOARD_PATH, "utf8")));
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      source: `dashboard: ${panel.title}`,
      expr: withVariables(target.expr),
    })),
  );
}

/** Every alert rule, validated: a severity, a summary and a description each. */
export function alertRules(): AlertRule[] {
  const rules = AlertRulesSchema.parse(parse(readFileSync(ALERTS_PATH, "utf8")));
  return rules.groups.flatMap((group) => group.rules);
}

/** The alert rules as queries. */
export function alertQueries(): OpsQuery[] {
  return alertRules().map((rule) => ({ source: `alert: ${rule.alert}`, expr: rule.expr }));
}

/**
 * The engine's metric names a PromQL expression reads (every `engine_*` identifier: label names
 * of the engine's metrics never start so). Prometheus's own series (`up`) are not included.
 */
export function metricNamesIn(expr: string): string[] {
  return [...new Set(expr.match(/\bengine_[a-z0-9_]+\b/g) ?? [])];
}

/**
 * The series names a Prometheus text exposition declares (its `# TYPE` lines, samples or not):
 * a histogram's `_bucket`, `_sum` and `_count`, a summary's `_sum` and `_count`.
 */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name = "", type] = match;
    names.add(name);
    if (type === "histogram") names.add(`${name}_bucket`);
    if (type === "histogram" || type === "summary") {
      names.add(`${name}_sum`);
      names.add(`${name}_count`);
    }
  }
  return names;
}

/** Grafana's variables, replaced by what they stand for with "All" chosen. */
function withVariables(expr: string): string {
  return expr
    .replaceAll("$__rate_interval", "1m")
    .replaceAll("$__range", "1h")
    .replaceAll(/\$(instance|namespace)\b/g, ".*");
}
