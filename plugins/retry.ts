/**
 * The retry layer: the only place in the pipeline that sends a request again.
 *
 * A small loop rather than cockatiel's `retry()` policy. cockatiel's policy cannot fail at once
 * with a typed "come back at" error when `Retry-After` reaches past the call's deadline (its
 * backoff can only return a delay), its sleep ends with its own cancellation error rather than
 * the caller-abort / total-timeout distinction, and the per-attempt decisions here (method,
 * `requestSent`, deadline, `delayMs` on the attempt record) would all be squeezed through one
 * `DelegateBackoff`. The delays still come from cockatiel's `ExponentialBackoff`.
 */
import { ExponentialBackoff, decorrelatedJitterGenerator, noJitterGenerator, type IBackoff, type IBackoffFactory } from 'cockatiel';
import {
  DexcomConfigurationError,
  DexcomInvalidResponseError,
  DexcomNetworkError,
  DexcomRateLimitError,
  DexcomServerError,
  DexcomTimeoutError,
} from '../src/core/errors.js';
import { abortErrorOf, callSignalOf, discardBody, sleep } from './abort.js';
import type { CallContext, Middleware } from '../src/core/middleware.js';
import { MAX_TIMER_MS, checkInteger, checkObject } from './option-checks.js';
import { retryAfterOf } from '../src/core/retry-after.js';

/**
 * Retry settings of a client (`new DexcomApiClient({ retry })`).
 *
 * GET and HEAD are retried; any other method (the OAuth token POST) only after a
 * `DexcomNetworkError` with `requestSent === false`, when nothing reached the server.
 *
 * @example
 * new DexcomApiClient({ retry: { maxAttempts: 5, initialDelayMs: 1_000 } });
 */
export interface RetryOptions {
  /**
   * Most wire attempts per call, the first one included (1 to 10).
   * @default 3
   */
  maxAttempts?: number;
  /**
   * Shortest backoff delay, in ms, used when the server sends no `Retry-After`: the first retry
   * waits at least this long, later ones grow exponentially (with jitter, each delay falls between
   * `initialDelayMs` and `maxDelayMs`).
   * @default 500
   */
  initialDelayMs?: number;
  /**
   * Cap on one backoff delay, in ms (does not cap `Retry-After`; see `maxRetryAfterMs`).
   * @default 30_000
   */
  maxDelayMs?: number;
  /**
   * HTTP statuses worth sending again.
   * @default [408, 429, 500, 502, 503, 504]
   */
  retryStatuses?: readonly number[];
  /**
   * Decorrelated jitter on backoff delays, so many clients do not retry in lockstep. Turn it off
   * only for deterministic tests (delays are then `initialDelayMs * 2^n`, capped).
   * @default true
   */
  jitter?: boolean;
  /**
   * Longest `Retry-After` the layer will sleep through, in ms. When the server asks for longer,
   * or for longer than the call's deadline leaves, the call fails at once with a
   * `DexcomRateLimitError` (429) or `DexcomServerError` (5xx) whose `retryAt` says when to come back.
   * @default 120_000
   */
  maxRetryAfterMs?: number;
}

/** Validated {@link RetryOptions}. */
export interface ResolvedRetryOptions {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly retryStatuses: ReadonlySet<number>;
  readonly jitter: boolean;
  readonly maxRetryAfterMs: number;
}

/** Defaults applied by {@link resolveRetryOptions}. */
export const DEFAULT_RETRY_OPTIONS: ResolvedRetryOptions = {
  maxAttempts: 3,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  retryStatuses: new Set([408, 429, 500, 502, 503, 504]),
  jitter: true,
  maxRetryAfterMs: 120_000,
};

/**
 * Extra wait added to every `Retry-After`, in ms. Timers only ever fire late, so this is not for
 * the timer: it absorbs the rounding of the server's own clock, so a retry never lands a hair
 * before the time the server named (dotnet/extensions#7001).
 */
export const RETRY_AFTER_MARGIN_MS = 5;

/** Why an attempt was retried (a bounded set, safe as a metrics label). */
export type RetryReason = 'status' | 'network' | 'timeout' | 'invalid-response';

/** Why the layer stopped retrying a retryable failure (a bounded set, safe as a metrics label). */
export type GiveUpReason =
  | 'max-attempts'
  | 'not-idempotent'
  | 'deadline'
  | 'retry-after-exceeds-deadline'
  | 'retry-after-too-long';

const EXAMPLE = '{ maxAttempts: 3, initialDelayMs: 500, maxDelayMs: 30_000 }';

/** Name of the {@link retry} layer in the pipeline (see `src/client-pipeline.ts`). */
export const RETRY_LAYER = 'retry';

/**
 * Validates retry options once, at client construction. `false` turns retrying off (returns
 * `null`: leave the layer out of the pipeline).
 *
 * Defaults: 3 attempts, 500 ms initial delay, 30 s maximum delay, statuses
 * 408/429/500/502/503/504, jitter on, `Retry-After` honoured up to 120 s.
 *
 * @throws DexcomConfigurationError with a correct example when an option is invalid.
 *
 * @example
 * resolveRetryOptions(undefined);              // the defaults
 * resolveRetryOptions({ maxAttempts: 5 });     // 5 attempts, other defaults
 * resolveRetryOptions(false);                  // null: no retry layer
 */
export function resolveRetryOptions(user?: RetryOptions | false): ResolvedRetryOptions | null {
  if (user === false) return null;
  const input = checkObject(user, 'retry', `${EXAMPLE} or false`);
  const d = DEFAULT_RETRY_OPTIONS;
  const maxAttempts = checkInteger(input.maxAttempts ?? d.maxAttempts, 'retry.maxAttempts', 1, 10, EXAMPLE);
  const initialDelayMs = checkInteger(
    input.initialDelayMs ?? d.initialDelayMs,
    'retry.initialDelayMs',
    1,
    MAX_TIMER_MS,
    EXAMPLE,
  );
  // A large initialDelayMs alone raises the default cap rather than failing validation.
  const maxDelayMs = checkInteger(
    input.maxDelayMs ?? Math.max(d.maxDelayMs, initialDelayMs),
    'retry.maxDelayMs',
    initialDelayMs,
    MAX_TIMER_MS,
    EXAMPLE,
  );
  const maxRetryAfterMs = checkInteger(
    input.maxRetryAfterMs ?? d.maxRetryAfterMs,
    'retry.maxRetryAfterMs',
    0,
    MAX_TIMER_MS,
    '{ maxRetryAfterMs: 120_000 }',
  );
  const jitter = input.jitter ?? d.jitter;
  if (typeof jitter !== 'boolean') {
    throw new DexcomConfigurationError('retry.jitter must be true or false, e.g. { jitter: false }');
  }
  const retryStatuses = resolveStatuses(input.retryStatuses);
  return { maxAttempts, initialDelayMs, maxDelayMs, retryStatuses, jitter, maxRetryAfterMs };
}

function resolveStatuses(statuses: readonly number[] | undefined): ReadonlySet<number> {
  if (statuses === undefined) return new Set(DEFAULT_RETRY_OPTIONS.retryStatuses);
  const example = '{ retryStatuses: [429, 503] }';
  if (!Array.isArray(statuses)) {
    throw new DexcomConfigurationError(`retry.retryStatuses must be an array of HTTP statuses, e.g. ${example}`);
  }
  return new Set(statuses.map((status, i) => checkInteger(status, `retry.retryStatuses[${i}]`, 400, 599, example)));
}

/**
 * The retry layer ({@link RETRY_LAYER}; its place in the pipeline is set in `src/client-pipeline.ts`).
 *
 * Each attempt sends the request as it came in, before any inner layer set a header on it, with
 * `context.attempt` set (1-based): a request with a body is cloned per attempt (bodies are
 * one-shot); a bodiless one (every data GET) goes out itself the first time and is rebuilt from its
 * original headers only for a retry, so a call that succeeds at once pays for no copy. A retryable outcome is a status in `retryStatuses`, a
 * `DexcomNetworkError` or an attempt-scope `DexcomTimeoutError`; everything else (other 4xx,
 * caller abort, total timeout, open circuit, full queue) is passed through at once. Delays
 * follow `Retry-After` when the response has one (429 and 5xx), else exponential backoff; a sleep
 * never ends before `Retry-After` and never runs past `context.deadline`. The attempt record of
 * each attempt followed by a sleep gets `delayMs`; discarded responses have their body cancelled.
 *
 * After the last attempt the last response is returned (the call observer turns it into a typed
 * error listing every attempt) or the last error rethrown. Emits `retry` and `give-up` on
 * `context.events`.
 *
 * @example
 * const options = resolveRetryOptions({ maxAttempts: 4 });
 * const layers = options ? [retry(options)] : [];
 */
export function retry(options: ResolvedRetryOptions): Middleware {
  const backoffFactory = createBackoff(options);
  return (next) => async (request, context) => {
    const signal = callSignalOf(request, context);
    // One backoff sequence per call: each retry without Retry-After takes the next delay.
    let backoff: IBackoff<unknown> | undefined;
    const nextBackoffMs = (): number => {
      backoff = backoff ? backoff.next(undefined) : backoffFactory.next(undefined);
      // Decorrelated jitter can draw far less than the initial delay (down to 0); the first delay is
      // documented as the shortest, so every delay is floored there.
      return Math.max(options.initialDelayMs, Math.ceil(backoff.duration));
    };

    // Inner layers set headers on the request they get (the bearer token, correlation ids); a
    // retry must start from the headers as they came in, so a token provider is asked again.
    const originalHeaders = request.body === null ? [...request.headers] : undefined;
    const attemptRequest = (attempt: number): Request => {
      if (originalHeaders === undefined) return request.clone();
      return attempt === 1 ? request : new Request(request, { headers: originalHeaders });
    };

    for (let attempt = 1; ; attempt += 1) {
      if (signal.aborted) throw abortErrorOf(signal, context);
      context.attempt = attempt;
      const outcome = await settle(next(attemptRequest(attempt), context));
      if (signal.aborted) {
        if (outcome.response) discardBody(outcome.response);
        throw abortErrorOf(signal, context);
      }

      const reason = retryReasonOf(outcome, options.retryStatuses);
      if (reason === undefined) return unwrap(outcome);
      const status = outcome.response?.status;
      const plan = planNext(outcome, attempt, request.method, context, options, nextBackoffMs);

      if ('giveUp' in plan) {
        context.events.emit('give-up', {
          invocationId: context.invocationId,
          operationId: context.operationId,
          attempts: attempt,
          reason: plan.giveUp,
          status,
        });
        if (plan.error === undefined) return unwrap(outcome);
        if (outcome.response) discardBody(outcome.response);
        throw plan.error;
      }

      markDelay(context, attempt, plan.delayMs);
      if (outcome.response) discardBody(outcome.response);
      context.events.emit('retry', {
        invocationId: context.invocationId,
        operationId: context.operationId,
        attempt,
        delayMs: plan.delayMs,
        reason,
        status,
      });
      await sleep(plan.delayMs, signal, context);
    }
  };
}

/** The typed error thrown when the server asks to wait longer than this call may. */
type DexcomRetryAfterError = DexcomRateLimitError | DexcomServerError;

/** What to do after a retryable failure: sleep `delayMs`, or stop (with a "come back at" error). */
type Plan = { readonly delayMs: number } | { readonly giveUp: GiveUpReason; readonly error?: DexcomRetryAfterError };

function planNext(
  outcome: Outcome,
  attempt: number,
  method: string,
  context: CallContext,
  options: ResolvedRetryOptions,
  nextBackoffMs: () => number,
): Plan {
  if (attempt >= options.maxAttempts) return { giveUp: 'max-attempts' };
  if (!mayResend(method, outcome)) return { giveUp: 'not-idempotent' };

  const now = Date.now();
  const { response } = outcome;
  const retryAfterMs = response && honoursRetryAfter(response.status) ? retryAfterOf(response, now) : undefined;
  if (response && retryAfterMs !== undefined) {
    const delayMs = retryAfterMs + RETRY_AFTER_MARGIN_MS;
    if (retryAfterMs > options.maxRetryAfterMs) {
      const limit = `retry.maxRetryAfterMs (${options.maxRetryAfterMs} ms)`;
      return { giveUp: 'retry-after-too-long', error: comeBackError(response.status, retryAfterMs, now, context, limit) };
    }
    if (pastDeadline(context, now, delayMs)) {
      const limit = "this call's deadline";
      return { giveUp: 'retry-after-exceeds-deadline', error: comeBackError(response.status, retryAfterMs, now, context, limit) };
    }
    return { delayMs };
  }

  const delayMs = nextBackoffMs();
  return pastDeadline(context, now, delayMs) ? { giveUp: 'deadline' } : { delayMs };
}

type Outcome = { readonly response: Response; readonly error?: undefined } | { readonly response?: undefined; readonly error: unknown };

async function settle(work: Promise<Response>): Promise<Outcome> {
  try {
    return { response: await work };
  } catch (error) {
    return { error };
  }
}

function unwrap(outcome: Outcome): Response {
  if (outcome.response) return outcome.response;
  throw outcome.error;
}

function createBackoff(options: ResolvedRetryOptions): IBackoffFactory<unknown> {
  const shape = { initialDelay: options.initialDelayMs, maxDelay: options.maxDelayMs };
  return options.jitter
    ? new ExponentialBackoff({ ...shape, generator: decorrelatedJitterGenerator })
    : new ExponentialBackoff({ ...shape, generator: noJitterGenerator });
}

function retryReasonOf(outcome: Outcome, statuses: ReadonlySet<number>): RetryReason | undefined {
  if (outcome.response) return statuses.has(outcome.response.status) ? 'status' : undefined;
  if (outcome.error instanceof DexcomNetworkError) return 'network';
  if (outcome.error instanceof DexcomTimeoutError && outcome.error.scope === 'attempt') return 'timeout';
  // A 2xx whose body arrived truncated or garbled is as transient as a dropped connection.
  if (outcome.error instanceof DexcomInvalidResponseError && outcome.error.retryable) return 'invalid-response';
  return undefined;
}

/** GET and HEAD are safe to repeat; anything else only if the server never saw the request. */
function mayResend(method: string, outcome: Outcome): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  return outcome.error instanceof DexcomNetworkError && !outcome.error.requestSent;
}

/** `Retry-After` is defined for 429 (RFC 6585) and 503; other 5xx get the benefit of the doubt. */
function honoursRetryAfter(status: number): boolean {
  return status === 429 || status >= 500;
}

/** True when a sleep of `delayMs` from `now` would end at or after the call's deadline. */
function pastDeadline(context: CallContext, now: number, delayMs: number): boolean {
  return context.deadline !== undefined && now + delayMs >= context.deadline;
}

function markDelay(context: CallContext, attempt: number, delayMs: number): void {
  for (let i = context.attempts.length - 1; i >= 0; i -= 1) {
    const record = context.attempts[i];
    if (record?.attempt === attempt) {
      record.delayMs = delayMs;
      return;
    }
  }
}

function comeBackError(
  status: number,
  retryAfterMs: number,
  now: number,
  context: CallContext,
  limit: string,
): DexcomRetryAfterError {
  const retryAt = new Date(now + retryAfterMs);
  const message =
    `${context.method} ${context.pathTemplate} answered ${status} and asked to wait ${retryAfterMs} ms, ` +
    `beyond ${limit}; try again after ${retryAt.toISOString()}`;
  const details = {
    status,
    retryAfterMs,
    retryAt,
    attempts: context.attempts,
    operationId: context.operationId,
    invocationId: context.invocationId,
  };
  return status === 429 ? new DexcomRateLimitError(message, details) : new DexcomServerError(message, details);
}
