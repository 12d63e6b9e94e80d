/** What the quota server saw, read over HTTP, and what follows from it. */

/** Raw counters of the quota server (`GET /__stats`). */
export interface QuotaServerStats {
  /** Arrival times (ms, the server's `performance.now()`) of admitted requests. */
  readonly admitted: number[];
  /** Requests answered 429. */
  readonly rejected: number;
}

/**
 * Reads the quota server's counters.
 *
 * @example
 * const stats = await readQuotaStats(server.url);
 */
export async function readQuotaStats(baseUrl: string): Promise<QuotaServerStats> {
  return (await fetch(`${baseUrl}/__stats`)).json() as Promise<QuotaServerStats>;
}

/**
 * Clears the quota server's counters and window.
 *
 * @example
 * await resetQuota(server.url);
 */
export async function resetQuota(baseUrl: string): Promise<void> {
  await (await fetch(`${baseUrl}/__reset`, { method: 'POST' })).arrayBuffer();
}

/**
 * The most admitted arrivals in any window of `windowMs` (half-open, as the server counts).
 *
 * @example
 * maxInWindow([0, 10, 1000, 1005], 1000); // 3 (10, 1000, 1005)
 */
export function maxInWindow(arrivals: readonly number[], windowMs: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[start]! <= sorted[end]! - windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/**
 * Steady request rate per second between the first and the last admitted arrival.
 *
 * @example
 * steadyRate([0, 50, 100]); // 20 (2 intervals in 100 ms)
 */
export function steadyRate(arrivals: readonly number[]): number {
  if (arrivals.length < 2) return Number.NaN;
  const sorted = [...arrivals].sort((a, b) => a - b);
  return ((sorted.length - 1) * 1_000) / (sorted.at(-1)! - sorted[0]!);
}
