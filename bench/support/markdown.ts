/** Small Markdown helpers for BENCHMARKS.md. */

/**
 * A Markdown table; a column is right-aligned where `numeric` says so, else left-aligned.
 *
 * @example
 * table(['client', 'µs'], [['fetch', '812']], [false, true]);
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[] = []): string {
  const align = headers.map((_, i) => (numeric[i] ? '---:' : '---'));
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(align), ...rows.map(line)].join('\n');
}

/**
 * A number with a fixed count of decimals and thousands separators.
 *
 * @example
 * fixed(1234.567, 1); // '1,234.6'
 */
export function fixed(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/**
 * A ratio as `1.23×`.
 *
 * @example
 * ratio(1.234); // '1.23×'
 */
export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

/**
 * Bytes in MB with one decimal.
 *
 * @example
 * megabytes(52_428_800); // '50.0 MB'
 */
export function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
