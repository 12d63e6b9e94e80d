import { splitIntoWindows, type TimeWindow } from '../dates.js';
import { mapInOrder } from './ordered-concurrency.js';
import type { RecordSource } from './record-source.js';
import { maxWindowDaysOf, type SyncRecordMap, type SyncRecordType } from './record-types.js';
import { selectWindowRecords } from './window-records.js';

/**
 * One window of records, as `iterate(...).windows()` yields them.
 *
 * @example
 * for await (const batch of dexcom.iterate('egvs', { start, end }).windows()) {
 *   console.log(batch.index, batch.window.start, batch.records.length);
 * }
 */
export interface WindowBatch<T extends SyncRecordType = SyncRecordType> {
  /** The record type. */
  readonly type: T;
  /** The window `[start, end)` that was requested; every record's `systemTime` lies in it. */
  readonly window: TimeWindow;
  /** Position of the window in the walk, from 0. */
  readonly index: number;
  /** The window's records, once per `recordId`, sorted by `systemTime`. */
  readonly records: SyncRecordMap[T][];
}

/**
 * What {@link readWindowBatches} walks.
 *
 * @example
 * readWindowBatches(source, { type: 'egvs', start, end, concurrency: 1 });
 */
export interface WindowWalk<T extends SyncRecordType> {
  readonly type: T;
  readonly start: Date;
  readonly end: Date;
  readonly concurrency: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The one code path behind `iterate`, `iterate(...).windows()` and `sync`: splits `[start, end)`
 * into windows of the spec's `maxWindowDays` for `type`, fetches up to `concurrency` of them at a
 * time, and yields them in time order, each holding the records whose `systemTime` lies in it.
 * Only the windows in flight are ever held in memory, however long the range.
 *
 * @example
 * for await (const batch of readWindowBatches(source, { type: 'egvs', start, end, concurrency: 2 })) save(batch.records);
 */
export async function* readWindowBatches<T extends SyncRecordType>(source: RecordSource, walk: WindowWalk<T>): AsyncGenerator<WindowBatch<T>, void, undefined> {
  const windows = splitIntoWindows(walk.start, walk.end, maxWindowDaysOf(walk.type)).map((window, index) => ({ window, index }));
  const selected = mapInOrder(
    windows,
    walk.concurrency,
    async ({ window, index }, signal) => ({ window, index, ...selectWindowRecords(await source.fetchWindow(walk.type, window, signal), window) }),
    walk.signal,
  );
  let previousUnplaced: ReadonlySet<string> = new Set();
  for await (const { window, index, records, unplacedIds } of selected) {
    // A record without a parseable systemTime may come back in the next window too: keep it once.
    const fresh = previousUnplaced.size === 0 ? records : records.filter((r) => !(unplacedIds.has(r.recordId) && previousUnplaced.has(r.recordId)));
    previousUnplaced = unplacedIds;
    yield { type: walk.type, window, index, records: fresh };
  }
}
