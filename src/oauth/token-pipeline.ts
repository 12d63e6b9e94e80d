import { createClient, createConfig } from '../../generated/client/index.js';
import { operationMetadata } from '../../generated/dexcom-spec-metadata.gen.js';
import { DexcomApi } from '../../generated/sdk.gen.js';
import { callObserver } from '../../plugins/call-observer.js';
import { correlationHeaders, type ResolvedCorrelationOptions } from '../../plugins/correlation.js';
import { resolveRetryOptions, retry } from '../../plugins/retry.js';
import { attemptTimeout, resolveTimeoutOptions, type TimeoutOptions, totalDeadline } from '../../plugins/timeout.js';
import { fetchTransport } from '../../plugins/transport.js';
import { wireObserver } from '../../plugins/wire-observer.js';
import { describeAttempt, type AttemptDetailLevel } from '../../plugins/attempt-detail.js';
import type { PipelineEvents } from '../core/events.js';
import { compose } from '../core/middleware.js';
import { handOverParsedBody } from '../parsed-body-handoff.js';
import { createClientFetch } from '../client-fetch.js';
import type { OAuthRefreshRetryOptions } from './oauth-options.js';

/**
 * Options of {@link createTokenApi}: what token requests share with their client.
 *
 * @example
 * const options: TokenApiOptions = { baseUrl, events: dexcom.events, userAgent: 'my-app/1.0', retry: { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 10_000 } };
 */
export interface TokenApiOptions {
  /** The client's base URL. */
  readonly baseUrl: string;
  /** The client's event bus: logs, metrics and `stats()` see token calls like any other call. */
  readonly events: PipelineEvents;
  /** The client's `fetch`. Default: the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** The client's timeouts (`false`: none). Default 30 s per attempt, 120 s in total. */
  readonly timeout?: TimeoutOptions | false;
  /** The client's correlation headers (validated); `null` sends none. */
  readonly correlation?: ResolvedCorrelationOptions | null;
  /** `user-agent` header. */
  readonly userAgent: string;
  /** How much of each attempt `attempt-end` describes for the client's debug log. Default none. */
  readonly attemptDetail?: AttemptDetailLevel;
  /** Re-sends of a token request that never reached the server (`oauth.refreshRetry`). */
  readonly retry: Readonly<Required<OAuthRefreshRetryOptions>>;
}

/**
 * The generated operations for OAuth token requests, over a small pipeline of their own: call
 * observer, total deadline, retry, correlation headers, attempt timeout, wire observer, transport.
 *
 * - The retry layer is the client's engine (abortable sleeps, backoff with jitter) with no retry
 *   statuses: a token request is sent again only after a `DexcomNetworkError` with
 *   `requestSent === false` (connection refused, DNS failure), when nothing reached the server.
 *   A reset, a timeout, a 5xx or a garbled 200 may come after the server rotated the refresh
 *   token, so they are never re-sent.
 * - No circuit breaker: a half-open breaker (one probe at a time) must never block the token
 *   refresh its own probe needs, so data calls refresh inside their attempt and token calls do not
 *   take a breaker slot.
 * - No rate limiter: a refresh (one per user every two hours) must not wait behind queued data
 *   calls that need its token.
 *
 * @example
 * const tokenApi = createTokenApi({ baseUrl, events, userAgent: 'my-app/1.0', retry: resolved.refreshRetry });
 * const tokens = await refreshAccessToken(tokenApi, { clientId, clientSecret, refreshToken });
 */
export function createTokenApi(options: TokenApiOptions): DexcomApi {
  const timeouts = resolveTimeoutOptions(options.timeout);
  const retryOptions = resolveRetryOptions({ ...options.retry, retryStatuses: [] });
  const layers = [
    callObserver(),
    totalDeadline(timeouts),
    ...(retryOptions ? [retry(retryOptions)] : []),
    ...(options.correlation ? [correlationHeaders(options.correlation)] : []),
    attemptTimeout(timeouts),
    wireObserver(options.attemptDetail ? { describe: describeAttempt(options.attemptDetail) } : {}),
  ];
  const run = compose(layers)(fetchTransport(options.fetch ? { fetch: options.fetch } : {}));
  const fetch = createClientFetch({
    baseUrl: options.baseUrl,
    operations: operationMetadata,
    run,
    events: options.events,
    ...(options.correlation ? { correlationHeader: options.correlation.header } : { forwardCorrelationHeader: false }),
  });
  const client = createClient(createConfig({ baseUrl: options.baseUrl, fetch, throwOnError: true, headers: { 'user-agent': options.userAgent } }));
  client.interceptors.response.use(handOverParsedBody);
  return new DexcomApi({ client });
}
