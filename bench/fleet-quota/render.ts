/** The fleet-quota section of BENCHMARKS.md. */
import { fixed, table } from '../support/markdown.js';

/** One measured run: `processes` workers on one shared store. */
export interface FleetQuotaRow {
  readonly store: 'redis' | 'postgres';
  readonly processes: number;
  /** Admitted requests per second over the steady phase ÷ the configured rate. */
  readonly admittedRatio: number;
  /** Most admitted requests in any sliding second of the steady phase. */
  readonly busiestSecond: number;
  /** 429s the quota server sent (the scripted one never reaches it). */
  readonly unscripted429s: number;
  readonly p50WaitMs: number;
  readonly p99WaitMs: number;
  /** Requests any process sent from 100 ms after the scripted 429 to the end of its Retry-After. */
  readonly sentDuringPause: number;
  /** Switches to the local share (the store never went away, so 0). */
  readonly fallbacks: number;
}

/** The whole result. */
export interface FleetQuotaResult {
  readonly serverLimit: number;
  readonly ratePerSecond: number;
  readonly capacity: number;
  readonly concurrency: number;
  readonly storeTimeoutMs: number;
  readonly steadyMs: number;
  readonly retryAfterMs: number;
  readonly graceMs: number;
  readonly rows: readonly FleetQuotaRow[];
  /** Stores that were not reachable, so not measured. */
  readonly skipped: readonly string[];
}

const STORE_NAME = { redis: 'Redis', postgres: 'PostgreSQL' } as const;

/**
 * Renders the section (without its region markers).
 *
 * @example
 * writeRegion('BENCHMARKS.md', 'fleet-quota', renderFleetQuota(result));
 */
export function renderFleetQuota(result: FleetQuotaResult): string {
  const rows = result.rows.map((row) => [
    STORE_NAME[row.store],
    String(row.processes),
    fixed(row.admittedRatio, 3),
    String(row.busiestSecond),
    String(row.unscripted429s),
    fixed(row.p50WaitMs, 0),
    fixed(row.p99WaitMs, 0),
    String(row.sentDuringPause),
    String(row.fallbacks),
  ]);
  const sixteen = result.rows.filter((row) => row.processes === 16);
  const goals = [
    `>= 0.98 of the rate with 16 processes: ${sixteen.map((r) => `${STORE_NAME[r.store]} ${fixed(r.admittedRatio, 3)}`).join(', ') || 'not measured'}`,
    `zero unscripted 429s: ${result.rows.every((r) => r.unscripted429s === 0) ? 'met' : `missed (${result.rows.filter((r) => r.unscripted429s > 0).length} runs had some)`}`,
    `zero requests during a fleet-wide pause: ${result.rows.every((r) => r.sentDuringPause === 0) ? 'met' : 'missed'}`,
  ];
  return [
    '## Fleet quota: N processes share one quota',
    '',
    `\`npx tsx bench/fleet-quota.ts\`. N = 1, 2, 4, 8 and 16 worker processes share one rate-limit bucket (\`RedisRateLimitStore\`, ` +
      `\`PostgresRateLimitStore\` on the PostgreSQL server) and call the quota server, which admits at most ${result.serverLimit} requests in any ` +
      `sliding second and answers 429 beyond. Each client is configured for ${result.ratePerSecond} requests per second (bursts of ` +
      `${result.capacity}) with \`expectedWorkers: N\` and \`storeTimeoutMs: ${result.storeTimeoutMs}\`, ${result.concurrency} calls in flight per process, no retries. The steady phase ` +
      `lasts ${fixed(result.steadyMs / 1_000, 1)} s after 0.5 s of warm-up: admitted rate ÷ configured rate, the busiest sliding second ` +
      `(server side), the 429s the server sent, and each call's wait for its token. Then one process answers one of its own requests ` +
      `with a scripted 429 (\`Retry-After: ${result.retryAfterMs / 1_000}\`), as if the server had told that process alone; the last ` +
      `column counts the requests any process put on the wire from ${result.graceMs} ms after it until the Retry-After ends.`,
    '',
    table(
      ['store', 'processes', 'admitted ÷ configured', `busiest second (limit ${result.serverLimit})`, '429s', 'p50 wait (ms)', 'p99 wait (ms)', 'sent during Retry-After', 'fallbacks'],
      rows,
      [false, true, true, true, true, true, true, true, true],
    ),
    '',
    `Goals: ${goals.join('; ')}.`,
    ...(result.skipped.length ? ['', `Not measured (store unreachable): ${result.skipped.join(', ')}.`] : []),
    '',
    'Waits are long by design: every process keeps several calls queued, so a call waits for the slots of the calls ahead of it ' +
      'in the whole fleet. Each process holds at most four reservations at a time and never polls: the processes take turns in ' +
      'the order they reserved. A ratio a little above 1 is the burst of the bucket inside the short steady phase. The machine is ' +
      'shared (2 cores, other work running): a 429 or a request during the pause with many processes is a process that got its ' +
      'slot in time but reached the wire late.',
  ].join('\n');
}
