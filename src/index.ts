/**
 * dexcom-api-client: a typed TypeScript SDK for the Dexcom CGM API.
 *
 * @example
 * import { DexcomApiClient } from 'dexcom-api-client';
 * const dexcom = new DexcomApiClient({ environment: 'sandbox', accessToken });
 * const readings = await dexcom.getGlucoseReadings(start, end);
 */
export { DexcomApiClient, type DexcomApiClientOptions, type DexcomClientStats, type ReadOptions } from './client.js';
export { DEXCOM_ENVIRONMENTS, type DexcomEnvironment, isLoopbackHost, resolveEndpoint, type ResolvedEndpoint } from './environments.js';
export { assertDateRange, formatDexcomDate, splitIntoWindows, type TimeWindow } from './dates.js';
export { parseDexcomTimestamp } from './timestamps.js';
export * from './core/errors.js';
export { VERSION } from './version.js';
export type { AccessTokenProvider } from './core/token-source.js';
export { PipelineEvents, type PipelineEventMap, type PipelineEventName, type PipelineListener } from './core/events.js';
export type { AttemptRecord, CallContext, FetchLike, Middleware } from './core/middleware.js';
export type { RetryOptions } from '../plugins/retry.js';
export type { CircuitBreakerFallback, CircuitBreakerOptions, CircuitBreakerSampling, CircuitBreakerSnapshot } from '../plugins/circuit-breaker.js';
export type { RateLimiterStats, RateLimitOptions } from '../plugins/rate-limiter.js';
export { InMemoryRateLimitStore, type RateLimitSnapshot, type RateLimitStore, type Reservation, type TokenBucketShape } from '../plugins/rate-limit-store.js';
export type { TimeoutOptions } from '../plugins/timeout.js';
export { parseRetryAfter } from './core/retry-after.js';
export { DexcomApi } from '../generated/sdk.gen.js';
export type * from '../generated/types.gen.js';
export {
  type AnySyncBatch,
  type CheckpointKey,
  type CheckpointStore,
  DEFAULT_CONCURRENCY,
  DEFAULT_OVERLAP_MS,
  DEFAULT_USER_KEY,
  type DeliveredRecord,
  FileCheckpointStore,
  type FileCheckpointStoreOptions,
  type IterateOptions,
  LAST_SYNC_TIME_MAX_AGE_MS,
  MAX_CONCURRENCY,
  MemoryCheckpointStore,
  parseCheckpoint,
  type RecordIterable,
  recordFingerprint,
  SYNC_RECORD_TYPES,
  type SyncBatch,
  type SyncCheckpoint,
  type SyncHandler,
  type SyncOptions,
  type SyncRecord,
  type SyncRecordMap,
  type SyncRecordType,
  type SyncReport,
  type TypeSyncReport,
  type WindowBatch,
  withParsedTimes,
  type WithParsedTimes,
} from './sync/index.js';
export { dexcomRedactPaths, REDACTED } from '../plugins/redaction.js';
export type { LoggerLike, LoggingOptions, LogLevel } from '../plugins/logging.js';
export type { MetricsOptions } from '../plugins/metrics.js';
export type { CorrelationOptions } from '../plugins/correlation.js';
export type { CallCounters } from './call-counters.js';
export type { IssuedToken, TokenSource } from './core/token-source.js';
export {
  type AuthorizationRequest,
  type AuthorizationUrlOptions,
  buildAuthorizationUrl,
  type CodeExchangeOptions,
  DEFAULT_EXPIRES_IN_SECONDS,
  DEFAULT_OAUTH_TIMING,
  DexcomOAuth,
  type DexcomOAuthConfig,
  exchangeAuthorizationCode,
  type ExchangeCodeOptions,
  FileTokenStore,
  type FileTokenStoreOptions,
  InMemoryTokenStore,
  oauthErrorCode,
  type OAuthOptions,
  type OAuthPathVersion,
  type OAuthRefreshRetryOptions,
  parseTokenRecord,
  parseTokenResponse,
  refreshAccessToken,
  refreshDueAt,
  type RefreshOptions,
  type ResolvedOAuthOptions,
  type TokenRecord,
  type TokenRequestOptions,
  type TokenSet,
  type TokenStatus,
  type TokenStore,
} from './oauth/index.js';
export { CONSENSUS_RANGES, type GlucoseRanges, type GlucoseSummary, type KnownTrend, MGDL_PER_MMOL, mgdlToMmol, mmolToMgdl, summarizeGlucose, trendArrow, trendDescription } from './glucose/index.js';
