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
 * A reservation this long or longer is checked against the store's pause before it is used, so a
 * 429 seen by another process stops this one within that time too (shorter ones are on the wire
 * before a check could matter).
 */
const PAUSE_CHECK_MS = 20;

/**
 * Creates the rate limiter of one client. Create it once per client (never per call, never at
 * module level) and put its `middleware` in the pipeline; `events` is the client's bus.
 *
 * - The head of the queue reserves the next token from the store and waits for its slot
 *   (`queued`, then `throttled` with reason `bucket-empty`); only the head holds a reservation,
 *   so the order is FIFO and a process never books more than one slot ahead. A request that
 *   would exceed `maxQueue` fails at once with `DexcomQueueFullError`.
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
  const queue = new RateLimitQueue(options.maxQueue, events, () => {
    if (!pumping) void pump();
  });

  /** Fails every waiting call whose deadline comes before `earliest`, the first slot it could get. */
  const failCallsBefore = (earliest: number, now: number): void => {
    queue.rejectWhere(
      ({ context }) => context.deadline !== undefined && context.deadline <= earliest,
      ({ context }) => pauseError(context, coolingUntil, now),
    );
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        queue.onceEmpty(undefined);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      queue.onceEmpty(wake);
    });

  /** Reports a wait for the head's reservation; false when the head had to leave (its deadline). */
  const onWait = (head: Waiter, reservation: Reservation, now: number): boolean => {
    if (reservation.reason === 'cool-down') {
      // Nobody behind the head gets a slot before the head's: a deadline before it cannot be met.
      coolingUntil = Math.max(coolingUntil, now + reservation.waitMs - firstTokenAfterPauseMs);
      failCallsBefore(now + reservation.waitMs, now);
      if (queue.head !== head) return false;
      queue.announceHead();
      return true;
    }
    queue.announceHead();
    const { invocationId, operationId } = head.context;
    events.emit('throttled', { invocationId, operationId, waitMs: reservation.waitMs, reason: 'bucket-empty' });
    return true;
  };

  /** Whether a pause began while a reservation waited, making its slot void. */
  const pausedSince = async (pausesBefore: number, waitMs: number): Promise<boolean> => {
    if (pauseCount !== pausesBefore) return true;
    if (waitMs < PAUSE_CHECK_MS) return false;
    // A slot reserved inside a pause lies after its end, so a pause still in force is a newer one.
    const now = Date.now();
    const pending = bucket.snapshot(now);
    const { pausedUntil } = isThenable(pending) ? await pending : pending;
    return pausedUntil !== undefined && pausedUntil > now;
  };

  // Only the pump reserves tokens, one at a time, always for the head of the queue: that keeps
  // the order FIFO. With a synchronous store a free token is granted before `acquire` returns,
  // so the queue only ever holds requests that really wait.
  const pump = async (): Promise<void> => {
    pumping = true;
    try {
      while (queue.length > 0) {
        const now = Date.now();
        const pausesBefore = pauseCount;
        const pending = bucket.reserve(now);
        const reservation = isThenable(pending) ? await pending : pending;
        // With an async store the head may have left meanwhile; the token goes to the next one.
        const head = queue.head;
        if (!head) break;
        if (reservation.waitMs > 0) {
          if (!onWait(head, reservation, now)) continue;
          await sleep(reservation.waitMs);
          if (queue.length === 0) break;
          if (await pausedSince(pausesBefore, reservation.waitMs)) continue;
        }
        queue.grantHead();
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
    try {
      await bucket.pause(now + pauseMs, now);
    } catch (error) {
      discardBody(response);
      throw error;
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
