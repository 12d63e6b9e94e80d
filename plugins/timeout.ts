/**
 * Two timeouts, told apart in the error they throw:
 * - the total deadline bounds the whole call, retries and waits included (`DexcomTimeoutError`,
 *   scope `total`, never retried), and owns the link to the caller's `AbortSignal`;
 * - the attempt timeout bounds one wire attempt until its response is returned (scope `attempt`,
 *   retryable).
 * A caller's abort is always a `DexcomAbortError`, whatever its reason.
 *
 * Plain `AbortController` + `setTimeout` instead of cockatiel's `timeout()` (3.2.1). With
 * `abortOnReturn: false` and the aggressive strategy it would bound an attempt the same way, but it
 * aborts its signals without a reason: `ctrl.abort()` when the timer fires and again when it
 * follows the parent signal. The transport throws the reason of the signal that fired, so here the
 * reason is the typed error itself (`DexcomTimeoutError` scope `attempt`, or whatever the caller or
 * the total deadline aborted with); with cockatiel every expiry and every caller abort would reach
 * the transport as the same bare `AbortError` and a `TaskCancelledError`, to be told apart again
 * after the fact. Per attempt it would also add an event wrapper, a timeout emitter listener, a
 * second promise for the race and a result wrapper on top of the one controller and timer used here.
 */
import { DexcomConfigurationError, DexcomTimeoutError } from '../src/core/errors.js';
import { abortErrorOf, callSignalOf, linkedController, raceAbort } from './abort.js';
import type { CallContext, Middleware } from '../src/core/middleware.js';
import { MAX_TIMER_MS, checkInteger, checkObject } from './option-checks.js';

/**
 * Timeout settings of a client (`new DexcomApiClient({ timeout })`).
 *
 * @example
 * new DexcomApiClient({ timeout: { attemptMs: 10_000, totalMs: 60_000 } });
 */
export interface TimeoutOptions {
  /**
   * Longest time one wire attempt may take to return its response, in ms; `false` for none.
   * Whatever reads the body after that is bounded by `totalMs` only.
   * @default 30_000
   */
  attemptMs?: number | false;
  /**
   * Longest time for the whole call (every attempt, backoff sleep, queue wait and the body), in ms;
   * `false` for none. Retry never sleeps past it.
   * @default 120_000
   */
  totalMs?: number | false;
}

/** Validated {@link TimeoutOptions}; `null` means "no limit". */
export interface ResolvedTimeoutOptions {
  readonly attemptMs: number | null;
  readonly totalMs: number | null;
}

/** Defaults applied by {@link resolveTimeoutOptions}. */
export const DEFAULT_TIMEOUT_OPTIONS: ResolvedTimeoutOptions = { attemptMs: 30_000, totalMs: 120_000 };

const EXAMPLE = '{ attemptMs: 30_000, totalMs: 120_000 }';

/** Name of the {@link totalDeadline} layer in the pipeline (see `src/client-pipeline.ts`). */
export const TOTAL_DEADLINE_LAYER = 'total-deadline';

/** Name of the {@link attemptTimeout} layer in the pipeline (see `src/client-pipeline.ts`). */
export const ATTEMPT_TIMEOUT_LAYER = 'attempt-timeout';

/**
 * Validates timeout options once, at client construction. `false` turns both limits off; the
 * layers stay in the pipeline anyway, because the total-deadline layer is also the one that links
 * the caller's `AbortSignal` and tells an abort from a timeout.
 *
 * Defaults: `attemptMs` 30 s (or `totalMs` when that is shorter), `totalMs` 120 s.
 *
 * @throws DexcomConfigurationError when a limit is not a positive integer (at most 2^31-1 ms, the
 * largest `setTimeout` delay) or when an explicit `attemptMs` exceeds `totalMs`.
 *
 * @example
 * resolveTimeoutOptions(undefined);              // { attemptMs: 30_000, totalMs: 120_000 }
 * resolveTimeoutOptions({ attemptMs: false });   // { attemptMs: null, totalMs: 120_000 }
 * resolveTimeoutOptions(false);                  // { attemptMs: null, totalMs: null }
 */
export function resolveTimeoutOptions(user?: TimeoutOptions | false): ResolvedTimeoutOptions {
  if (user === false) return { attemptMs: null, totalMs: null };
  const input = checkObject(user, 'timeout', `${EXAMPLE} or false`);
  const totalMs = resolveLimit(input.totalMs, 'totalMs', DEFAULT_TIMEOUT_OPTIONS.totalMs);
  // A short totalMs alone shortens the default attempt limit rather than failing validation.
  const defaultAttemptMs = Math.min(DEFAULT_TIMEOUT_OPTIONS.attemptMs ?? Infinity, totalMs ?? Infinity);
  const attemptMs = resolveLimit(input.attemptMs, 'attemptMs', defaultAttemptMs);
  if (attemptMs !== null && totalMs !== null && attemptMs > totalMs) {
    throw new DexcomConfigurationError(
      `timeout.attemptMs (${attemptMs}) must not exceed timeout.totalMs (${totalMs}), e.g. ${EXAMPLE}`,
    );
  }
  return { attemptMs, totalMs };
}

function resolveLimit(value: number | false | undefined, name: string, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (value === false) return null;
  return checkInteger(value, `timeout.${name}`, 1, MAX_TIMER_MS, EXAMPLE);
}

/**
 * The total-deadline layer ({@link TOTAL_DEADLINE_LAYER}). It links the
 * caller's signal (`request.signal`) with a deadline timer and publishes both on the context
 * (`context.signal`, `context.deadline`): the inner layers wait on `context.signal` and the
 * transport aborts the wire request with it, so the request itself is passed on unchanged (building
 * a new `Request` just to carry a signal cost more than any other part of this layer). Whatever the
 * inner layers throw once that signal has fired is replaced by `DexcomAbortError` (caller) or
 * `DexcomTimeoutError` scope `total` (deadline).
 *
 * The timer is cleared once the call settles: the SDK's transport reads the whole body before it
 * returns, so by then the body is in memory, and a timer left armed would hold the call's state
 * for the rest of `totalMs` on every call.
 *
 * @example
 * const layer = totalDeadline(resolveTimeoutOptions({ totalMs: 60_000 }));
 */
export function totalDeadline(options: ResolvedTimeoutOptions): Middleware {
  const { totalMs } = options;
  return (next) => async (request, context) => {
    let signal = request.signal;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let unlink = (): void => {};
    if (totalMs !== null && !signal.aborted) {
      const linked = linkedController(request.signal);
      const deadline = linked.controller;
      signal = deadline.signal;
      unlink = linked.unlink;
      context.deadline = Date.now() + totalMs;
      timer = setTimeout(() => deadline.abort(timeoutError(context, 'total', totalMs)), totalMs);
      timer.unref?.();
    }
    context.signal = signal;
    if (signal.aborted) throw abortErrorOf(signal, context);
    try {
      return await raceAbort(next(request, context), signal, context);
    } catch (error) {
      throw signal.aborted ? abortErrorOf(signal, context) : error;
    } finally {
      clearTimeout(timer);
      unlink();
    }
  };
}

/**
 * The attempt-timeout layer ({@link ATTEMPT_TIMEOUT_LAYER}). Each attempt gets its own timer and
 * signal, linked with the call's signal and published as `context.attemptSignal` for the transport
 * (the request is passed on unchanged); the timer stops once the inner layer returns a response, so a
 * body read after that is never cut off by it (the SDK's transport buffers the body before it
 * returns, so there the limit covers the body as well). Throws `DexcomTimeoutError` scope `attempt` (which the
 * retry layer may retry); a caller abort or the total deadline keep their own error.
 *
 * With `attemptMs: null` the layer passes requests through untouched.
 *
 * @example
 * const layer = attemptTimeout(resolveTimeoutOptions({ attemptMs: 10_000 }));
 */
export function attemptTimeout(options: ResolvedTimeoutOptions): Middleware {
  const { attemptMs } = options;
  return (next) => {
    if (attemptMs === null) return next;
    return async (request, context) => {
      const { controller: expiry, unlink } = linkedController(callSignalOf(request, context));
      const signal = expiry.signal;
      if (signal.aborted) throw abortErrorOf(signal, context);
      const timer = setTimeout(() => expiry.abort(timeoutError(context, 'attempt', attemptMs)), attemptMs);
      // The transport aborts the wire request with this signal (see CallContext.attemptSignal).
      context.attemptSignal = signal;
      try {
        return await raceAbort(next(request, context), signal, context);
      } catch (error) {
        throw signal.aborted ? abortErrorOf(signal, context) : error;
      } finally {
        clearTimeout(timer);
        unlink();
        if (context.attemptSignal === signal) context.attemptSignal = undefined;
      }
    };
  };
}

function timeoutError(context: CallContext, scope: 'attempt' | 'total', timeoutMs: number): DexcomTimeoutError {
  const what = `${context.method} ${context.pathTemplate}`;
  const message =
    scope === 'total'
      ? `${what} did not finish within its ${timeoutMs} ms total deadline`
      : `${what} attempt ${context.attempt} got no response within ${timeoutMs} ms`;
  return new DexcomTimeoutError(message, {
    scope,
    timeoutMs,
    attempts: context.attempts,
    operationId: context.operationId,
    invocationId: context.invocationId,
  });
}
