import { createClient, createConfig, type Client } from '../generated/client/index.js';
import { operationMetadata } from '../generated/dexcom-spec-metadata.gen.js';
import { DexcomApi } from '../generated/sdk.gen.js';
import type { Alert, Calibration, DataRangeResponse, Device, Egv, Event } from '../generated/types.gen.js';
import { type AccessTokenProvider, bearerAuth } from '../plugins/auth.js';
import { callObserver } from '../plugins/call-observer.js';
import { PipelineEvents } from '../plugins/events.js';
import type { Middleware } from '../plugins/middleware.js';
import { fetchTransport } from '../plugins/transport.js';
import { wireObserver } from '../plugins/wire-observer.js';
import { formatDexcomDate, type TimeWindow } from './dates.js';
import { type DexcomEnvironment, resolveEndpoint } from './environments.js';
import { DexcomConfigurationError } from './errors.js';
import { createClientFetch } from './pipeline.js';
import { VERSION } from './version.js';
import { readWindows } from './windowed-read.js';

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
}

/** Per-call options of the read methods. */
export interface ReadOptions {
  /** Aborts the read, including waits between windows and retries. */
  signal?: AbortSignal;
}

type WindowedOperation = 'getEstimatedGlucoseValuesV3' | 'getCalibrationsV3' | 'getEventsV3' | 'getAlertsV3';

/**
 * Typed client for the Dexcom API. Every call goes through one pipeline per client (observer,
 * auth, wire observer, transport) and every failure becomes a typed {@link DexcomError}.
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
    const layers: Middleware[] = [
      callObserver(),
      bearerAuth({ accessToken: options.accessToken, requiresAuth: (operationId) => requiresAuth(operationId) }),
      wireObserver(),
    ];
    const fetch = createClientFetch({
      baseUrl,
      operations: operationMetadata,
      layers,
      transport: fetchTransport(options.fetch ? { fetch: options.fetch } : {}),
      events: this.events,
    });
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
