import { iterateRecords } from './sync/iterate.js';
import type { RecordSource } from './sync/record-source.js';
import type { SyncRecordMap, SyncRecordType } from './sync/record-types.js';

/**
 * Reads every record of `type` in `[start, end)` into one array: exactly what
 * `iterate(type, { start, end, signal })` yields, collected. So `getGlucoseReadings` and its
 * siblings share the one window walker with `iterate` and `sync`: windows of the spec's
 * `maxWindowDays`, each record kept only in the window that holds its `systemTime` (Dexcom's
 * `endDate` is inclusive and a mock may return anything), once per `recordId`, in `systemTime`
 * order. Windows are read one at a time, so a long range never bursts the rate limiter.
 *
 * @example
 * const egvs = await readRange(clientRecordSource(dexcom), 'egvs', start, end, signal);
 */
export async function readRange<T extends SyncRecordType>(
  source: RecordSource,
  type: T,
  start: Date,
  end: Date,
  signal?: AbortSignal,
): Promise<SyncRecordMap[T][]> {
  const records: SyncRecordMap[T][] = [];
  for await (const record of iterateRecords(source, type, { start, end, ...(signal ? { signal } : {}) })) records.push(record);
  return records;
}
