import { assertDateRange } from '../dates.js';
import { DexcomValidationError } from '../core/errors.js';

/**
 * Options of `dexcom.iterate(type, options)`.
 *
 * @example
 * dexcom.iterate('egvs', { start: new Date('2024-01-01Z'), end: new Date('2024-07-01Z'), concurrency: 4, signal: AbortSignal.timeout(600_000) });
 */
export interface IterateOptions {
  /** Inclusive start of the range (cut to the second, as Dexcom resolves times). */
  start: Date;
  /** Exclusive end of the range. */
  end: Date;
  /**
   * Windows fetched at the same time, 1 to {@link MAX_CONCURRENCY}. Default 1. Output stays in time
   * order whatever the value; at most this many windows are in flight or buffered.
   */
  concurrency?: number;
  /** Aborts the read: in-flight requests are cancelled and the loop throws a `DexcomAbortError`. */
  signal?: AbortSignal;
}

/**
 * Upper bound of `concurrency`. Each window in flight may hold 30 days of records (8,640 EGVs), and
 * every request takes a rate-limit token from the same bucket, so more parallel windows mostly queue
 * behind the limiter while holding memory.
 *
 * @example
 * dexcom.iterate('egvs', { start, end, concurrency: MAX_CONCURRENCY });
 */
export const MAX_CONCURRENCY = 16;

/**
 * Default `concurrency`: one window at a time, so a long backfill never bursts the rate limit.
 *
 * @example
 * dexcom.iterate('egvs', { start, end }); // concurrency: DEFAULT_CONCURRENCY
 */
export const DEFAULT_CONCURRENCY = 1;

/**
 * Validates `concurrency` (an integer from 1 to {@link MAX_CONCURRENCY}), defaulting to 1.
 *
 * @example
 * resolveConcurrency(undefined); // 1
 * resolveConcurrency(0);         // throws DexcomValidationError
 */
export function resolveConcurrency(value: unknown): number {
  if (value === undefined) return DEFAULT_CONCURRENCY;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_CONCURRENCY) {
    throw new DexcomValidationError(
      `concurrency must be an integer from 1 to ${MAX_CONCURRENCY} (got ${String(value)}), e.g. dexcom.iterate('egvs', { start, end, concurrency: 4 })`,
    );
  }
  return value;
}

/**
 * Throws a `DexcomValidationError` unless `value` is an `AbortSignal` or undefined.
 *
 * @example
 * assertOptionalSignal(new AbortController().signal);
 */
export function assertOptionalSignal(value: unknown): asserts value is AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new DexcomValidationError('signal must be an AbortSignal, e.g. { signal: AbortSignal.timeout(60_000) }');
  }
}

/**
 * Validates {@link IterateOptions} before any request and fills in the defaults.
 *
 * @example
 * resolveIterateOptions({ start: new Date('2024-01-01Z'), end: new Date('2024-02-01Z') }).concurrency; // 1
 */
export function resolveIterateOptions(options: unknown): Required<Omit<IterateOptions, 'signal'>> & Pick<IterateOptions, 'signal'> {
  if (typeof options !== 'object' || options === null) {
    throw new DexcomValidationError(`iterate needs options, e.g. dexcom.iterate('egvs', { start: new Date('2024-01-01Z'), end: new Date() })`);
  }
  const { start, end, concurrency, signal } = options as Partial<IterateOptions>;
  assertDateRange(start, end);
  assertOptionalSignal(signal);
  return { start, end: end as Date, concurrency: resolveConcurrency(concurrency), signal };
}
