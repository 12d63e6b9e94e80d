import { createClient, createConfig, type Client } from '../generated/client/index.js';
import { operationMetadata } from '../generated/dexcom-spec-metadata.gen.js';
import { DexcomApi } from '../generated/sdk.gen.js';
import type { Alert, Calibration, DataRangeResponse, Device, Egv, Event } from '../generated/types.gen.js';
import type { AccessTokenProvider } from './core/token-source.js';
import type { CircuitBreakerOptions, CircuitBreakerSnapshot } from '../plugins/circuit-breaker.js';
import { checkCorrelationId, type CorrelationOptions, resolveCorrelationOptions } from '../plugins/correlation.js';
import { PipelineEvents } from './core/events.js';
import type { RateLimiterStats, RateLimitOptions } from '../plugins/rate-limiter.js';
import type { RetryOptions } from '../plugins/retry.js';
import type { TimeoutOptions } from '../plugins/timeout.js';
import { attachLogging, attemptDetailLevel, type LoggerLike, type LoggingOptions, resolveLoggingOptions } from '../plugins/logging.js';
import { attachMetrics, type MetricsOptions, resolveMetricsOptions } from '../plugins/metrics.js';
import { createObserverDrops, type ObserverDrops } from '../plugins/observer-drops.js';
import { type CallCounters, countCalls } from './call-counters.js';
import { createPipeline, type Pipeline } from './client-pipeline.js';
import { formatDexcomDate } from './dates.js';
import { type DexcomEnvironment, resolveEndpoint } from './environments.js';
import { DexcomConfigurationError } from './core/errors.js';
import { resolveClientCredentials } from './oauth/credentials.js';
import { DexcomOAuth } from './oauth/dexcom-oauth.js';
import { createTokenApi } from './oauth/token-pipeline.js';
import type { OAuthOptions } from './oauth/oauth-options.js';
import { assertUserKey } from './user-key.js';
import { handOverParsedBody } from './parsed-body-handoff.js';
import { createClientFetch } from './client-fetch.js';
import { VERSION } from './version.js';
import { readRange } from './windowed-read.js';
import { iterateRecords, type RecordIterable } from './sync/iterate.js';
import type { IterateOptions } from './sync/iterate-options.js';
import { clientRecordSource } from './sync/record-source.js';
import type { SyncRecordMap, SyncRecordType } from './sync/record-types.js';
import { type SyncReport, syncRecords } from './sync/sync.js';
import type { SyncOptions } from './sync/sync-options.js';

/** Options of {@link DexcomApiClient}. */
export interface DexcomApiClientOptions {
  /** Dexcom environment. Default `'sandbox'`. */
  environment?: DexcomEnvironment;
  /** Overrides `environment`, e.g. a local mock; plain http is accepted only for loopback hosts. */
  baseUrl?: string;
  /**
   * The user's access token, or a function returning it (called for every wire attempt). Optional
   * with `oauth`; at least one of the two is required.
   */
  accessToken?: AccessTokenProvider;
  /**
   * OAuth2 for many users: the app's credentials and a token store. Data calls then go through
   * `dexcom.forUser(userKey)`, which refreshes each user's tokens (see `OAuthOptions`). Default none.
   */
  oauth?: OAuthOptions;
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
  /** A pino (or pino-compatible) logger. Default none: the client logs nothing. */
  logger?: LoggerLike;
  /** Log level, bindings and the opt-in redacted body log of this client. Default level `info`. */
  logging?: LoggingOptions;
  /** A prom-client Registry to record metrics on. Default none: no metrics, the global registry untouched. */
  metrics?: MetricsOptions;
  /** Correlation headers sent with every attempt; `false` sends none. Default `x-correlation-id` and `x-correlation-attempt`. */
  correlation?: CorrelationOptions | false;
}

/** A snapshot of a client's resilience state, for health endpoints. */
export interface DexcomClientStats {
  /** Circuit breaker state, or `undefined` when turned off. */
  circuitBreaker: CircuitBreakerSnapshot | undefined;
  /** Rate limiter queue and bucket, or `undefined` when turned off. */
  rateLimiter: RateLimiterStats | undefined;
  /** Calls, failures, wire attempts and retries since the client was created. */
  calls: CallCounters;
  /** Log lines and metric updates dropped because the logger or the metrics registry threw. */
  dropped: ObserverDrops;
}

/** Per-call options of the read methods. */
export interface ReadOptions {
  /** Aborts the read, including waits between windows and retries. */
  signal?: AbortSignal;
  /** Correlation id for the requests of this read (logs, events, errors, header). Default: one UUID per request. */
  correlationId?: string;
}

/** What a read passes to each generated call: the caller's signal and correlation header. */
type RequestInitOf = { signal?: AbortSignal; headers?: Record<string, string> };

/**
 * Module-private key of the seed `forUser()` hands the constructor: only code in this module can
 * make one, so the public constructor takes options alone and a view cannot be forged.
 */
const VIEW_SEED = Symbol('DexcomApiClient.view');

/** What a `forUser()` view shares with its client. */
interface ViewSeed {
  readonly [VIEW_SEED]: true;
  readonly parent: DexcomApiClient;
  readonly userKey: string;
}

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
  /**
   * The generated fetch client underneath, configured with this client's pipeline. Its first
   * response interceptor hands the body the pipeline already parsed to the generated code, so a
   * response interceptor you add sees 2xx JSON responses with their body already read: use
   * `response.clone()` to read it again, or the call's `data`.
   */
  readonly httpClient: Client;
  /** The user a `forUser()` view reads for; `undefined` on the client itself. */
  readonly userKey: string | undefined;
  readonly #pipeline: Pipeline;
  readonly #options: DexcomApiClientOptions;
  readonly #oauth: DexcomOAuth | undefined;
  readonly #counters: () => CallCounters;
  readonly #drops: ObserverDrops;
  /** Header that carries a caller-supplied correlation id into the pipeline. */
  readonly #correlationHeader: string;

  /**
   * @param options validated once, here; bad options throw a `DexcomConfigurationError` with an example.
   */
  constructor(options: DexcomApiClientOptions);
  // The implementation signature is not part of the public type: only forUser() passes a seed.
  constructor(options: DexcomApiClientOptions, seed?: ViewSeed) {
    const view = seed?.[VIEW_SEED] === true ? seed : undefined;
    if (typeof options !== 'object' || options === null) {
      throw new DexcomConfigurationError(`DexcomApiClient needs options, e.g. new DexcomApiClient({ environment: 'sandbox', accessToken: 'token' })`);
    }
    const { environment, baseUrl } = resolveEndpoint(options);
    const oauth = resolveClientCredentials(options);
    const logging = resolveLoggingOptions(options.logging);
    const metrics = options.metrics === undefined ? undefined : resolveMetricsOptions(options.metrics);
    const correlation = resolveCorrelationOptions(options.correlation);
    this.environment = environment;
    this.baseUrl = baseUrl;
    this.userKey = view?.userKey;
    this.#options = options;
    // A view shares everything stateful (bus, pipeline, counters) with its client: one quota, one breaker.
    this.events = view ? view.parent.events : new PipelineEvents();
    this.#pipeline = view ? view.parent.#pipeline : createPipeline(
      {
        accessToken: options.accessToken,
        requiresAuth,
        rateLimit: options.rateLimit,
        retry: options.retry,
        circuitBreaker: options.circuitBreaker,
        timeout: options.timeout,
        correlation,
        attemptDetail: attemptDetailLevel(logging, options.logger !== undefined),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      },
      this.events,
    );
    const breakerState = () => this.#pipeline.breaker?.state();
    this.#drops = view ? view.parent.#drops : createObserverDrops();
    if (options.logger && !view) attachLogging(this.events, options.logger, logging, { breakerState: () => breakerState()?.state, drops: this.#drops });
    if (metrics && !view) attachMetrics(this.events, metrics, { breakerState, limiterStats: () => this.#pipeline.limiter?.stats() ?? Promise.resolve(undefined), drops: this.#drops });
    this.#counters = view ? view.parent.#counters : countCalls(this.events);
    this.#correlationHeader = correlation?.header ?? 'x-correlation-id';
    const fetch = createClientFetch({
      baseUrl,
      operations: operationMetadata,
      run: this.#pipeline.run,
      events: this.events,
      correlationHeader: this.#correlationHeader,
      forwardCorrelationHeader: correlation !== null,
      ...(view ? { tokenSource: view.parent.oauth.tokenSource(view.userKey) } : {}),
    });
    this.httpClient = createClient(
      createConfig({
        baseUrl,
        fetch,
        throwOnError: true,
        headers: { 'user-agent': options.userAgent ?? `dexcom-api-client/${VERSION}` },
      }),
    );
    // The pipeline's transport parsed every 2xx JSON body already (to validate it where a retry is
    // still possible); this hands that value to the generated code instead of parsing it again.
    this.httpClient.interceptors.response.use(handOverParsedBody);
    this.api = new DexcomApi({ client: this.httpClient });
    this.#oauth = view
      ? view.parent.#oauth
      : oauth &&
        new DexcomOAuth({
          api: createTokenApi({
            baseUrl,
            events: this.events,
            timeout: options.timeout,
            correlation,
            attemptDetail: attemptDetailLevel(logging, options.logger !== undefined),
            userAgent: options.userAgent ?? `dexcom-api-client/${VERSION}`,
            retry: oauth.refreshRetry,
            ...(options.fetch ? { fetch: options.fetch } : {}),
          }),
          baseUrl,
          events: this.events,
          options: oauth,
        });
  }

  /**
   * The OAuth token lifecycle (sign-in URL, code exchange, status) of a client built with `oauth`.
   *
   * @throws DexcomConfigurationError when the client has no `oauth` options.
   * @example
   * const { url, state } = dexcom.oauth.authorizationUrl();
   * await dexcom.oauth.exchangeCode({ userKey: 'patient-42', code });
   */
  get oauth(): DexcomOAuth {
    if (this.#oauth === undefined) throw oauthRequired('dexcom.oauth');
    return this.#oauth;
  }

  /**
   * A view of this client bound to one user's OAuth tokens: the same read methods (`getGlucoseReadings`,
   * `getDevices`, `iterate`, `sync`, ...) and `api`, sharing this client's pipeline (rate limiter,
   * circuit breaker, metrics, logs). Views are cheap; make one per request or per job. Tokens are
   * refreshed ahead of expiry, single-flight per user, and never sent for another user.
   *
   * @throws DexcomConfigurationError when the client has no `oauth` options or `userKey` is empty.
   * @example
   * const patient = dexcom.forUser('patient-42');
   * const readings = await patient.getGlucoseReadings(start, end);
   */
  forUser(userKey: string): DexcomApiClient {
    assertUserKey(userKey);
    if (this.#oauth === undefined) throw oauthRequired('dexcom.forUser()');
    return DexcomApiClient.#viewOf(this, userKey);
  }

  /** Builds a view of `parent` for `userKey` through the constructor's non-public seed. */
  static #viewOf(parent: DexcomApiClient, userKey: string): DexcomApiClient {
    const Client = DexcomApiClient as unknown as new (options: DexcomApiClientOptions, seed: ViewSeed) => DexcomApiClient;
    return new Client(parent.#options, { [VIEW_SEED]: true, parent, userKey });
  }

  /**
   * Estimated glucose values (EGVs) whose `systemTime` lies in `[start, end)`, for any range: what
   * `iterate('egvs', { start, end })` yields, collected. Split into windows Dexcom accepts (30 days
   * each in v3), read one at a time; records the server sends outside the range are dropped (its
   * `endDate` is inclusive, a mock returns its examples); every `recordId` once, sorted by
   * `systemTime`. For data of an account that stopped uploading, ask `getDataRange()` where it ends.
   *
   * @example
   * const lastWeek = await dexcom.getGlucoseReadings(new Date(Date.now() - 7 * 86_400_000), new Date());
   */
  getGlucoseReadings(start: Date, end: Date, options: ReadOptions = {}): Promise<Egv[]> {
    return this.#readRange('egvs', start, end, options);
  }

  /**
   * Fingerstick calibrations in `[start, end)` (windowed and filtered like {@link getGlucoseReadings}).
   *
   * @example
   * const calibrations = await dexcom.getCalibrations(start, end);
   */
  getCalibrations(start: Date, end: Date, options: ReadOptions = {}): Promise<Calibration[]> {
    return this.#readRange('calibrations', start, end, options);
  }

  /**
   * User-entered events (carbs, insulin, exercise, health, notes) in `[start, end)` (like
   * {@link getGlucoseReadings}). Deleted events come back with `eventStatus: 'deleted'`.
   *
   * @example
   * const events = await dexcom.getEvents(start, end);
   */
  getEvents(start: Date, end: Date, options: ReadOptions = {}): Promise<Event[]> {
    return this.#readRange('events', start, end, options);
  }

  /**
   * Alert events (high, low, urgentLow, ...) in `[start, end)` (like {@link getGlucoseReadings}).
   *
   * @example
   * const alerts = await dexcom.getAlerts(start, end);
   */
  getAlerts(start: Date, end: Date, options: ReadOptions = {}): Promise<Alert[]> {
    return this.#readRange('alerts', start, end, options);
  }

  /**
   * Every device on the account with its alert schedules.
   *
   * @example
   * const devices = await dexcom.getDevices();
   */
  async getDevices(options: ReadOptions = {}): Promise<Device[]> {
    const { data } = await this.api.getDevicesV3(this.#requestInit(options));
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
    const { data } = await this.api.getDataRangeV3({ ...this.#requestInit(options), ...(query ? { query } : {}) });
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
      calls: this.#counters(),
      dropped: { ...this.#drops },
    };
  }

  /** A `get*` read: what `iterate(type, { start, end, signal })` yields, collected (one window walker). */
  // async, so a bad correlation id rejects the returned promise instead of throwing synchronously.
  async #readRange<T extends SyncRecordType>(type: T, start: Date, end: Date, options: ReadOptions): Promise<SyncRecordMap[T][]> {
    // The signal goes to the walk (which cancels what is in flight); the correlation id to every request.
    const { headers } = this.#requestInit({ correlationId: options.correlationId });
    return readRange(clientRecordSource(this, headers ? { headers } : {}), type, start, end, options.signal);
  }

  /** The per-request options of a read: its signal and, when given, its correlation id. */
  #requestInit(options: ReadOptions): RequestInitOf {
    return {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.correlationId === undefined ? {} : { headers: { [this.#correlationHeader]: checkCorrelationId(options.correlationId) } }),
    };
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
   * abort resumes without a gap. Defaults: all four types, concurrency 1, and `userKey` the view's
   * user on `forUser(userKey)`, else `'self'`.
   *
   * @example
   * const report = await dexcom.sync({
   *   userKey: 'patient-42',
   *   checkpointStore: new FileCheckpointStore({ directory: './dexcom-checkpoints' }),
   *   handler: async ({ type, upserts, deletions }) => db.apply(type, upserts, deletions),
   * });
   */
  sync(options: SyncOptions): Promise<SyncReport> {
    // A user's view keeps that user's checkpoints apart from every other user's by default.
    const userKey = options?.userKey ?? this.userKey;
    return syncRecords(clientRecordSource(this), userKey === undefined ? options : { ...options, userKey });
  }
}

function oauthRequired(what: string): DexcomConfigurationError {
  return new DexcomConfigurationError(
    `${what} needs OAuth options, e.g. new DexcomApiClient({ oauth: { clientId, clientSecret, tokenStore: new FileTokenStore({ path: '.dexcom-tokens.json' }) } })`,
  );
}

const UNAUTHENTICATED = new Set<string>(
  Object.entries(operationMetadata)
    .filter(([, info]) => !info.authenticated)
    .map(([operationId]) => operationId),
);

function requiresAuth(operationId: string): boolean {
  return !UNAUTHENTICATED.has(operationId);
}
