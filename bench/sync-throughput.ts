/**
 * Sync throughput against a quota: each scenario (see `sync/scenarios.ts`) runs in a child process
 * of its own (so its peak RSS is its own) against the quota server in another; reports wall time
 * next to the quota-bound minimum (requests ÷ Q), requests made, 429s and peak RSS.
 * Run by `npm run bench`; by hand: `npx tsx bench/sync-throughput.ts`.
 */
import { emitResult, runBenchProcess } from './support/bench-process.js';
import { readQuotaStats } from './support/quota-stats.js';
import { startServerProcess } from './support/server-process.js';
import { renderSyncThroughput } from './sync/render.js';
import { QUOTA_PER_SECOND, SYNC_SCENARIOS } from './sync/scenarios.js';

/** The numbers of one scenario. */
export interface SyncThroughputResult {
  readonly name: string;
  readonly how: string;
  readonly quotaPerSecond: number;
  readonly requests: number;
  readonly rejected429: number;
  readonly records: number;
  readonly wallMs: number;
  /** RSS of the scenario's process before it started reading. */
  readonly startRss: number;
  /** Peak RSS of the scenario's process (`process.resourceUsage().maxRSS`). */
  readonly peakRss: number;
}

const index = process.argv.indexOf('--scenario');
if (index !== -1) {
  const scenario = SYNC_SCENARIOS.find((s) => s.name === process.argv[index + 1]);
  if (!scenario) throw new Error(`unknown scenario ${process.argv[index + 1]}`);
  const server = await startServerProcess(new URL('./servers/quota-server.ts', import.meta.url), ['--limit', String(QUOTA_PER_SECOND), '--window-ms', '1000']);
  try {
    const startRss = process.memoryUsage().rss;
    const started = performance.now();
    const { records } = await scenario.run(server.url);
    const wallMs = performance.now() - started;
    const stats = await readQuotaStats(server.url);
    const result: SyncThroughputResult = {
      name: scenario.name,
      how: scenario.how,
      quotaPerSecond: QUOTA_PER_SECOND,
      requests: stats.admitted.length + stats.rejected,
      rejected429: stats.rejected,
      records,
      wallMs,
      startRss,
      peakRss: process.resourceUsage().maxRSS * 1024,
    };
    emitResult(result, (r) => renderSyncThroughput([r]));
  } finally {
    await server.stop();
  }
} else {
  const results: SyncThroughputResult[] = [];
  for (const scenario of SYNC_SCENARIOS) {
    results.push(await runBenchProcess<SyncThroughputResult>(new URL(import.meta.url), ['--scenario', scenario.name]));
  }
  emitResult(results, renderSyncThroughput);
}
