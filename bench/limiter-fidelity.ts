/**
 * Limiter fidelity: a server that answers 429 above R requests in any sliding second, a client
 * limited to R by its token bucket, and 5 × R requests fired at once (all queue in the limiter).
 * Reports the rate the server admitted, as a fraction of R, the busiest second it saw, and its 429s.
 * Run by `npm run bench`; by hand: `npx tsx bench/limiter-fidelity.ts`.
 */
import { emitResult } from './support/bench-process.js';
import { maxInWindow, readQuotaStats, resetQuota, steadyRate } from './support/quota-stats.js';
import { startServerProcess } from './support/server-process.js';
import { renderLimiterFidelity } from './limiter/render.js';
import { type FidelityScenario, SCENARIOS } from './limiter/scenarios.js';
import { DexcomApiClient, isDexcomError } from '../src/index.js';

/** The numbers of one scenario. */
export interface FidelityResult extends FidelityScenario {
  readonly requests: number;
  readonly wallMs: number;
  readonly admitted: number;
  readonly rejected429: number;
  readonly failedCalls: number;
  /** Admitted arrivals per second between the first and the last, ÷ R. */
  readonly steadyFraction: number;
  /** The most admitted arrivals in any sliding second, as the server counts them (at most R). */
  readonly maxInAnySecond: number;
}

const WINDOW = { startDate: '2024-05-01T00:00:00', endDate: '2024-05-01T01:00:00' };

async function run(scenario: FidelityScenario): Promise<FidelityResult> {
  const server = await startServerProcess(new URL('./servers/quota-server.ts', import.meta.url), ['--limit', String(scenario.rate), '--window-ms', '1000']);
  try {
    const requests = scenario.rate * 5;
    const dexcom = new DexcomApiClient({
      baseUrl: server.url,
      accessToken: 'bench',
      rateLimit: { capacity: scenario.capacity, refillPerInterval: scenario.rate, intervalMs: 1_000, maxQueue: requests },
    });
    // Warm the connection and the code path, then start from an empty server window and a full bucket.
    await dexcom.api.getEstimatedGlucoseValuesV3({ query: WINDOW });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await resetQuota(server.url);
    const fresh = new DexcomApiClient({
      baseUrl: server.url,
      accessToken: 'bench',
      rateLimit: { capacity: scenario.capacity, refillPerInterval: scenario.rate, intervalMs: 1_000, maxQueue: requests },
    });
    const started = performance.now();
    const outcomes = await Promise.allSettled(Array.from({ length: requests }, () => fresh.api.getEstimatedGlucoseValuesV3({ query: WINDOW })));
    const wallMs = performance.now() - started;
    const stats = await readQuotaStats(server.url);
    const failed = outcomes.filter((o) => o.status === 'rejected');
    for (const o of failed) if (!isDexcomError((o as PromiseRejectedResult).reason)) throw (o as PromiseRejectedResult).reason;
    return {
      ...scenario,
      requests,
      wallMs,
      admitted: stats.admitted.length,
      rejected429: stats.rejected,
      failedCalls: failed.length,
      steadyFraction: steadyRate(stats.admitted) / scenario.rate,
      maxInAnySecond: maxInWindow(stats.admitted, 1_000),
    };
  } finally {
    await server.stop();
  }
}

const results: FidelityResult[] = [];
for (const scenario of SCENARIOS) results.push(await run(scenario));
emitResult(results, renderLimiterFidelity);
