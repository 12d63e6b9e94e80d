import type { DexcomApi } from '../../generated/sdk.gen.js';
import type { DataRangeResponse } from '../../generated/types.gen.js';
import { formatDexcomDate, type TimeWindow } from '../dates.js';
import { OPERATION_BY_TYPE, type SyncRecord, type SyncRecordMap, type SyncRecordType } from './record-types.js';

/**
 * Where `get*`, `iterate` and `sync` get their data: one window of one record type, and `dataRange`.
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
  readonly api: Pick<DexcomApi, (typeof OPERATION_BY_TYPE)[SyncRecordType]>;
  getDataRange(options?: { lastSyncTime?: Date; signal?: AbortSignal }): Promise<DataRangeResponse>;
}

/**
 * What every request of one read carries besides its window and signal.
 *
 * @example
 * clientRecordSource(dexcom, { headers: { 'x-correlation-id': 'nightly-export-7' } });
 */
export interface RecordRequestInit {
  /** Extra request headers, e.g. the caller's correlation id. Default none. */
  readonly headers?: Record<string, string>;
}

/**
 * The shape the four windowed v3 operations share: `startDate`/`endDate` in, an envelope with
 * `records` out. Spelled once here so one call site serves every record type.
 */
type WindowOperation = (options: {
  query: { startDate: string; endDate: string };
  signal: AbortSignal;
  headers?: Record<string, string>;
}) => Promise<{ data: { records: readonly SyncRecord[] } }>;

/**
 * A {@link RecordSource} that reads through a client's pipeline (auth, retries, rate limit, ...):
 * dates go out as Dexcom expects them (UTC `YYYY-MM-DDTHH:mm:ss`), `lastSyncTime` with a `Z`.
 * `init.headers` go with every window request (default none).
 *
 * @example
 * const source = clientRecordSource(dexcom);
 * const egvs = await source.fetchWindow('egvs', { start, end }, new AbortController().signal);
 */
export function clientRecordSource(client: SyncCapableClient, init: RecordRequestInit = {}): RecordSource {
  const headers = init.headers ? { headers: init.headers } : {};
  return {
    fetchWindow: async <T extends SyncRecordType>(type: T, window: TimeWindow, signal: AbortSignal) => {
      // The generated methods are generic over ThrowOnError, which TypeScript cannot call as a union;
      // each is one WindowOperation (the client throws on error, so `data` is always there).
      const operation = client.api[OPERATION_BY_TYPE[type]] as unknown as WindowOperation;
      const query = { startDate: formatDexcomDate(window.start), endDate: formatDexcomDate(window.end) };
      const { data } = await operation.call(client.api, { query, signal, ...headers });
      return data.records as readonly SyncRecordMap[T][];
    },
    getDataRange: (options) => client.getDataRange(options),
  };
}
