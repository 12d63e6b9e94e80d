import { type IterateOptions, resolveIterateOptions } from './iterate-options.js';
import type { RecordSource } from './record-source.js';
import { assertSyncRecordType, type SyncRecordMap, type SyncRecordType } from './record-types.js';
import { readWindowBatches, type WindowBatch } from './window-batches.js';

/**
 * The result of `dexcom.iterate(type, options)`: iterate it for records, or call `windows()` for
 * the same read as one batch per window. Each iteration is a fresh read.
 *
 * @example
 * const egvs: RecordIterable<'egvs'> = dexcom.iterate('egvs', { start, end });
 * for await (const egv of egvs) console.log(egv.value);
 */
export interface RecordIterable<T extends SyncRecordType> extends AsyncIterable<SyncRecordMap[T]> {
  /**
   * The same read, one {@link WindowBatch} per window (in time order, empty windows included), for
   * consumers that write in batches or track progress.
   *
   * @example
   * for await (const { window, records } of dexcom.iterate('egvs', { start, end }).windows()) await db.insert(records);
   */
  windows(): AsyncIterable<WindowBatch<T>>;
}

/**
 * Streams every record of `type` in `[start, end)` in `systemTime` order, window by window, once per
 * `recordId`. Options are checked at once (a `DexcomValidationError` before any request); nothing is
 * fetched until iteration starts, and breaking out of the loop cancels the requests in flight.
 *
 * @example
 * for await (const egv of iterateRecords(clientRecordSource(dexcom), 'egvs', { start, end, concurrency: 4 })) {
 *   console.log(egv.systemTime, egv.value);
 * }
 */
export function iterateRecords<T extends SyncRecordType>(source: RecordSource, type: T, options: IterateOptions): RecordIterable<T> {
  assertSyncRecordType(type);
  const walk = { type, ...resolveIterateOptions(options) };
  const windows = () => readWindowBatches(source, walk);
  return {
    windows,
    async *[Symbol.asyncIterator]() {
      for await (const batch of windows()) yield* batch.records;
    },
  };
}
