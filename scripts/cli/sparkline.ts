/** The demo's one-line glucose trace. */
const SPARK = '▁▂▃▄▅▆▇█';

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
