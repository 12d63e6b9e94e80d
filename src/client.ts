import { createClient, createConfig, type Client } from '../generated/client/index.js';
import { operationMetadata } from '../generated/dexcom-spec-metadata.gen.js';
import { DexcomApi } from '../generated/sdk.gen.js';
import type { Alert, Calibration, DataRangeResponse, Device, Egv, Event } from '../generated/types.gen.js';
import type { AccessTokenProvider } from '../plugins/auth.js';
import type { CircuitBreakerOptions, CircuitBreakerSnapshot } from '../plugins/circuit-breaker.js';
import { PipelineEvents } from '../plugins/events.js';
import type { RateLimiterStats, RateLimitOptions } from '../plugins/rate-limiter.js';
import type { RetryOptions } from '../plugins/retry.js';
import type { TimeoutOptions } from '../plugins/timeout.js';
import { createPipeline, type Pipeline } from './client-pipeline.js';
import { formatDexcomDate, type TimeWindow } from './dates.js';
import { type DexcomEnvironment, resolveEndpoint } from './environments.js';
import { DexcomConfigurationError } from './errors.js';
import { createClientFetch } from './pipeline.js';
import { VERSION } from './version.js';
import { readWindows } from './windowed-read.js';
import { iterateRecords, type RecordIterable } from './sync/iterate.js';
import type { IterateOptions } from './sync/iterate-options.js';
import { clientRecordSource } from './sync/record-source.js';
import type { SyncRecordType } from './sync/record-types.js';
import { type SyncReport, syncRecords } from './sync/sync.js';
import type { SyncOptions } from './sync/sync-options.js';

/** Options of {@link DexcomApiClient}. */
export interface DexcomApiClientOptions {
  /** Dexcom environment. Default `'sandbox'`. */
  environment?: DexcomEnvironment;
  /** Overrides `environment`, e.g. a local mock; plain http is accepted only for loopback hosts. */
  baseUrl?: string;
  /** The user's access token, or a function returning it (called for every wire attempt). */
  accessToken: AccessTokenProvider;
  /** The fetch that goes on the wire. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Sent as `User-Agent`. Default `dexcom-api-client/<version>`. */
  userAgent?: string;
  /**
   * Token bucket in front of the wire; `false` turns it off. Default 100 calls per minute with a
   * burst of 100, a queue of 1,000, and a 60 s pause after a 429 without `Retry-After`.
   */
  rateLimit?: RateLimitOptions | false;
  /** Retries with exponential backoff and jitter; `false` turns them off. Default 3 attempts. */
  retry?: RetryOptions | false;
  /** Circuit breaker shared by all calls of this client; `false` turns it off. Default: 5 failures, 30 s. */
  circuitBreaker?: CircuitBreakerOptions | false;
  /** Timeouts; `false` turns both off. Default `{ attemptMs: 30_000, totalMs: 120_000 }`. */
  timeout?: TimeoutOptions | false;
}

/** A snapshot of a client's resilience state, for health endpoints. */
export interface DexcomClientStats {
  /** Circuit breaker state, or `undefined` when turned off. */
  circuitBreaker: CircuitBreakerSnapshot | undefined;
  /** Rate limiter queue and bucket, or `undefined` when turned off. */
  rateLimiter: RateLimiterStats | undefined;
}

/** Per-call options of the read methods. */
export interface ReadOptions {
  /** Aborts the read, including waits between windows and retries. */
  signal?: AbortSignal;
}

type WindowedOperation = 'getEstimatedGlucoseValuesV3' | 'getCalibrationsV3' | 'getEventsV3' | 'getAlertsV3';

/**
 * Typed client for the Dexcom API. Every call goes through one pipeline per client (total
 * deadline, retry, circuit breaker, auth, rate limiter, attempt timeout; see `createPipeline`) and
 * every failure becomes a typed {@link DexcomError}.
 *
 * @example
 * const dexcom = new DexcomApiClient({ environment: 'sandbox', accessToken: process.env.DEXCOM_ACCESS_TOKEN! });
 * const readings = await dexcom.getGlucoseReadings(new Date(Date.now() - 7 * 86_400_000), new Date());
 * console.log(readings.length, readings[0]?.value);
 */
export class DexcomApiClient {
  /** Every generated operation (v3, v2, OAuth), bound to this client's pipeline. */
  readonly api: DexcomApi;
  /** Pipeline events (attempts, retries, breaker, limiter) for logging, metrics or your own use. */
  readonly events: PipelineEvents;
  /** The environment in use, or `custom` for a `baseUrl` override. */
  readonly environment: DexcomEnvironment | 'custom';
  /** The base URL requests go to. */
  readonly baseUrl: string;
  /** The generated fetch client underneath, configured with this client's pipeline. */
  readonly httpClient: Client;
  readonly #pipeline: Pipeline;

  constructor(options: DexcomApiClientOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new DexcomConfigurationError(`DexcomApiClient needs options, e.g. new DexcomApiClient({ environment: 'sandbox', accessToken: 'token' })`);
    }
    const { environment, baseUrl } = resolveEndpoint(options);
    if (typeof options.accessToken !== 'string' && typeof options.accessToken !== 'function') {
      throw new DexcomConfigurationError(
        `accessToken must be a string or a function returning one, e.g. new DexcomApiClient({ accessToken: () => tokenStore.get() })`,
      );
    }
    this.environment = environment;
    this.baseUrl = baseUrl;
    this.events = new PipelineEvents();
    this.#pipeline = createPipeline(
      {
        accessToken: options.accessToken,
        requiresAuth,
        rateLimit: options.rateLimit,
        retry: options.retry,
        circuitBreaker: options.circuitBreaker,
        timeout: options.timeout,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      },
      this.events,
    );
    const fetch = createClientFetch({ baseUrl, operations: operationMetadata, run: this.#pipeline.run, events: this.events });
    this.httpClient = createClient(
      createConfig({
        baseUrl,
        fetch,
        throwOnError: true,
        headers: { 'user-agent': options.userAgent ?? `dexcom-api-client/${VERSION}` },
      }),
    );
    this.api = new DexcomApi({ client: this.httpClient });
  }

  /**
   * Estimated glucose values (EGVs) for any range: split into windows Dexcom accepts (30 days
   * each in v3), every `recordId` exactly once, sorted by `systemTime`.
   *
   * @example
   * const lastWeek = await dexcom.getGlucoseReadings(new Date(Date.now() - 7 * 86_400_000), new Date());
   */
  getGlucoseReadings(start: Date, end: Date, options: ReadOptions = {}): Promise<Egv[]> {
    return this.#readRange('getEstimatedGlucoseValuesV3', start, end, options, (window, signal) =>
      this.api.getEstimatedGlucoseValuesV3({ query: dexcomQuery(window), signal }).then((r) => r.data.records),
    );
  }

  /**
   * Fingerstick calibrations for any range (windowed like {@link getGlucoseReadings}).
   *
   * @example
   * const calibrations = await dexcom.getCalibrations(start, end);
   */
  getCalibrations(start: Date, end: Date, options: ReadOptions = {}): Promise<Calibration[]> {
    return this.#readRange('getCalibrationsV3', start, end, options, (window, signal) =>
      this.api.getCalibrationsV3({ query: dexcomQuery(window), signal }).then((r) => r.data.records),
    );
  }

  /**
   * User-entered events (carbs, insulin, exercise, health, notes) for any range. Deleted events
   * come back with `eventStatus: 'deleted'`.
   *
   * @example
   * const events = await dexcom.getEvents(start, end);
   */
  getEvents(start: Date, end: Date, options: ReadOptions = {}): Promise<Event[]> {
    return this.#readRange('getEventsV3', start, end, options, (window, signal) =>
      this.api.getEventsV3({ query: dexcomQuery(window), signal }).then((r) => r.data.records),
    );
  }

  /**
   * Alert events (high, low, urgentLow, ...) for any range.
   *
   * @example
   * const alerts = await dexcom.getAlerts(start, end);
   */
  getAlerts(start: Date, end: Date, options: ReadOptions = {}): Promise<Alert[]> {
    return this.#readRange('getAlertsV3', start, end, options, (window, signal) =>
      this.api.getAlertsV3({ query: dexcomQuery(window), signal }).then((r) => r.data.records),
    );
  }

  /**
   * Every device on the account with its alert schedules.
   *
   * @example
   * const devices = await dexcom.getDevices();
   */
  async getDevices(options: ReadOptions = {}): Promise<Device[]> {
    const { data } = await this.api.getDevicesV3({ signal: options.signal });
    return data.records;
  }

  /**
   * The earliest and latest record times per data type. With `lastSyncTime`, only ranges of data
   * newer than that time (sent as UTC with a `Z`).
   *
   * @example
   * const range = await dexcom.getDataRange();
   * console.log(range.egvs?.end.systemTime);
   */
  async getDataRange(options: ReadOptions & { lastSyncTime?: Date } = {}): Promise<DataRangeResponse> {
    const query = options.lastSyncTime ? { lastSyncTime: `${formatDexcomDate(options.lastSyncTime)}Z` } : undefined;
    const { data } = await this.api.getDataRangeV3({ signal: options.signal, ...(query ? { query } : {}) });
    return data;
  }

  /**
   * The circuit breaker's state and the rate limiter's queue, for health endpoints.
   *
   * @example
   * app.get('/health', async () => ({ dexcom: await dexcom.stats() }));
   */
  async stats(): Promise<DexcomClientStats> {
    return {
      circuitBreaker: this.#pipeline.breaker?.state(),
      rateLimiter: await this.#pipeline.limiter?.stats(),
    };
  }

  #readRange<T extends { recordId: string; systemTime: string }>(
    operationId: WindowedOperation,
    start: Date,
    end: Date,
    options: ReadOptions,
    fetchWindow: (window: TimeWindow, signal: AbortSignal | undefined) => Promise<readonly T[]>,
  ): Promise<T[]> {
    const maxWindowDays = operationMetadata[operationId].maxWindowDays;
    return readWindows(start, end, maxWindowDays, (window) => fetchWindow(window, options.signal), options.signal);
  }

  /**
   * Streams every record of `type` in `[start, end)` in `systemTime` order, window by window (the
   * spec's `maxWindowDays`, 30 in v3), once per `recordId`, holding only the windows in flight, so a
   * range of years stays flat in memory. `concurrency` (default 1, at most 16) fetches that many
   * windows at once and still yields in time order; `.windows()` gives one batch per window instead.
   * Bad options throw a `DexcomValidationError` at once; nothing is fetched until you iterate.
   *
   * @example
   * for await (const egv of dexcom.iterate('egvs', { start: new Date('2021-01-01Z'), end: new Date(), concurrency: 4 })) {
   *   await sink.write(egv);
   * }
   * for await (const { window, records } of dexcom.iterate('events', { start, end }).windows()) console.log(window.end, records.length);
   */
  iterate<T extends SyncRecordType>(type: T, options: IterateOptions): RecordIterable<T> {
    return iterateRecords(clientRecordSource(this), type, options);
  }

  /**
   * Incremental sync from a checkpoint: asks `dataRange` what is new, reads only the windows that
   * can hold it plus a trailing overlap (default 3 hours) for late and revised values, and calls
   * `handler` once per window, in order, with its upserts and deletions (each record once per
   * version). A type's checkpoint moves only after the handler finished a window, so a crash or
   * abort resumes without a gap. Defaults: all four types, `userKey` `'self'`, concurrency 1.
   *
   * @example
   * const report = await dexcom.sync({
   *   userKey: 'patient-42',
   *   checkpointStore: new FileCheckpointStore({ directory: './dexcom-checkpoints' }),
   *   handler: async ({ type, upserts, deletions }) => db.apply(type, upserts, deletions),
   * });
   */
  sync(options: SyncOptions): Promise<SyncReport> {
    return syncRecords(clientRecordSource(this), options);
  }
}

function dexcomQuery(window: TimeWindow): { startDate: string; endDate: string } {
  return { startDate: formatDexcomDate(window.start), endDate: formatDexcomDate(window.end) };
}

const UNAUTHENTICATED = new Set<string>(
  Object.entries(operationMetadata)
    .filter(([, info]) => !info.authenticated)
    .map(([operationId]) => operationId),
);

function requiresAuth(operationId: string): boolean {
  return !UNAUTHENTICATED.has(operationId);
}
