/**
 * Delays before each retry, Svix's variant of the Standard Webhooks schedule: at once, 5 s,
 * 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. Eight attempts over about 27.6 hours; then a dead letter.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** Share of a delay added or removed at random so retries of many events spread out: ±20 %. */
export const RETRY_JITTER = 0.2;

/** The longest `Retry-After` honoured: a receiver cannot park an event for longer than a day. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * When attempt number `attempt + 1` is due after attempt `attempt` (1-based) failed, in ms from
 * now, or `undefined` when the schedule is exhausted (dead letter). A `Retry-After` longer than the
 * scheduled delay wins (capped at {@link MAX_RETRY_AFTER_MS}); jitter never goes below 0.
 *
 * @example
 * nextRetryDelayMs(1, undefined, () => 0.5); // 5_000 (attempt 2 after 5 s)
 * nextRetryDelayMs(8, undefined);            // undefined: dead letter
 * nextRetryDelayMs(2, 3_600_000, () => 0.5); // 3_600_000 (Retry-After beats 5 min)
 */
export function nextRetryDelayMs(attempt: number, retryAfterMs: number | undefined, random: () => number = Math.random): number | undefined {
  const base = RETRY_SCHEDULE_MS[attempt];
  if (base === undefined) return undefined;
  const jittered = Math.round(base * (1 + RETRY_JITTER * (2 * random() - 1)));
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}
