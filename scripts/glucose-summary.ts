/** Summary statistics the demo prints for a list of glucose readings. */
export interface GlucoseSummary {
  /** Readings with a numeric value. */
  count: number;
  /** Mean in mg/dL, or undefined without readings. */
  meanMgdl: number | undefined;
  /** Share of readings within 70–180 mg/dL (0..1), or undefined without readings. */
  timeInRange: number | undefined;
  /** Lowest and highest value in mg/dL. */
  min: number | undefined;
  max: number | undefined;
}

const SPARK = '▁▂▃▄▅▆▇█';

/**
 * Summarises glucose values in mg/dL (Dexcom reports every value in mg/dL whatever `unit` says).
 *
 * @example
 * summarizeGlucose([100, 150, 200]).timeInRange; // 2 / 3
 */
export function summarizeGlucose(values: readonly number[]): GlucoseSummary {
  if (values.length === 0) return { count: 0, meanMgdl: undefined, timeInRange: undefined, min: undefined, max: undefined };
  const sum = values.reduce((a, b) => a + b, 0);
  const inRange = values.filter((v) => v >= 70 && v <= 180).length;
  return { count: values.length, meanMgdl: sum / values.length, timeInRange: inRange / values.length, min: Math.min(...values), max: Math.max(...values) };
}

/**
 * A one-line sparkline of at most `width` characters (values averaged into buckets), scaled to
 * 40–400 mg/dL, Dexcom's measuring range, so lines from different runs compare.
 *
 * @example
 * sparkline([40, 220, 400]); // '▁▄█'
 */
export function sparkline(values: readonly number[], width = 60): string {
  if (values.length === 0) return '';
  const buckets = Math.min(width, values.length);
  let line = '';
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * values.length) / buckets);
    const to = Math.max(from + 1, Math.floor(((b + 1) * values.length) / buckets));
    const slice = values.slice(from, to);
    const mean = slice.reduce((a, c) => a + c, 0) / slice.length;
    const level = Math.round(((Math.min(400, Math.max(40, mean)) - 40) / 360) * (SPARK.length - 1));
    line += SPARK[level];
  }
  return line;
}
