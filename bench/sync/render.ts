import { fixed, megabytes, ratio, table } from '../support/markdown.js';
import type { SyncThroughputResult } from '../sync-throughput.js';

/**
 * The sync-throughput section of BENCHMARKS.md.
 *
 * @example
 * console.log(renderSyncThroughput(results));
 */
export function renderSyncThroughput(results: readonly SyncThroughputResult[]): string {
  const rows = results.map((r) => {
    const minimumMs = (r.requests / r.quotaPerSecond) * 1_000;
    return [
      r.name,
      r.how,
      String(r.requests),
      fixed(r.records),
      `${fixed(r.wallMs / 1_000, 2)} s`,
      `${fixed(minimumMs / 1_000, 2)} s`,
      ratio(r.wallMs / minimumMs),
      String(r.rejected429),
      megabytes(r.startRss),
      megabytes(r.peakRss),
    ];
  });
  return table(
    ['scenario', 'how', 'requests', 'records', 'wall', 'quota minimum (requests ÷ Q)', 'wall ÷ minimum', '429s', 'RSS at start', 'peak RSS'],
    rows,
    [false, false, true, true, true, true, true, true, true, true],
  );
}
