import type { DexcomApi } from '../../generated/sdk.gen.js';
import type { DataRangeResponse } from '../../generated/types.gen.js';
import { formatDexcomDate, type TimeWindow } from '../dates.js';
import type { SyncRecordMap, SyncRecordType } from './record-types.js';

/**
 * Where `iterate` and `sync` get their data: one window of one record type, and `dataRange`.
 * {@link clientRecordSource} adapts a `DexcomApiClient`; tests can hand in an in-memory source.
 *
 * @example
 * const source: RecordSource = clientRecordSource(dexcom);
 * const report = await syncRecords(source, { checkpointStore, handler });
 */
export interface RecordSource {
  /** The records of `type` the server returns for `window` (one request, as sent, unfiltered). */
  fetchWindow<T extends SyncRecordType>(type: T, window: TimeWindow, signal: AbortSignal): Promise<readonly SyncRecordMap[T][]>;
  /** `dataRange`, with `lastSyncTime` when given. */
  getDataRange(options: { lastSyncTime?: Date; signal?: AbortSignal }): Promise<DataRangeResponse>;
}

/**
 * The part of `DexcomApiClient` a {@link RecordSource} needs (structural, so no import cycle).
 *
 * @example
 * const client: SyncCapableClient = new DexcomApiClient({ accessToken });
 */
export interface SyncCapableClient {
  readonly api: Pick<DexcomApi, 'getEstimatedGlucoseValuesV3' | 'getCalibrationsV3' | 'getEventsV3' | 'getAlertsV3'>;
  getDataRange(options?: { lastSyncTime?: Date; signal?: AbortSignal }): Promise<DataRangeResponse>;
}

type Query = { startDate: string; endDate: string };
type WindowFetchers = {
  [K in SyncRecordType]: (api: SyncCapableClient['api'], query: Query, signal: AbortSignal) => Promise<readonly SyncRecordMap[K][]>;
};

const FETCHERS: WindowFetchers = {
  egvs: (api, query, signal) => api.getEstimatedGlucoseValuesV3({ query, signal }).then((r) => r.data.records),
  calibrations: (api, query, signal) => api.getCalibrationsV3({ query, signal }).then((r) => r.data.records),
  events: (api, query, signal) => api.getEventsV3({ query, signal }).then((r) => r.data.records),
  alerts: (api, query, signal) => api.getAlertsV3({ query, signal }).then((r) => r.data.records),
};

/**
 * A {@link RecordSource} that reads through a client's pipeline (auth, retries, rate limit, ...):
 * dates go out as Dexcom expects them (UTC `YYYY-MM-DDTHH:mm:ss`), `lastSyncTime` with a `Z`.
 *
 * @example
 * const source = clientRecordSource(dexcom);
 * const egvs = await source.fetchWindow('egvs', { start, end }, new AbortController().signal);
 */
export function clientRecordSource(client: SyncCapableClient): RecordSource {
  return {
    fetchWindow: <T extends SyncRecordType>(type: T, window: TimeWindow, signal: AbortSignal) =>
      (FETCHERS[type] as WindowFetchers[T])(client.api, { startDate: formatDexcomDate(window.start), endDate: formatDexcomDate(window.end) }, signal),
    getDataRange: (options) => client.getDataRange(options),
  };
}
