/**
 * Where the rate limiter keeps its token bucket. The limiter only talks to this interface, so a
 * store shared by several processes (Redis, PostgreSQL) replaces the in-memory one without
 * touching the plugin: every method may return a promise.
 *
 * The bucket is a GCRA (generic cell rate algorithm): one "theoretical arrival time" per bucket.
 * A caller never polls for a token: it reserves the next one and is told when its slot is, so N
 * processes sharing a store queue up in order instead of stampeding every refill step.
 */

/** Shape of a token bucket: `capacity` tokens at most, `refillPerInterval` added every `intervalMs`. */
export interface TokenBucketShape {
  readonly capacity: number;
  readonly refillPerInterval: number;
  readonly intervalMs: number;
}

/** Answer of {@link RateLimitStore.reserve}: a token is yours, at a slot `waitMs` from now. */
export interface Reservation {
  /** Milliseconds until the reserved token's slot; 0: send now. */
  readonly waitMs: number;
  /**
   * Why the slot is later than now: `cool-down` (the bucket is paused after a 429) or
   * `bucket-empty` (the rate is used up); absent when `waitMs` is 0.
   */
  readonly reason?: 'bucket-empty' | 'cool-down';
}

/** Point-in-time view of a bucket. */
export interface RateLimitSnapshot {
  /** Tokens available now (may be fractional while refilling; 0 while reservations are pending). */
  readonly tokens: number;
  /** End of the current cool-down (epoch ms on the caller's clock), when the bucket is paused. */
  readonly pausedUntil: number | undefined;
}

/**
 * Storage of one token bucket. `reserve` must be atomic: two concurrent reservations never get
 * the same slot. `now` is the caller's clock in epoch ms; a shared store uses its own clock
 * (Redis `TIME`, the database's `clock_timestamp()`) so that hosts with skewed clocks agree, and
 * answers in durations, which need no common clock.
 *
 * `src/testing/conformance/rate-limit-store.ts` is the suite every implementation passes.
 *
 * @example
 * const store: RateLimitStore = new InMemoryRateLimitStore();
 * const { waitMs } = await store.reserve({ capacity: 10, refillPerInterval: 10, intervalMs: 1_000 }, Date.now());
 * await new Promise((resolve) => setTimeout(resolve, waitMs)); // then send
 */
export interface RateLimitStore {
  /** Reserves the next token and says when its slot is. The reservation cannot be handed back. */
  reserve(bucket: TokenBucketShape, now: number): Reservation | Promise<Reservation>;
  /**
   * Pauses the bucket until `until` (epoch ms) after a 429 and empties it, so traffic resumes at
   * the refill rate instead of in a burst; a shared store applies `until - now` on its own clock.
   * Never shortens a pause already in force.
   */
  pause(bucket: TokenBucketShape, until: number, now: number): void | Promise<void>;
  /** Reads the bucket without reserving a token. */
  snapshot(bucket: TokenBucketShape, now: number): RateLimitSnapshot | Promise<RateLimitSnapshot>;
}

/**
 * The default store: one bucket in this process's memory, starting full. Create one per client
 * (the rate limiter does so when no store is given); pass the same instance to several clients
 * of one app to make them share the app's quota.
 *
 * Refill is continuous, `refillPerInterval / intervalMs` tokens per millisecond with bursts of
 * at most `capacity`: over any window of `w` ms at most `capacity + w * refillPerInterval /
 * intervalMs` slots fall inside it.
 *
 * @example
 * const store = new InMemoryRateLimitStore();
 * const a = new DexcomApiClient({ rateLimit: { store } });
 * const b = new DexcomApiClient({ rateLimit: { store } }); // shares a's bucket
 */
export class InMemoryRateLimitStore implements RateLimitStore {
  // Times are kept in units of 1/refillPerInterval ms, so one emission interval is exactly
  // `intervalMs` units and no rounding can ever hand out a slot a hair early.
  /** Theoretical arrival time of the next token, in those units; undefined: a full bucket. */
  #tat: number | undefined;
  #pausedUntil = 0;

  /** @inheritDoc */
  reserve(bucket: TokenBucketShape, now: number): Reservation {
    const unit = bucket.refillPerInterval;
    const nowUnits = now * unit;
    const tolerance = bucket.capacity * bucket.intervalMs;
    const tat = Math.max(this.#tat ?? nowUnits, nowUnits) + bucket.intervalMs;
    const slot = Math.ceil((tat - tolerance) / unit);
    if (slot <= now) {
      this.#tat = tat;
      return { waitMs: 0 };
    }
    // The slot is rounded up to a whole ms; the schedule restarts from it, so rounding never
    // lets the next slots crowd in behind (what a bucket capped at `capacity` does too).
    this.#tat = slot * unit + tolerance;
    return { waitMs: slot - now, reason: now < this.#pausedUntil ? 'cool-down' : 'bucket-empty' };
  }

  /** @inheritDoc */
  pause(bucket: TokenBucketShape, until: number, now: number): void {
    if (until <= this.#pausedUntil || until <= now) return;
    this.#pausedUntil = until;
    // Empty when the pause ends: the first slot after it is one emission interval later.
    const emptyAt = until * bucket.refillPerInterval + bucket.capacity * bucket.intervalMs;
    this.#tat = Math.max(this.#tat ?? 0, emptyAt);
  }

  /** @inheritDoc */
  snapshot(bucket: TokenBucketShape, now: number): RateLimitSnapshot {
    if (now < this.#pausedUntil) return { tokens: 0, pausedUntil: this.#pausedUntil };
    const nowUnits = now * bucket.refillPerInterval;
    const owed = Math.max(0, (this.#tat ?? nowUnits) - nowUnits) / bucket.intervalMs;
    return { tokens: Math.max(0, bucket.capacity - owed), pausedUntil: undefined };
  }
}

/**
 * The GCRA parameters of a bucket in milliseconds, for stores that compute on their own clock:
 * `emissionMs` between two tokens and `toleranceMs` of burst (`capacity` tokens).
 *
 * @example
 * gcraParameters({ capacity: 10, refillPerInterval: 100, intervalMs: 1_000 }); // { emissionMs: 10, toleranceMs: 100 }
 */
export function gcraParameters(bucket: TokenBucketShape): { emissionMs: number; toleranceMs: number } {
  const emissionMs = bucket.intervalMs / bucket.refillPerInterval;
  return { emissionMs, toleranceMs: emissionMs * bucket.capacity };
}
