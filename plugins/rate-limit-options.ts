/**
 * Options of the rate limiter and their one-time validation.
 */
import { DexcomConfigurationError } from '../src/core/errors.js';
import { MAX_TIMER_MS, checkInteger, checkObject } from './option-checks.js';
import type { RateLimitStore, TokenBucketShape } from './rate-limit-store.js';

/**
 * Rate-limit settings of a client (`new DexcomApiClient({ rateLimit })`).
 *
 * Dexcom allows 60,000 calls per app per hour and answers 429 beyond that; the default here is
 * far lower (100 a minute) so one client never burns the app's quota on its own. A whole app can
 * go up to `{ capacity: 1_000, refillPerInterval: 60_000, intervalMs: 3_600_000 }` with every
 * client sharing one store.
 *
 * @example
 * new DexcomApiClient({ rateLimit: { capacity: 20, refillPerInterval: 300, intervalMs: 60_000 } });
 */
export interface RateLimitOptions {
  /**
   * Most tokens the bucket holds: the largest burst sent at once.
   * @default 100
   */
  capacity?: number;
  /**
   * Tokens added per `intervalMs`, spread evenly over the interval.
   * @default 100
   */
  refillPerInterval?: number;
  /**
   * Length of the refill interval, in ms.
   * @default 60_000
   */
  intervalMs?: number;
  /**
   * Most requests allowed to wait for a token; one more fails at once with `DexcomQueueFullError`.
   * With an asynchronous store, a request whose token is being fetched counts as waiting.
   * @default 1_000
   */
  maxQueue?: number;
  /**
   * How long a 429 without `Retry-After` pauses the bucket, in ms (Dexcom sends none).
   * @default 60_000
   */
  coolDownMs?: number;
  /**
   * Longest pause a `Retry-After` may impose, in ms, so a broken header cannot freeze the client
   * (Dexcom's quota window is one hour).
   * @default 3_600_000
   */
  maxCoolDownMs?: number;
  /**
   * Where the bucket lives. Pass one store to several clients to share one quota; a
   * `RedisRateLimitStore` or `PostgresRateLimitStore` shares it across processes.
   * @default a new InMemoryRateLimitStore per client
   */
  store?: RateLimitStore;
  /**
   * Processes sharing `store`. While the store is unreachable each process falls back to
   * `1 / expectedWorkers` of the rate on its own, so the fleet stays under the quota; size it to
   * the most processes you run at once.
   * @default 1
   */
  expectedWorkers?: number;
  /**
   * A store call slower than this (ms) counts as the store being unreachable.
   * @default 1_000
   */
  storeTimeoutMs?: number;
  /**
   * While on the local share, how often (ms) the limiter tries the store again to rejoin it.
   * @default 1_000
   */
  rejoinIntervalMs?: number;
}

/** Validated {@link RateLimitOptions}. */
export interface ResolvedRateLimitOptions extends TokenBucketShape {
  readonly maxQueue: number;
  readonly coolDownMs: number;
  readonly maxCoolDownMs: number;
  readonly expectedWorkers: number;
  readonly storeTimeoutMs: number;
  readonly rejoinIntervalMs: number;
  /** `null`: the limiter creates its own in-memory store. */
  readonly store: RateLimitStore | null;
}

/** Defaults applied by {@link resolveRateLimitOptions}. */
export const DEFAULT_RATE_LIMIT_OPTIONS: ResolvedRateLimitOptions = {
  capacity: 100,
  refillPerInterval: 100,
  intervalMs: 60_000,
  maxQueue: 1_000,
  coolDownMs: 60_000,
  maxCoolDownMs: 3_600_000,
  expectedWorkers: 1,
  storeTimeoutMs: 1_000,
  rejoinIntervalMs: 1_000,
  store: null,
};

const EXAMPLE = '{ capacity: 100, refillPerInterval: 100, intervalMs: 60_000 }';

/**
 * Validates rate-limit options once, at client construction. `false` turns the limiter off
 * (returns `null`: leave the layer out of the pipeline).
 *
 * Defaults: 100 tokens, refilled at 100 per minute; up to 1,000 waiting requests; a 429 without
 * `Retry-After` pauses the bucket for 60 s, and no pause lasts longer than one hour; a store that
 * does not answer within 1 s is replaced by the local share (the whole rate, with one expected
 * worker) and tried again every second.
 *
 * @throws DexcomConfigurationError with a correct example when an option is invalid.
 *
 * @example
 * resolveRateLimitOptions(undefined);                    // the defaults
 * resolveRateLimitOptions({ capacity: 10, maxQueue: 50 });
 * resolveRateLimitOptions({ store: new RedisRateLimitStore({ url, key: 'app' }), expectedWorkers: 8 });
 * resolveRateLimitOptions(false);                        // null: no limiter
 */
export function resolveRateLimitOptions(user?: RateLimitOptions | false): ResolvedRateLimitOptions | null {
  if (user === false) return null;
  const input = checkObject(user, 'rateLimit', `${EXAMPLE} or false`);
  const d = DEFAULT_RATE_LIMIT_OPTIONS;
  const store = input.store ?? null;
  if (store !== null && (typeof store !== 'object' || typeof store.reserve !== 'function' || typeof store.pause !== 'function' || typeof store.snapshot !== 'function')) {
    throw new DexcomConfigurationError(
      'rateLimit.store must implement RateLimitStore (reserve, pause, snapshot), e.g. { store: new InMemoryRateLimitStore() }',
    );
  }
  const int = (value: number | undefined, name: string, min: number, max: number, example = EXAMPLE): number =>
    checkInteger(value, `rateLimit.${name}`, min, max, example);
  const maxCoolDownMs = int(input.maxCoolDownMs ?? d.maxCoolDownMs, 'maxCoolDownMs', 1, MAX_TIMER_MS, '{ maxCoolDownMs: 3_600_000 }');
  return {
    capacity: int(input.capacity ?? d.capacity, 'capacity', 1, 1_000_000),
    refillPerInterval: int(input.refillPerInterval ?? d.refillPerInterval, 'refillPerInterval', 1, 1_000_000),
    intervalMs: int(input.intervalMs ?? d.intervalMs, 'intervalMs', 1, MAX_TIMER_MS),
    maxQueue: int(input.maxQueue ?? d.maxQueue, 'maxQueue', 1, 1_000_000, '{ maxQueue: 1_000 }'),
    coolDownMs: int(input.coolDownMs ?? Math.min(d.coolDownMs, maxCoolDownMs), 'coolDownMs', 1, maxCoolDownMs, '{ coolDownMs: 60_000 }'),
    maxCoolDownMs,
    expectedWorkers: int(input.expectedWorkers ?? d.expectedWorkers, 'expectedWorkers', 1, 10_000, '{ store, expectedWorkers: 8 }'),
    storeTimeoutMs: int(input.storeTimeoutMs ?? d.storeTimeoutMs, 'storeTimeoutMs', 1, 60_000, '{ storeTimeoutMs: 1_000 }'),
    rejoinIntervalMs: int(input.rejoinIntervalMs ?? d.rejoinIntervalMs, 'rejoinIntervalMs', 1, 3_600_000, '{ rejoinIntervalMs: 1_000 }'),
    store,
  };
}

