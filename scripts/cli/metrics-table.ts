/**
 * The demo's metrics as a short table instead of raw Prometheus exposition lines: one row per
 * non-zero counter series, and the mean of each histogram, durations in milliseconds.
 */

/** The subset of prom-client's `getMetricsAsJSON()` output this table reads. */
export interface MetricJson {
  readonly name: string;
  readonly type: unknown;
  readonly values: readonly { readonly value: number; readonly labels: Partial<Record<string, string | number>>; readonly metricName?: string }[];
}

// Every demo call has the same client and method; 'le' is a histogram bucket bound.
const HIDDEN_LABELS = new Set(['client', 'method', 'le']);

/**
 * Renders counters, gauges and histogram means as aligned rows.
 *
 * @example
 * console.log(metricsTable(await registry.getMetricsAsJSON()));
 */
export function metricsTable(metrics: readonly MetricJson[]): string {
  const rows: [string, string][] = [];
  for (const metric of metrics) {
    if (metric.type === 'histogram') {
      const sums = metric.values.filter((v) => v.metricName?.endsWith('_sum'));
      for (const sum of sums) {
        const key = labelText(sum.labels);
        const count = metric.values.find((v) => v.metricName?.endsWith('_count') && labelText(v.labels) === key)?.value ?? 0;
        if (count === 0) continue;
        const seconds = metric.name.endsWith('_seconds');
        const mean = sum.value / count;
        rows.push([`${metric.name.replace(/_seconds$/, '')}${key}`, seconds ? `mean ${(mean * 1000).toFixed(1)} ms over ${count}` : `mean ${mean.toFixed(2)} over ${count}`]);
      }
    } else {
      for (const value of metric.values) {
        if (value.value === 0) continue;
        rows.push([`${metric.name}${labelText(value.labels)}`, Number.isInteger(value.value) ? String(value.value) : value.value.toFixed(2)]);
      }
    }
  }
  if (rows.length === 0) return '  (no non-zero series)';
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`).join('\n');
}

function labelText(labels: Partial<Record<string, string | number>>): string {
  const shown = Object.entries(labels).filter(([k]) => !HIDDEN_LABELS.has(k));
  return shown.length ? ` ${shown.map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
}
