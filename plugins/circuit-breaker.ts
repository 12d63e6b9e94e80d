/**
 * The circuit breaker: one per client, shared by all its calls, counting every wire attempt,
 * retries included (the pipeline's order is composed in `src/client-pipeline.ts`). Built on cockatiel's `circuitBreaker` with two additions:
 *
 * - While half-open, cockatiel makes other callers wait for the probe's result and then run;
 *   here they fail fast with `DexcomCircuitOpenError` (or get the fallback), so exactly one probe
 *   reaches a server that is probably still down.
 * - cockatiel closes the circuit when the probe ends in an error it does not handle. A probe that
 *   is aborted, times out on the call's total deadline, or never reaches the wire (full queue)
 *   proves nothing about the server, so it re-opens the circuit instead (reason `probe-abandoned`).
 *
 * What counts as a failure: a 5xx response, a `DexcomNetworkError`, an attempt-scope
 * `DexcomTimeoutError`. A 429 is back-pressure, not an outage, and never counts; any other
 * response (2xx, 4xx) is a success. Caller aborts and other errors count as neither.
 */
import {
  CircuitState,
  ConsecutiveBreaker,
  SamplingBreaker,
  circuitBreaker as cockatielCircuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  type FailureReason,
  type IBreaker,
} from 'cockatiel';
import { DexcomCircuitOpenError, DexcomConfigurationError, DexcomNetworkError, DexcomTimeoutError } from '../src/core/errors.js';
import type { PipelineEvents } from '../src/core/events.js';
import type { CallContext, FetchLike, Middleware } from '../src/core/middleware.js';
import { MAX_TIMER_MS, checkInteger, checkObject } from './option-checks.js';

/**
 * Answer to use while the circuit is open, instead of throwing `DexcomCircuitOpenError`
 * (for example a cached response). Called once per rejected call.
 */
export type CircuitBreakerFallback = (context: CallContext, error: DexcomCircuitOpenError) => Response | Promise<Response>;

/** Failure-ratio mode (cockatiel `SamplingBreaker`), instead of counting consecutive failures. */
export interface CircuitBreakerSampling {
  /** Share of failing attempts, strictly between 0 and 1, above which the circuit opens. */
  failureRatio: number;
  /** Length of the sliding window, in ms. */
  durationMs: number;
  /**
   * Fewest attempts per second over the window before the ratio may open the circuit.
   * @default 5 / failureRatio (cockatiel's default: at least 5 failures a second)
   */
  minimumRps?: number;
}

/**
 * Circuit-breaker settings of a client (`new DexcomApiClient({ circuitBreaker })`).
 *
 * @example
 * new DexcomApiClient({
 *   circuitBreaker: { threshold: 10, halfOpenAfterMs: 60_000, fallback: () => Response.json([]) },
 * });
 */
export interface CircuitBreakerOptions {
  /**
   * Consecutive failing wire attempts that open the circuit (ignored with `sampling`).
   * @default 5
   */
  threshold?: number;
  /**
   * How long the circuit stays open before one probe request may go through, in ms.
   * @default 30_000
   */
  halfOpenAfterMs?: number;
  /**
   * Open on a failure ratio over a time window instead of a consecutive count.
   * @default undefined (consecutive count)
   */
  sampling?: CircuitBreakerSampling;
  /**
   * Response to return while the circuit is open, instead of throwing.
   * @default undefined (throw `DexcomCircuitOpenError`)
   */
  fallback?: CircuitBreakerFallback;
}

/** Validated {@link CircuitBreakerOptions}. */
export interface ResolvedCircuitBreakerOptions {
  readonly threshold: number;
  readonly halfOpenAfterMs: number;
  readonly sampling: Readonly<CircuitBreakerSampling> | null;
  readonly fallback: CircuitBreakerFallback | null;
}

/** Defaults applied by {@link resolveCircuitBreakerOptions}. */
export const DEFAULT_CIRCUIT_BREAKER_OPTIONS: ResolvedCircuitBreakerOptions = {
  threshold: 5,
  halfOpenAfterMs: 30_000,
  sampling: null,
  fallback: null,
};

const EXAMPLE = '{ threshold: 5, halfOpenAfterMs: 30_000 }';
const SAMPLING_EXAMPLE = '{ sampling: { failureRatio: 0.5, durationMs: 60_000 } }';

/** Name of the breaker's {@link CircuitBreaker.middleware} layer in the pipeline (see `src/client-pipeline.ts`). */
export const CIRCUIT_BREAKER_LAYER = 'circuit-breaker';

/** Name of the breaker's {@link CircuitBreaker.gate} layer in the pipeline (see `src/client-pipeline.ts`). */
export const CIRCUIT_BREAKER_GATE_LAYER = 'circuit-breaker-gate';

/**
 * Validates circuit-breaker options once, at client construction. `false` turns the breaker off
 * (returns `null`: leave the layer out of the pipeline).
 *
 * Defaults: opens after 5 consecutive failing attempts, probes again after 30 s, no fallback.
 *
 * @throws DexcomConfigurationError with a correct example when an option is invalid.
 *
 * @example
 * resolveCircuitBreakerOptions(undefined);           // the defaults
 * resolveCircuitBreakerOptions({ threshold: 10 });   // opens after 10 failures
 * resolveCircuitBreakerOptions(false);               // null: no breaker
 */
export function resolveCircuitBreakerOptions(user?: CircuitBreakerOptions | false): ResolvedCircuitBreakerOptions | null {
  if (user === false) return null;
  const input = checkObject(user, 'circuitBreaker', `${EXAMPLE} or false`);
  const d = DEFAULT_CIRCUIT_BREAKER_OPTIONS;
  const threshold = checkInteger(input.threshold ?? d.threshold, 'circuitBreaker.threshold', 1, 1_000, EXAMPLE);
  const halfOpenAfterMs = checkInteger(
    input.halfOpenAfterMs ?? d.halfOpenAfterMs,
    'circuitBreaker.halfOpenAfterMs',
    1,
    MAX_TIMER_MS,
    EXAMPLE,
  );
  const fallback = input.fallback ?? null;
  if (fallback !== null && typeof fallback !== 'function') {
    throw new DexcomConfigurationError(
      'circuitBreaker.fallback must be a function returning a Response, e.g. { fallback: () => Response.json([]) }',
    );
  }
  return { threshold, halfOpenAfterMs, sampling: resolveSampling(input.sampling), fallback };
}

function resolveSampling(sampling: CircuitBreakerSampling | undefined): CircuitBreakerSampling | null {
  if (sampling === undefined) return null;
  const input = checkObject(sampling, 'circuitBreaker.sampling', SAMPLING_EXAMPLE);
  const { failureRatio, minimumRps } = input;
  if (typeof failureRatio !== 'number' || !(failureRatio > 0 && failureRatio < 1)) {
    throw new DexcomConfigurationError(
      `circuitBreaker.sampling.failureRatio must be a number between 0 and 1 (exclusive), e.g. ${SAMPLING_EXAMPLE}`,
    );
  }
  const durationMs = checkInteger(input.durationMs, 'circuitBreaker.sampling.durationMs', 1_000, MAX_TIMER_MS, SAMPLING_EXAMPLE);
  if (minimumRps !== undefined && (typeof minimumRps !== 'number' || !(minimumRps > 0) || !Number.isFinite(minimumRps))) {
    throw new DexcomConfigurationError(
      'circuitBreaker.sampling.minimumRps must be a positive number, e.g. { failureRatio: 0.5, durationMs: 60_000, minimumRps: 2 }',
    );
  }
  return minimumRps === undefined ? { failureRatio, durationMs } : { failureRatio, durationMs, minimumRps };
}

/**
 * What the breaker reports about itself.
 *
 * Like cockatiel (cockatiel#91), the breaker moves from open to half-open only when the next call
 * arrives, so `state` stays `'open'` after `retryAt` has passed until a call comes; an `'open'`
 * snapshot whose `retryAt` is in the past means "the next call will be the probe".
 */
export interface CircuitBreakerSnapshot {
  /** `closed`: calls flow; `open`: calls fail fast; `half-open`: one probe is in flight. */
  readonly state: 'closed' | 'open' | 'half-open';
  /** While open: when the next call may go through as the probe. */
  readonly retryAt?: Date;
}

/** A circuit breaker owned by one client; see {@link createCircuitBreaker}. */
export interface CircuitBreaker {
  /** The pipeline layer ({@link CIRCUIT_BREAKER_LAYER}): it must see every wire attempt. */
  readonly middleware: Middleware;
  /**
   * A second check ({@link CIRCUIT_BREAKER_GATE_LAYER}) for after the rate limiter: a request that waited in the limiter's queue
   * while the circuit opened fails fast instead of going out (it counts neither way).
   */
  readonly gate: Middleware;
  /** The breaker's current state (for health checks and logs). */
  state(): CircuitBreakerSnapshot;
}

/**
 * Creates the circuit breaker of one client. Create it once per client (never per call, never
 * at module level) and put its `middleware` in the pipeline; `events` is the client's bus, which
 * receives `break` (with `reason` and `retryAt`), `half-open` and `reset`.
 *
 * While open, a call throws `DexcomCircuitOpenError` (with `retryAt`) without sending anything,
 * or returns `fallback(context, error)` when a fallback is configured.
 *
 * @example
 * const options = resolveCircuitBreakerOptions(userOptions.circuitBreaker);
 * const breaker = options ? createCircuitBreaker(options, events) : undefined;
 * const layers = breaker ? [breaker.middleware] : [];
 * breaker?.state(); // { state: 'closed' }
 */
export function createCircuitBreaker(options: ResolvedCircuitBreakerOptions, events: PipelineEvents): CircuitBreaker {
  const policy = cockatielCircuitBreaker(handleWhen(isOutageError).orWhenResult(isOutageResponse), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: createCounter(options),
  });
  let openUntil = 0;
  // cockatiel emits onHalfOpen synchronously right before it invokes the probe, so the next
  // function it runs reads this flag to learn that it is the probe.
  let probeStarting = false;

  policy.onBreak((reason) => {
    openUntil = Date.now() + options.halfOpenAfterMs;
    events.emit('break', { reason: describeFailure(reason), retryAt: openUntil });
  });
  policy.onHalfOpen(() => {
    probeStarting = true;
    events.emit('half-open', {});
  });
  policy.onReset(() => events.emit('reset', {}));

  // The call whose attempt is the half-open probe, so the gate lets exactly that one through.
  let probeContext: CallContext | undefined;

  const runAttempt = async (next: FetchLike, request: Request, context: CallContext): Promise<Response> => {
    const isProbe = probeStarting;
    probeStarting = false;
    if (!isProbe) return next(request, context);
    probeContext = context;
    try {
      return await next(request, context);
    } catch (error) {
      throw isOutageError(error) ? error : new ProbeAbandonedError(error);
    } finally {
      probeContext = undefined;
    }
  };

  const rejectOpen = async (context: CallContext, retryAt: number, why: string): Promise<Response> => {
    const error = new DexcomCircuitOpenError(
      `${context.method} ${context.pathTemplate} was not sent: the circuit breaker is open (${why})`,
      {
        retryAt: new Date(retryAt),
        retryAfterMs: Math.max(0, retryAt - Date.now()),
        attempts: context.attempts,
        operationId: context.operationId,
        invocationId: context.invocationId,
      },
    );
    if (options.fallback) return options.fallback(context, error);
    throw error;
  };

  const middleware: Middleware = (next) => async (request, context) => {
    if (policy.state === CircuitState.HalfOpen) {
      return rejectOpen(context, Date.now(), 'a probe request is in flight; try again once it completes');
    }
    try {
      return await policy.execute(() => runAttempt(next, request, context));
    } catch (error) {
      if (isBrokenCircuitError(error)) {
        return rejectOpen(context, openUntil, `the server failed repeatedly; a probe may go at ${new Date(openUntil).toISOString()}`);
      }
      throw error instanceof ProbeAbandonedError ? error.original : error;
    }
  };

  // Calls admitted while the circuit was closed may then wait in the rate limiter's queue; when
  // they come out after it opened, they must not go to a server known to be down, and while it is
  // half-open only the probe may go.
  const gate: Middleware = (next) => async (request, context) => {
    if (policy.state === CircuitState.Open) {
      return rejectOpen(context, openUntil, `it opened while this request waited; a probe may go at ${new Date(openUntil).toISOString()}`);
    }
    if (policy.state === CircuitState.HalfOpen && context !== probeContext) {
      return rejectOpen(context, Date.now(), 'a probe request is in flight; try again once it completes');
    }
    return next(request, context);
  };

  const state = (): CircuitBreakerSnapshot => {
    switch (policy.state) {
      case CircuitState.Closed:
        return { state: 'closed' };
      case CircuitState.HalfOpen:
        return { state: 'half-open' };
      default:
        return { state: 'open', retryAt: new Date(openUntil) };
    }
  };

  return { middleware, gate, state };
}

/** Internal marker: the probe ended without a verdict on the server; unwrapped before rethrowing. */
class ProbeAbandonedError extends Error {
  constructor(readonly original: unknown) {
    super('circuit breaker probe ended without reaching a verdict');
  }
}

function createCounter(options: ResolvedCircuitBreakerOptions): IBreaker {
  const { sampling } = options;
  if (sampling === null) return new ConsecutiveBreaker(options.threshold);
  return new SamplingBreaker({
    threshold: sampling.failureRatio,
    duration: sampling.durationMs,
    ...(sampling.minimumRps === undefined ? {} : { minimumRps: sampling.minimumRps }),
  });
}

/** Errors that say the server (or the way to it) is in trouble. */
function isOutageError(error: unknown): boolean {
  return (
    error instanceof DexcomNetworkError ||
    (error instanceof DexcomTimeoutError && error.scope === 'attempt') ||
    error instanceof ProbeAbandonedError
  );
}

/** 5xx responses count; 429 is back-pressure and every other status is a working server. */
function isOutageResponse(result: unknown): boolean {
  return result instanceof Response && result.status >= 500;
}

/** Bounded `break` reason: `status-503`, `network`, `timeout` or `probe-abandoned`. */
function describeFailure(reason: FailureReason<unknown> | { isolated: true }): string {
  if ('isolated' in reason) return 'isolated';
  if ('value' in reason) return reason.value instanceof Response ? `status-${reason.value.status}` : 'result';
  if (reason.error instanceof DexcomNetworkError) return 'network';
  if (reason.error instanceof DexcomTimeoutError) return 'timeout';
  return reason.error instanceof ProbeAbandonedError ? 'probe-abandoned' : reason.error.name;
}
