/**
 * dexcom-api-client: a typed TypeScript SDK for the Dexcom CGM API. This entry point holds the
 * public API only; the fleet stores, the relay, the webhook verifier and the test helpers have
 * subpaths of their own (`/postgres`, `/redis`, `/relay`, `/webhooks`, `/testing`).
 *
 * @example
 * import { DexcomApiClient } from 'dexcom-api-client';
 * const dexcom = new DexcomApiClient({ environment: 'sandbox', accessToken });
 * const readings = await dexcom.getGlucoseReadings(start, end);
 */

// The client
export { DexcomApiClient, type DexcomApiClientOptions, type DexcomClientStats, type ReadOptions } from './client.js';
export { DEXCOM_ENVIRONMENTS, type DexcomEnvironment } from './environments.js';
export { formatDexcomDate, splitIntoWindows, type TimeWindow } from './dates.js';
export { parseDexcomTimestamp } from './timestamps.js';
export { VERSION } from './version.js';
/**
 * The generated class with every operation of the spec; `dexcom.api` is an instance bound to the
 * client's pipeline.
 *
 * @example
 * const { data } = await dexcom.api.getDevicesV3();
 */
export { DexcomApi } from '../generated/sdk.gen.js';

/**
 * Every request and response type generated from the spec, e.g. `types.EgvsResponseV3` or
 * `types.GetEstimatedGlucoseValuesV3Data`. The record types also have root exports (`Egv`, ...).
 *
 * @example
 * import type { types } from 'dexcom-api-client';
 * type Unit = types.GlucoseUnit;
 */
export type * as types from '../generated/types.gen.js';
export type { Alert, Calibration, DataRangeResponse, Device, Egv, Event } from '../generated/types.gen.js';

// Errors
export * from './core/errors.js';

// Pipeline options, events and health
export type { AccessTokenProvider, IssuedToken, TokenSource } from './core/token-source.js';
export { PipelineEvents, type AttemptDetail, type PipelineEventMap, type PipelineEventName, type PipelineListener } from './core/events.js';
export type { AttemptRecord, CallContext, FetchLike, Middleware } from './core/middleware.js';
export type { RetryOptions } from '../plugins/retry.js';
export type { CircuitBreakerFallback, CircuitBreakerOptions, CircuitBreakerSampling, CircuitBreakerSnapshot } from '../plugins/circuit-breaker.js';
export type { RateLimiterStats, RateLimitOptions } from '../plugins/rate-limiter.js';
export { InMemoryRateLimitStore, type RateLimitSnapshot, type RateLimitStore, type Reservation, type TokenBucketShape } from '../plugins/rate-limit-store.js';
export type { TimeoutOptions } from '../plugins/timeout.js';
export { parseRetryAfter } from './core/retry-after.js';
export { dexcomRedactPaths, REDACTED } from '../plugins/redaction.js';
export type { LoggerLike, LoggingOptions, LogLevel } from '../plugins/logging.js';
export type { MetricsOptions, MetricsRegistry } from '../plugins/metrics.js';
export type { ObserverDrops } from '../plugins/observer-drops.js';
export type { CorrelationOptions } from '../plugins/correlation.js';
export type { CallCounters } from './call-counters.js';

// Backfill and incremental sync
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
  MAX_CONCURRENCY,
  MemoryCheckpointStore,
  parseCheckpoint,
  type RecordIterable,
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

// OAuth2 and token stores
export {
  type AuthorizationRequest,
  type AuthorizationUrlOptions,
  buildAuthorizationUrl,
  type CodeExchangeOptions,
  DEFAULT_OAUTH_TIMING,
  DexcomOAuth,
  type DexcomOAuthConfig,
  DexcomRefreshLockTimeoutError,
  exchangeAuthorizationCode,
  type ExchangeCodeOptions,
  FileTokenStore,
  type FileTokenStoreOptions,
  InMemoryTokenStore,
  type LockedTokenStore,
  type OAuthOptions,
  type OAuthPathVersion,
  type OAuthRefreshRetryOptions,
  parseTokenRecord,
  refreshAccessToken,
  type RefreshOptions,
  type TokenRecord,
  type TokenRequestOptions,
  type TokenSet,
  type TokenStatus,
  type TokenStore,
} from './oauth/index.js';

// Glucose helpers
export {
  CONSENSUS_RANGES,
  type GlucoseRanges,
  type GlucoseSummary,
  type KnownTrend,
  MGDL_PER_MMOL,
  mgdlToMmol,
  mmolToMgdl,
  summarizeGlucose,
  trendArrow,
  trendDescription,
} from './glucose/index.js';
