/**
 * Keeps the limiter's bucket answering when a shared store (Redis, PostgreSQL) does not: a store
 * call that throws or takes longer than `storeTimeoutMs` switches this process to a conservative
 * local share of the rate (`1 / expectedWorkers` of it), announced by a `rate-limit-store` event;
 * every `rejoinIntervalMs` one reservation tries the shared store again and, when it answers,
 * the process rejoins it. The limiter never fails open and never fails a call because its store
 * is down.
 */
import type { PipelineEvents } from '../src/core/events.js';
import { InMemoryRateLimitStore, type RateLimitSnapshot, type RateLimitStore, type Reservation, type TokenBucketShape } from './rate-limit-store.js';

/** How the limiter behaves when its store is unreachable. */
export interface FallbackSettings {
  /** Processes expected to share the store; each takes `1 / expectedWorkers` of the rate alone. */
  readonly expectedWorkers: number;
  /** A store call slower than this (ms) counts as a failure. */
  readonly storeTimeoutMs: number;
  /** While on the local share, how often (ms) a reservation tries the shared store again. */
  readonly rejoinIntervalMs: number;
}

/**
 * The bucket a limiter reserves from: its store, with the local fallback in front.
 *
 * @example
 * const bucket = new FallbackBucket(store, shape, { expectedWorkers: 8, storeTimeoutMs: 1_000, rejoinIntervalMs: 1_000 }, events);
 * const { waitMs } = await bucket.reserve(Date.now());
 */
export class FallbackBucket {
  readonly #store: RateLimitStore;
  readonly #shape: TokenBucketShape;
  readonly #localShape: TokenBucketShape;
  readonly #local = new InMemoryRateLimitStore();
  readonly #settings: FallbackSettings;
  readonly #events: PipelineEvents;
  #fallback = false;
  #nextProbeAt = 0;
  /** Latest pause this process learnt of, so a store that comes back can be told about it. */
  #pausedUntil = 0;

  constructor(store: RateLimitStore, shape: TokenBucketShape, settings: FallbackSettings, events: PipelineEvents) {
    this.#store = store;
    this.#shape = shape;
    this.#settings = settings;
    this.#events = events;
    const workers = settings.expectedWorkers;
    // Same rate divided by the fleet size: `workers` times the interval, a share of the burst.
    this.#localShape = {
      capacity: Math.max(1, Math.floor(shape.capacity / workers)),
      refillPerInterval: shape.refillPerInterval,
      intervalMs: shape.intervalMs * workers,
    };
  }

  /** True while this process runs on its local share. */
  get inFallback(): boolean {
    return this.#fallback;
  }

  /** Reserves a token from the store, or from the local share while the store is unreachable. */
  reserve(now: number): Reservation | Promise<Reservation> {
    if (this.#fallback) {
      if (now < this.#nextProbeAt) return this.#local.reserve(this.#localShape, now);
      this.#nextProbeAt = now + this.#settings.rejoinIntervalMs;
      return this.#guard(() => this.#probe(now)).then(
        (reservation) => {
          this.#rejoin();
          return reservation;
        },
        () => this.#local.reserve(this.#localShape, Date.now()),
      );
    }
    let pending: Reservation | Promise<Reservation>;
    try {
      pending = this.#store.reserve(this.#shape, now);
    } catch (error) {
      return this.#fallBack(error, now);
    }
    if (!isThenable(pending)) return pending;
    return this.#guard(() => pending).catch((error: unknown) => this.#fallBack(error, Date.now()));
  }

  /** Pauses the store's bucket (and the local share) until `until`; never throws for a store failure. */
  async pause(until: number, now: number): Promise<void> {
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
    this.#local.pause(this.#localShape, until, now);
    try {
      await this.#guard(() => this.#store.pause(this.#shape, until, now));
    } catch (error) {
      // The pause holds locally; the store hears of it when this process rejoins.
      this.#enterFallback(error, now);
    }
  }

  /** Reads the bucket the limiter currently uses. */
  snapshot(now: number): RateLimitSnapshot | Promise<RateLimitSnapshot> {
    if (this.#fallback) return this.#local.snapshot(this.#localShape, now);
    try {
      const pending = this.#store.snapshot(this.#shape, now);
      if (!isThenable(pending)) return pending;
      return this.#guard(() => pending).catch(() => this.#local.snapshot(this.#localShape, now));
    } catch {
      return this.#local.snapshot(this.#localShape, now);
    }
  }

  #fallBack(error: unknown, now: number): Reservation {
    this.#enterFallback(error, now);
    return this.#local.reserve(this.#localShape, now);
  }

  #enterFallback(error: unknown, now: number): void {
    if (this.#fallback) return;
    this.#fallback = true;
    this.#nextProbeAt = now + this.#settings.rejoinIntervalMs;
    // The error's class name only: driver messages may carry host names or credentials.
    this.#events.emit('rate-limit-store', { state: 'fallback', error: errorName(error) });
  }

  /** One reservation from the store after an outage; a 429 seen meanwhile reaches the store first. */
  async #probe(now: number): Promise<Reservation> {
    if (this.#pausedUntil > now) await this.#store.pause(this.#shape, this.#pausedUntil, now);
    return this.#store.reserve(this.#shape, now);
  }

  #rejoin(): void {
    if (!this.#fallback) return;
    this.#fallback = false;
    this.#events.emit('rate-limit-store', { state: 'shared' });
  }

  /** Runs one store call, failing it after `storeTimeoutMs` (its late answer is ignored). */
  #guard<T>(call: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the rate-limit store did not answer within ${this.#settings.storeTimeoutMs} ms`)),
        this.#settings.storeTimeoutMs,
      );
      Promise.resolve()
        .then(call)
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function errorName(error: unknown): string {
  const name = error instanceof Error ? error.constructor.name || error.name : typeof error;
  return /^[A-Za-z0-9_]{1,64}$/.test(name) ? name : 'Error';
}
