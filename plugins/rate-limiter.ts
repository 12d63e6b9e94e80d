/**
 * The rate limiter: a token bucket in front of the wire, one per client. Every wire request takes
 * a token (it sits inside the retry layer, so retries pay too); requests without a token wait in
 * a bounded FIFO queue; a 429 pauses the whole bucket, so the queue does not run into the same
 * wall one request at a time (octokit/plugin-throttling.js#629).
 *
 * The bucket lives behind a {@link RateLimitStore}; the queue is local to this process.
 */
import { DexcomConfigurationError, DexcomQueueFullError, DexcomRateLimitError } from '../src/core/errors.js';
import { abortErrorOf, callSignalOf, discardBody } from './abort.js';
import type { PipelineEvents } from '../src/core/events.js';
import type { CallContext, Middleware } from '../src/core/middleware.js';
import { MAX_TIMER_MS, checkInteger, checkObject } from './option-checks.js';
import { InMemoryRateLimitStore, type RateLimitStore, type TakeResult, type TokenBucketShape } from './rate-limit-store.js';
import { retryAfterOf } from '../src/core/retry-after.js';

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
   * Where the bucket lives. Pass one store to several clients to share one quota.
   * @default a new InMemoryRateLimitStore per client
   */
  store?: RateLimitStore;
}

/** Validated {@link RateLimitOptions}. */
export interface ResolvedRateLimitOptions extends TokenBucketShape {
  readonly maxQueue: number;
  readonly coolDownMs: number;
  readonly maxCoolDownMs: number;
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
  store: null,
};

const EXAMPLE = '{ capacity: 100, refillPerInterval: 100, intervalMs: 60_000 }';

/**
 * Validates rate-limit options once, at client construction. `false` turns the limiter off
 * (returns `null`: leave the layer out of the pipeline).
 *
 * Defaults: 100 tokens, refilled at 100 per minute; up to 1,000 waiting requests; a 429 without
 * `Retry-After` pauses the bucket for 60 s, and no pause lasts longer than one hour.
 *
 * @throws DexcomConfigurationError with a correct example when an option is invalid.
 *
 * @example
 * resolveRateLimitOptions(undefined);                    // the defaults
 * resolveRateLimitOptions({ capacity: 10, maxQueue: 50 });
 * resolveRateLimitOptions(false);                        // null: no limiter
 */
export function resolveRateLimitOptions(user?: RateLimitOptions | false): ResolvedRateLimitOptions | null {
  if (user === false) return null;
  const input = checkObject(user, 'rateLimit', `${EXAMPLE} or false`);
  const d = DEFAULT_RATE_LIMIT_OPTIONS;
  const store = input.store ?? null;
  if (store !== null && (typeof store !== 'object' || typeof store.take !== 'function' || typeof store.pause !== 'function')) {
    throw new DexcomConfigurationError(
      'rateLimit.store must implement RateLimitStore (take, pause, snapshot), e.g. { store: new InMemoryRateLimitStore() }',
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
    store,
  };
}

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
  /** The pipeline layer; put it inside auth and outside the attempt timeout. */
  readonly middleware: Middleware;
  /** Queue depth and bucket state (for health checks and logs). */
  stats(): Promise<RateLimiterStats>;
}

interface Waiter {
  readonly context: CallContext;
  readonly signal: AbortSignal;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly onAbort: () => void;
  announced: boolean;
}

/** Name of the rate limiter's layer in the pipeline (see `src/client-pipeline.ts`). */
export const RATE_LIMITER_LAYER = 'rate-limiter';

/**
 * Creates the rate limiter of one client. Create it once per client (never per call, never at
 * module level) and put its `middleware` in the pipeline; `events` is the client's bus.
 *
 * - Each request takes a token; without one it joins a FIFO queue (`queued` event) of at most
 *   `maxQueue` requests, and the one at the head waits for the refill (`throttled`,
 *   reason `bucket-empty`). A request that would exceed the bound fails at once with
 *   `DexcomQueueFullError`.
 * - A waiting request leaves the queue as soon as its call's signal fires (caller abort or total
 *   deadline) and rejects with the matching typed error.
 * - A 429 response pauses and empties the bucket for `Retry-After` or `coolDownMs`
 *   (`throttled`, reason `cool-down`); waiting calls whose deadline falls inside the pause fail
 *   at once with `DexcomRateLimitError` carrying `retryAt`. The 429 itself is returned unchanged.
 *
 * @example
 * const options = resolveRateLimitOptions(userOptions.rateLimit);
 * const limiter = options ? createRateLimiter(options, events) : undefined;
 * const layers = [authLayer, ...(limiter ? [limiter.middleware] : []), attemptTimeoutLayer];
 * await limiter?.stats(); // { queueDepth: 0, tokens: 100, pausedUntil: undefined }
 */
export function createRateLimiter(options: ResolvedRateLimitOptions, events: PipelineEvents): RateLimiter {
  const store = options.store ?? new InMemoryRateLimitStore();
  const bucket: TokenBucketShape = {
    capacity: options.capacity,
    refillPerInterval: options.refillPerInterval,
    intervalMs: options.intervalMs,
  };
  // After a pause the bucket is empty, so the first token comes one refill step after it ends.
  const firstTokenAfterPauseMs = Math.ceil(options.intervalMs / options.refillPerInterval);
  const queue: Waiter[] = [];
  let pumping = false;
  let wakePump: (() => void) | undefined;
  // Latest cool-down this limiter knows of: a local hint to fail new arrivals early.
  let coolingUntil = 0;

  const remove = (waiter: Waiter): boolean => {
    const index = queue.indexOf(waiter);
    if (index < 0) return false;
    queue.splice(index, 1);
    waiter.signal.removeEventListener('abort', waiter.onAbort);
    if (queue.length === 0) wakePump?.();
    return true;
  };

  const announce = (waiter: Waiter): void => {
    if (waiter.announced) return;
    waiter.announced = true;
    const { invocationId, operationId } = waiter.context;
    events.emit('queued', { invocationId, operationId, queueDepth: queue.length });
  };

  /** Fails every waiting call whose deadline comes before the first token after the pause. */
  const failCallsPastPause = (now: number): void => {
    const earliest = coolingUntil + firstTokenAfterPauseMs;
    for (const waiter of [...queue]) {
      const { deadline } = waiter.context;
      if (deadline !== undefined && deadline <= earliest && remove(waiter)) {
        waiter.reject(pauseError(waiter.context, coolingUntil, now));
      }
    }
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        wakePump = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakePump = wake;
    });

  const onDenied = (head: Waiter, result: Extract<TakeResult, { granted: false }>, now: number): void => {
    if (result.reason === 'cool-down') {
      coolingUntil = Math.max(coolingUntil, now + result.waitMs);
      failCallsPastPause(now);
      if (queue[0] === head) announce(head);
      return;
    }
    announce(head);
    const { invocationId, operationId } = head.context;
    events.emit('throttled', { invocationId, operationId, waitMs: result.waitMs, reason: 'bucket-empty' });
  };

  // Only the pump asks the store for tokens, one at a time, always for the head of the queue:
  // that keeps the order FIFO. With a synchronous store a free token is granted before
  // `acquire` returns, so the queue only ever holds requests that really wait.
  const pump = async (): Promise<void> => {
    pumping = true;
    try {
      while (queue.length > 0) {
        const now = Date.now();
        let result: TakeResult;
        try {
          const pending = store.take(bucket, now);
          result = isThenable(pending) ? await pending : pending;
        } catch (error) {
          const head = queue[0];
          if (head && remove(head)) head.reject(error);
          continue;
        }
        // With an async store the head may have left meanwhile; the token goes to the next one.
        const head = queue[0];
        if (!head) break;
        if (result.granted) {
          remove(head);
          head.resolve();
          continue;
        }
        onDenied(head, result, now);
        if (queue.length > 0) await sleep(result.waitMs);
      }
    } catch (error) {
      // Nothing above should throw (the bus swallows listener errors, store errors are handled);
      // if something does, fail the waiters rather than strand them.
      for (const waiter of [...queue]) if (remove(waiter)) waiter.reject(error);
    } finally {
      pumping = false;
    }
  };

  const acquire = (context: CallContext, signal: AbortSignal): Promise<void> => {
    if (signal.aborted) return Promise.reject(abortErrorOf(signal, context));
    const now = Date.now();
    if (coolingUntil > now && context.deadline !== undefined && context.deadline <= coolingUntil + firstTokenAfterPauseMs) {
      return Promise.reject(pauseError(context, coolingUntil, now));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        context,
        signal,
        resolve,
        reject,
        announced: false,
        onAbort: () => {
          if (remove(waiter)) reject(abortErrorOf(signal, context));
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      queue.push(waiter);
      if (!pumping) void pump();
      if (!queue.includes(waiter)) return;
      if (queue.length > options.maxQueue) {
        remove(waiter);
        reject(queueFullError(context, options.maxQueue));
        return;
      }
      if (queue.length > 1) announce(waiter);
    });
  };

  const pauseAfter429 = async (response: Response, context: CallContext): Promise<void> => {
    const now = Date.now();
    const pauseMs = Math.min(retryAfterOf(response, now) ?? options.coolDownMs, options.maxCoolDownMs);
    if (pauseMs <= 0) return;
    try {
      await store.pause(now + pauseMs, now);
    } catch (error) {
      discardBody(response);
      throw error;
    }
    coolingUntil = Math.max(coolingUntil, now + pauseMs);
    events.emit('throttled', {
      invocationId: context.invocationId,
      operationId: context.operationId,
      waitMs: pauseMs,
      reason: 'cool-down',
    });
    failCallsPastPause(now);
  };

  const middleware: Middleware = (next) => async (request, context) => {
    await acquire(context, callSignalOf(request, context));
    const response = await next(request, context);
    if (response.status === 429) await pauseAfter429(response, context);
    return response;
  };

  const stats = async (): Promise<RateLimiterStats> => {
    const snapshot = await store.snapshot(bucket, Date.now());
    return { queueDepth: queue.length, tokens: snapshot.tokens, pausedUntil: snapshot.pausedUntil };
  };

  return { middleware, stats };
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function queueFullError(context: CallContext, maxQueue: number): DexcomQueueFullError {
  return new DexcomQueueFullError(
    `${context.method} ${context.pathTemplate} was not sent: ${maxQueue} requests already wait for a rate-limit token`,
    { maxQueue, attempts: context.attempts, operationId: context.operationId, invocationId: context.invocationId },
  );
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
