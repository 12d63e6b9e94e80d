import { AUTH_LAYER, bearerAuth } from '../plugins/auth.js';
import { describeAttempt, type AttemptDetailLevel } from '../plugins/attempt-detail.js';
import { CALL_OBSERVER_LAYER, callObserver } from '../plugins/call-observer.js';
import {
  CIRCUIT_BREAKER_GATE_LAYER,
  CIRCUIT_BREAKER_LAYER,
  type CircuitBreaker,
  type CircuitBreakerOptions,
  createCircuitBreaker,
  resolveCircuitBreakerOptions,
} from '../plugins/circuit-breaker.js';
import { CORRELATION_LAYER, correlationHeaders, type ResolvedCorrelationOptions } from '../plugins/correlation.js';
import { createRateLimiter, RATE_LIMITER_LAYER, type RateLimiter, type RateLimitOptions, resolveRateLimitOptions } from '../plugins/rate-limiter.js';
import { resolveRetryOptions, retry, RETRY_LAYER, type RetryOptions } from '../plugins/retry.js';
import { ATTEMPT_TIMEOUT_LAYER, attemptTimeout, resolveTimeoutOptions, TOTAL_DEADLINE_LAYER, type TimeoutOptions, totalDeadline } from '../plugins/timeout.js';
import { fetchTransport, TRANSPORT_LAYER } from '../plugins/transport.js';
import { WIRE_OBSERVER_LAYER, wireObserver } from '../plugins/wire-observer.js';
import type { PipelineEvents } from './core/events.js';
import { compose, type FetchLike, type Middleware } from './core/middleware.js';
import type { AccessTokenProvider } from './core/token-source.js';

/** The pipeline settings of a client; see the README for every option and its default. */
export interface PipelineOptions {
  /** The client's own access token. Default none: each call then needs a `tokenSource` on its context (`forUser()`). */
  accessToken?: AccessTokenProvider;
  /** Whether an operation needs a token (false for the OAuth login and token calls). */
  requiresAuth: (operationId: string) => boolean;
  /** Token bucket; `false` turns it off. Default 100 calls per minute. */
  rateLimit?: RateLimitOptions | false;
  /** Retry with backoff; `false` turns it off. Default 3 attempts. */
  retry?: RetryOptions | false;
  /** Circuit breaker; `false` turns it off. Default: opens after 5 consecutive failures for 30 s. */
  circuitBreaker?: CircuitBreakerOptions | false;
  /** Per-attempt and total timeouts; `false` turns both off. Default 30 s and 120 s. */
  timeout?: TimeoutOptions | false;
  /** Correlation headers per attempt (already validated); `null` sends none. */
  correlation?: ResolvedCorrelationOptions | null;
  /** How much of each attempt `attempt-end` describes for a debug log (see `attemptDetailLevel`). Default none. */
  attemptDetail?: AttemptDetailLevel;
  /** The fetch that goes on the wire. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
}

/** A client's composed pipeline and the stateful parts it owns. */
export interface Pipeline {
  /** The composed layers over the transport. */
  readonly run: FetchLike;
  /** The names of the layers in `run`, outermost first, the transport last. */
  readonly layers: readonly string[];
  /** The client's circuit breaker, unless turned off. */
  readonly breaker: CircuitBreaker | undefined;
  /** The client's rate limiter, unless turned off. */
  readonly limiter: RateLimiter | undefined;
}

/** One layer of the pipeline under its exported name. */
interface NamedLayer {
  readonly name: string;
  readonly middleware: Middleware;
}

/**
 * Validates the pipeline options (each `resolveXOptions` throws a `DexcomConfigurationError`
 * with a correct example) and composes the layers. This is the one place that sets their order,
 * outermost first (`Pipeline.layers` names them; `test/unit/pipeline-order.test.ts` pins it):
 *
 * 1. call observer: typed errors for final failures, `call-end`
 * 2. total deadline: one signal for the whole call, the caller's signal linked in
 * 3. retry: the only layer that sends again
 * 4. circuit breaker: counts every wire attempt; 429 never trips it
 * 5. auth: bearer token per attempt (an OAuth refresh runs here, through the token calls' own
 *    pipeline, so it never needs a breaker slot or a limiter token)
 * 6. rate limiter: every wire request takes a token, retries included; the time each attempt
 *    spends in it is published as `context.attemptLimiterWaitMs` (and summed in `limiterWaitMs`)
 * 7. breaker gate: a request that waited in the limiter's queue while the circuit opened is not sent
 * 8. correlation headers: the call's id and the attempt number
 * 9. attempt timeout
 * 10. wire observer: one record and event per attempt
 * 11. transport: global fetch, body read in full
 *
 * A layer turned off (`retry: false`, ...) is left out; the others keep their order.
 *
 * @example
 * const { run, layers, breaker, limiter } = createPipeline({ accessToken: 't', requiresAuth: () => true }, events);
 */
export function createPipeline(options: PipelineOptions, events: PipelineEvents): Pipeline {
  const timeouts = resolveTimeoutOptions(options.timeout);
  const retryOptions = resolveRetryOptions(options.retry);
  const breakerOptions = resolveCircuitBreakerOptions(options.circuitBreaker);
  const limiterOptions = resolveRateLimitOptions(options.rateLimit);
  const breaker = breakerOptions ? createCircuitBreaker(breakerOptions, events) : undefined;
  const limiter = limiterOptions ? createRateLimiter(limiterOptions, events) : undefined;

  const layers: Array<NamedLayer | false> = [
    { name: CALL_OBSERVER_LAYER, middleware: callObserver() },
    { name: TOTAL_DEADLINE_LAYER, middleware: totalDeadline(timeouts) },
    retryOptions !== null && { name: RETRY_LAYER, middleware: retry(retryOptions) },
    breaker !== undefined && { name: CIRCUIT_BREAKER_LAYER, middleware: breaker.middleware },
    { name: AUTH_LAYER, middleware: bearerAuth({ accessToken: options.accessToken, requiresAuth: options.requiresAuth }) },
    limiter !== undefined && { name: RATE_LIMITER_LAYER, middleware: timedLimiter(limiter.middleware) },
    limiter !== undefined && breaker !== undefined && { name: CIRCUIT_BREAKER_GATE_LAYER, middleware: breaker.gate },
    !!options.correlation && { name: CORRELATION_LAYER, middleware: correlationHeaders(options.correlation) },
    { name: ATTEMPT_TIMEOUT_LAYER, middleware: attemptTimeout(timeouts) },
    {
      name: WIRE_OBSERVER_LAYER,
      middleware: wireObserver(options.attemptDetail ? { describe: describeAttempt(options.attemptDetail) } : {}),
    },
  ];
  const used = layers.filter((layer): layer is NamedLayer => layer !== false);
  const transport = fetchTransport(options.fetch ? { fetch: options.fetch } : {});
  return {
    run: compose(used.map((layer) => layer.middleware))(transport),
    layers: [...used.map((layer) => layer.name), TRANSPORT_LAYER],
    breaker,
    limiter,
  };
}

/**
 * The rate limiter's layer, timed: how long each attempt spent inside it before going on (waiting
 * for a token, a 429 pause, a shared store's round trip) becomes `context.attemptLimiterWaitMs`
 * and adds to `context.limiterWaitMs`, the fact that the `attempt`, `attempt-end` and `call-end`
 * events carry. Measured at the layer's edges, so the limiter needs no clock of its own for it.
 */
function timedLimiter(limiterLayer: Middleware): Middleware {
  return (next) => (request, context) => {
    const entered = performance.now();
    const admitted: FetchLike = (admittedRequest, admittedContext) => {
      const waitMs = performance.now() - entered;
      admittedContext.attemptLimiterWaitMs = waitMs;
      admittedContext.limiterWaitMs = (admittedContext.limiterWaitMs ?? 0) + waitMs;
      return next(admittedRequest, admittedContext);
    };
    return limiterLayer(admitted)(request, context);
  };
}
