import { fixed, table } from '../support/markdown.js';
import type { FidelityResult } from '../limiter-fidelity.js';

/**
 * The limiter-fidelity section of BENCHMARKS.md.
 *
 * @example
 * console.log(renderLimiterFidelity(results));
 */
export function renderLimiterFidelity(results: readonly FidelityResult[]): string {
  const rows = results.map((r) => [
    r.name,
    String(r.requests),
    `${fixed(r.wallMs / 1000, 2)} s`,
    fixed(r.steadyFraction, 3),
    `${r.maxInAnySecond} / ${r.rate}`,
    String(r.rejected429),
    String(r.failedCalls),
    r.note,
  ]);
  return table(
    ['scenario', 'requests', 'wall', 'admitted rate ÷ R', 'busiest second', '429s', 'failed calls', 'why'],
    rows,
    [false, true, true, true, true, true, true, false],
  );
}
