/**
 * The rate limiter: a token bucket in front of the wire, one per client. Every wire request takes
 * a token, so retries pay too (where it sits among the layers: src/client-pipeline.ts). Requests
 * without a token wait in a bounded FIFO queue ({@link RateLimitQueue}); a 429 pauses and empties
 * the whole bucket, so the queue does not run into the same wall one request at a time
 * (octokit/plugin-throttling.js#629).
 *
 * The bucket lives behind a {@link RateLimitStore}, reached through {@link FallbackBucket} (the
 * local share while a shared store is down); the queue is local to this process.
 */
import { DexcomRateLimitError } from '../src/core/errors.js';
import type { PipelineEvents } from '../src/core/events.js';
import type { CallContext, Middleware } from '../src/core/middleware.js';
import { retryAfterOf } from '../src/core/retry-after.js';
import { callSignalOf, discardBody } from './abort.js';
import { FallbackBucket } from './rate-limit-fallback.js';
import type { ResolvedRateLimitOptions } from './rate-limit-options.js';
import { RateLimitQueue, type Waiter } from './rate-limit-queue.js';
import { InMemoryRateLimitStore, type Reservation } from './rate-limit-store.js';

export { DEFAULT_RATE_LIMIT_OPTIONS, resolveRateLimitOptions, type RateLimitOptions, type ResolvedRateLimitOptions } from './rate-limit-options.js';

/** What the limiter reports about itself. */
export interface RateLimiterStats {
  /** Requests waiting for a token. */
  readonly queueDepth: number;
  /** Tokens available now. */
  readonly tokens: number;
  /** End of the current 429 cool-down (epoch ms), if the bucket is paused. */
  readonly pausedUntil: number | undefined;
}

/** A rate limiter owned by one client; see {@link createRateLimiter}. */
export interface RateLimiter {
  /** The pipeline layer. */
  readonly middleware: Middleware;
  /** Queue depth and bucket state (for health checks and logs). */
  stats(): Promise<RateLimiterStats>;
}

/**
 * A reservation held this long or longer is checked against the store's pause before it is used,
 * so a 429 seen by another process stops this one within that time too (shorter ones are on the
 * wire before a check could matter).
 */
const PAUSE_CHECK_MS = 20;

/** Reservations a limiter holds at once on a shared store (one per waiting request at most). */
const SHARED_STORE_LOOKAHEAD = 4;

/** A reserved slot waiting for its time. */
interface Booking {
  readonly reservedAt: number;
  /** The limiter's pause count when it was reserved. */
  readonly pausesBefore: number;
  timer: ReturnType<typeof setTimeout>;
}

/** Name of the rate limiter's layer in the pipeline (see `src/client-pipeline.ts`). */
export const RATE_LIMITER_LAYER = 'rate-limiter';

/**
 * Creates the rate limiter of one client. Create it once per client (never per call, never at
 * module level) and put its `middleware` in the pipeline; `events` is the client's bus.
 *
 * - A request without a token joins the queue (`queued`); the limiter reserves the next slot
 *   from the store (`throttled`, reason `bucket-empty`) and hands each due slot to the head of
 *   the queue, so the order is FIFO. It holds one reservation at a time on the in-memory store
 *   and up to four on a shared one (never more than requests waiting). A request that would
 *   exceed `maxQueue` fails at once with `DexcomQueueFullError`.
 * - A waiting request leaves the queue as soon as its call's signal fires (caller abort or total
 *   deadline) and rejects with the matching typed error.
 * - A 429 response pauses and empties the bucket for `Retry-After` or `coolDownMs`
 *   (`throttled`, reason `cool-down`), for every process when the store is shared; waiting calls
 *   whose deadline falls inside the pause fail at once with `DexcomRateLimitError` carrying
 *   `retryAt`. The 429 itself is returned unchanged.
 *
 * @example
 * const options = resolveRateLimitOptions(userOptions.rateLimit);
 * const limiter = options ? createRateLimiter(options, events) : undefined;
 * await limiter?.stats(); // { queueDepth: 0, tokens: 100, pausedUntil: undefined }
 */
export function createRateLimiter(options: ResolvedRateLimitOptions, events: PipelineEvents): RateLimiter {
  const shape = { capacity: options.capacity, refillPerInterval: options.refillPerInterval, intervalMs: options.intervalMs };
  const bucket = new FallbackBucket(options.store ?? new InMemoryRateLimitStore(), shape, options, events);
  // After a pause the bucket is empty, so the first token comes one refill step after it ends.
  const firstTokenAfterPauseMs = Math.ceil(options.intervalMs / options.refillPerInterval);
  let pumping = false;
  // Latest cool-down this limiter knows of: a local hint to fail new arrivals early, and to void
  // a reservation made before it.
  let coolingUntil = 0;
  let pauseCount = 0;
  // The store call recording the latest 429 pause: the pump waits for it before reserving again,
  // so its next reservation cannot overtake the pause on the way to a shared store.
  let pausing: Promise<void> | undefined;
  // Reserved slots not yet used, earliest first; each grants the head of the queue when due.
  // One at a time with the in-memory store (exactly a token bucket); a few with a shared store,
  // so its round trips overlap the waits instead of adding to them.
  const bookings: Booking[] = [];
  const lookahead = options.store === null || options.store instanceof InMemoryRateLimitStore ? 1 : SHARED_STORE_LOOKAHEAD;
  const queue = new RateLimitQueue(
    options.maxQueue,
    events,
    () => {
      if (!pumping) void pump();
    },
    // A slot nobody waits for any more is dropped (the latest first).
    () => {
      while (bookings.length > queue.length) clearTimeout(bookings.pop()!.timer);
    },
  );

  /** Fails every waiting call whose deadline comes before `earliest`, the first slot it could get. */
  const failCallsBefore = (earliest: number, now: number): void => {
    queue.rejectWhere(
      ({ context }) => context.deadline !== undefined && context.deadline <= earliest,
      ({ context }) => pauseError(context, coolingUntil, now),
    );
  };

  /** Reports a wait for a reservation that will serve `waiter`; false when it had to leave (its deadline). */
  const onWait = (waiter: Waiter, reservation: Reservation, now: number, first: boolean): boolean => {
    if (reservation.reason === 'cool-down') {
      if (first) {
        // Nobody gets a slot before the first one after the pause: a deadline before it cannot be met.
        coolingUntil = Math.max(coolingUntil, now + reservation.waitMs - firstTokenAfterPauseMs);
        failCallsBefore(now + reservation.waitMs, now);
      }
      if (queue.at(bookings.length) !== waiter) return false;
      queue.announce(waiter);
      return true;
    }
    queue.announce(waiter);
    const { invocationId, operationId } = waiter.context;
    events.emit('throttled', { invocationId, operationId, waitMs: reservation.waitMs, reason: 'bucket-empty' });
    return true;
  };

  /** Whether a pause began while a reservation waited, making its slot void. */
  const pausedSince = async (booking: Booking): Promise<boolean> => {
    if (pauseCount !== booking.pausesBefore) return true;
    // Time really waited, not the planned wait: a busy event loop can make a short wait long.
    const now = Date.now();
    if (now - booking.reservedAt < PAUSE_CHECK_MS) return false;
    // A slot reserved inside a pause lies after its end, so a pause still in force is a newer one.
    const pending = bucket.snapshot(now);
    const { pausedUntil } = isThenable(pending) ? await pending : pending;
    return pausedUntil !== undefined && pausedUntil > now;
  };

  /** A booked slot is due: it grants the head of the queue, unless a pause made it void. */
  const onSlot = async (booking: Booking): Promise<void> => {
    const index = bookings.indexOf(booking);
    if (index < 0) return;
    bookings.splice(index, 1);
    try {
      if (queue.length > 0 && !(await pausedSince(booking))) queue.grantHead();
    } finally {
      if (!pumping) void pump();
    }
  };

  // Only the pump reserves tokens, one call at a time, and every token goes to the head of the
  // queue: that keeps the order FIFO. With a synchronous store a free token is granted before
  // `acquire` returns, so the queue only ever holds requests that really wait.
  const pump = async (): Promise<void> => {
    pumping = true;
    try {
      while (bookings.length < Math.min(lookahead, queue.length)) {
        if (pausing) await pausing.catch(() => {});
        const now = Date.now();
        const pausesBefore = pauseCount;
        const pending = bucket.reserve(now);
        const reservation = isThenable(pending) ? await pending : pending;
        // With an async store a waiter may have left meanwhile; then the slot goes unused.
        const waiter = queue.at(bookings.length);
        if (!waiter) break;
        if (reservation.waitMs <= 0) {
          queue.grantHead();
          continue;
        }
        if (!onWait(waiter, reservation, now, bookings.length === 0)) continue;
        const booking: Booking = { reservedAt: now, pausesBefore, timer: undefined as unknown as ReturnType<typeof setTimeout> };
        booking.timer = setTimeout(() => void onSlot(booking), reservation.waitMs);
        bookings.push(booking);
      }
    } catch (error) {
      // Nothing above should throw (the bus swallows listener errors, the bucket falls back on
      // store errors); if something does, fail the waiters rather than strand them.
      queue.rejectWhere(() => true, () => error);
    } finally {
      pumping = false;
    }
  };

  const acquire = (context: CallContext, signal: AbortSignal): Promise<void> => {
    const now = Date.now();
    if (coolingUntil > now && context.deadline !== undefined && context.deadline <= coolingUntil + firstTokenAfterPauseMs) {
      return Promise.reject(pauseError(context, coolingUntil, now));
    }
    return queue.enter(context, signal);
  };

  const pauseAfter429 = async (response: Response, context: CallContext): Promise<void> => {
    const now = Date.now();
    const pauseMs = Math.min(retryAfterOf(response, now) ?? options.coolDownMs, options.maxCoolDownMs);
    if (pauseMs <= 0) return;
    coolingUntil = Math.max(coolingUntil, now + pauseMs);
    pauseCount += 1;
    const recorded = bucket.pause(now + pauseMs, now);
    pausing = recorded;
    try {
      await recorded;
    } catch (error) {
      discardBody(response);
      throw error;
    } finally {
      if (pausing === recorded) pausing = undefined;
    }
    events.emit('throttled', {
      invocationId: context.invocationId,
      operationId: context.operationId,
      waitMs: pauseMs,
      reason: 'cool-down',
    });
    failCallsBefore(coolingUntil + firstTokenAfterPauseMs, now);
  };

  const middleware: Middleware = (next) => async (request, context) => {
    await acquire(context, callSignalOf(request, context));
    const response = await next(request, context);
    if (response.status === 429) await pauseAfter429(response, context);
    return response;
  };

  const stats = async (): Promise<RateLimiterStats> => {
    const snapshot = await bucket.snapshot(Date.now());
    return { queueDepth: queue.length, tokens: snapshot.tokens, pausedUntil: snapshot.pausedUntil };
  };

  return { middleware, stats };
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function pauseError(context: CallContext, pausedUntil: number, now: number): DexcomRateLimitError {
  const retryAt = new Date(pausedUntil);
  return new DexcomRateLimitError(
    `${context.method} ${context.pathTemplate} was not sent: the rate limit is cooling down after a 429 until ` +
      `${retryAt.toISOString()}, past this call's deadline`,
    {
      retryAt,
      retryAfterMs: Math.max(0, pausedUntil - now),
      attempts: context.attempts,
      operationId: context.operationId,
      invocationId: context.invocationId,
    },
  );
}
