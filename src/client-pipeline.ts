import { bearerAuth } from '../plugins/auth.js';
import { type AccessTokenProvider } from './core/token-source.js';
import { callObserver } from '../plugins/call-observer.js';
import { type CircuitBreaker, type CircuitBreakerOptions, createCircuitBreaker, resolveCircuitBreakerOptions } from '../plugins/circuit-breaker.js';
import type { PipelineEvents } from './core/events.js';
import { correlationHeaders, type ResolvedCorrelationOptions } from '../plugins/correlation.js';
import { compose, type FetchLike, type Middleware } from './core/middleware.js';
import { createRateLimiter, type RateLimiter, type RateLimitOptions, resolveRateLimitOptions } from '../plugins/rate-limiter.js';
import { resolveRetryOptions, retry, type RetryOptions } from '../plugins/retry.js';
import { attemptTimeout, resolveTimeoutOptions, type TimeoutOptions, totalDeadline } from '../plugins/timeout.js';
import { fetchTransport } from '../plugins/transport.js';
import { wireObserver } from '../plugins/wire-observer.js';

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
  /** The fetch that goes on the wire. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
}

/** A client's composed pipeline and the stateful parts it owns. */
export interface Pipeline {
  /** The composed layers over the transport. */
  readonly run: FetchLike;
  /** The client's circuit breaker, unless turned off. */
  readonly breaker: CircuitBreaker | undefined;
  /** The client's rate limiter, unless turned off. */
  readonly limiter: RateLimiter | undefined;
}

/**
 * Validates the pipeline options (each `resolveXOptions` throws a `DexcomConfigurationError`
 * with a correct example) and composes the layers in the one documented order, outermost first:
 *
 * 1. call observer: typed errors for final failures, `call-end`
 * 2. total deadline: one signal for the whole call, the caller's signal linked in
 * 3. retry: the only layer that sends again
 * 4. circuit breaker: counts every wire attempt; 429 never trips it
 * 5. auth: bearer token per attempt (an OAuth refresh runs here, through the token calls' own
 *    pipeline, so it never needs a breaker slot or a limiter token)
 * 6. rate limiter: every wire request takes a token, retries included; then the breaker's gate,
 *    so a request that waited in the queue while the circuit opened is not sent
 * 7. correlation headers: the call's id and the attempt number
 * 8. attempt timeout
 * 9. wire observer: one record and event per attempt
 * 10. transport: global fetch, body read in full
 *
 * @example
 * const { run, breaker, limiter } = createPipeline({ accessToken: 't', requiresAuth: () => true }, events);
 */
export function createPipeline(options: PipelineOptions, events: PipelineEvents): Pipeline {
  const timeouts = resolveTimeoutOptions(options.timeout);
  const retryOptions = resolveRetryOptions(options.retry);
  const breakerOptions = resolveCircuitBreakerOptions(options.circuitBreaker);
  const limiterOptions = resolveRateLimitOptions(options.rateLimit);
  const breaker = breakerOptions ? createCircuitBreaker(breakerOptions, events) : undefined;
  const limiter = limiterOptions ? createRateLimiter(limiterOptions, events) : undefined;

  const layers: Middleware[] = [
    callObserver(),
    totalDeadline(timeouts),
    ...(retryOptions ? [retry(retryOptions)] : []),
    ...(breaker ? [breaker.middleware] : []),
    bearerAuth({ accessToken: options.accessToken, requiresAuth: options.requiresAuth }),
    ...(limiter ? [limiter.middleware] : []),
    ...(limiter && breaker ? [breaker.gate] : []),
    ...(options.correlation ? [correlationHeaders(options.correlation)] : []),
    attemptTimeout(timeouts),
    wireObserver(),
  ];
  const transport = fetchTransport(options.fetch ? { fetch: options.fetch } : {});
  return { run: compose(layers)(transport), breaker, limiter };
}
