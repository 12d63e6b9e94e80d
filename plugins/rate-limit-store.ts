/**
 * Where the rate limiter keeps its token bucket. The limiter only talks to this interface, so a
 * store shared by several processes (Redis with a Lua script, say) can replace the in-memory one
 * without touching the plugin: every method may return a promise.
 */

/** Shape of a token bucket: `capacity` tokens at most, `refillPerInterval` added every `intervalMs`. */
export interface TokenBucketShape {
  readonly capacity: number;
  readonly refillPerInterval: number;
  readonly intervalMs: number;
}

/** Answer of {@link RateLimitStore.take}. */
export type TakeResult =
  | { readonly granted: true }
  | {
      readonly granted: false;
      /** Milliseconds until a token may be available (at least 1). */
      readonly waitMs: number;
      /** `cool-down`: the bucket is paused after a 429; `bucket-empty`: the rate is used up. */
      readonly reason: 'bucket-empty' | 'cool-down';
    };

/** Point-in-time view of a bucket. */
export interface RateLimitSnapshot {
  /** Tokens available now (may be fractional while refilling). */
  readonly tokens: number;
  /** End of the current cool-down (epoch ms), when the bucket is paused. */
  readonly pausedUntil: number | undefined;
}

/**
 * Storage of one token bucket. Implementations must make `take` atomic: two concurrent takes
 * never get the same token. `now` is the caller's clock in epoch ms; a shared store may prefer
 * its own clock (e.g. Redis `TIME`) so that hosts with skewed clocks agree.
 *
 * @example
 * class RedisRateLimitStore implements RateLimitStore {
 *   constructor(private readonly redis: Redis, private readonly key: string) {}
 *   take(bucket: TokenBucketShape) { return this.redis.evalsha(TAKE_SHA, 1, this.key, ...) }
 *   pause(until: number) { ... }
 *   snapshot(bucket: TokenBucketShape) { ... }
 * }
 */
export interface RateLimitStore {
  /** Takes one token if there is one; otherwise says how long to wait and why. */
  take(bucket: TokenBucketShape, now: number): TakeResult | Promise<TakeResult>;
  /**
   * Pauses the bucket until `until` (epoch ms) after a 429 and empties it, so traffic resumes at
   * the refill rate instead of in a burst. Never shortens a pause already in force.
   */
  pause(until: number, now: number): void | Promise<void>;
  /** Reads the bucket without taking a token. */
  snapshot(bucket: TokenBucketShape, now: number): RateLimitSnapshot | Promise<RateLimitSnapshot>;
}

/**
 * The default store: one bucket in this process's memory, starting full. Create one per client
 * (the rate limiter does so when no store is given); pass the same instance to several clients
 * of one app to make them share the app's quota.
 *
 * Refill is continuous: `refillPerInterval / intervalMs` tokens per millisecond, capped at
 * `capacity`, so over any window of `w` ms at most `capacity + w * refillPerInterval / intervalMs`
 * tokens are granted.
 *
 * @example
 * const store = new InMemoryRateLimitStore();
 * const a = new DexcomApiClient({ rateLimit: { store } });
 * const b = new DexcomApiClient({ rateLimit: { store } }); // shares a's bucket
 */
export class InMemoryRateLimitStore implements RateLimitStore {
  // Credit is counted in 1/intervalMs of a token, so refills of whole milliseconds stay integers
  // and rounding can never grant a token a hair early.
  #credit: number | undefined;
  #updatedAt = 0;
  #pausedUntil = 0;

  /** @inheritDoc */
  take(bucket: TokenBucketShape, now: number): TakeResult {
    if (now < this.#pausedUntil) return { granted: false, waitMs: this.#pausedUntil - now, reason: 'cool-down' };
    const credit = this.#refill(bucket, now);
    if (credit >= bucket.intervalMs) {
      this.#credit = credit - bucket.intervalMs;
      return { granted: true };
    }
    const waitMs = Math.max(1, Math.ceil((bucket.intervalMs - credit) / bucket.refillPerInterval));
    return { granted: false, waitMs, reason: 'bucket-empty' };
  }

  /** @inheritDoc */
  pause(until: number, now: number): void {
    if (until <= this.#pausedUntil || until <= now) return;
    this.#pausedUntil = until;
    // Refill restarts from empty when the pause ends, not with a burst of everything accrued.
    this.#credit = 0;
    this.#updatedAt = until;
  }

  /** @inheritDoc */
  snapshot(bucket: TokenBucketShape, now: number): RateLimitSnapshot {
    if (now < this.#pausedUntil) return { tokens: 0, pausedUntil: this.#pausedUntil };
    return { tokens: this.#refill(bucket, now) / bucket.intervalMs, pausedUntil: undefined };
  }

  /** Brings the bucket up to `now` (a full bucket on first use) and returns its credit. */
  #refill(bucket: TokenBucketShape, now: number): number {
    const full = bucket.capacity * bucket.intervalMs;
    if (this.#credit === undefined) {
      this.#credit = full;
      this.#updatedAt = now;
    }
    if (now > this.#updatedAt) {
      this.#credit = Math.min(full, this.#credit + (now - this.#updatedAt) * bucket.refillPerInterval);
      this.#updatedAt = now;
    }
    return this.#credit;
  }
}
