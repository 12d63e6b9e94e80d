import { assertDateRange, splitIntoWindows, type TimeWindow } from './dates.js';
import { DexcomAbortError } from './core/errors.js';
import { parseDexcomTimestamp } from './timestamps.js';

/** A record that carries an id and a system time, as every Dexcom v3 data record does. */
export interface TimedRecord {
  recordId: string;
  systemTime: string;
}

/**
 * Reads `[start, end)` window by window (Dexcom has no paging and caps each request at
 * `maxWindowDays`), then returns every record once per `recordId` (a later copy replaces an
 * earlier one, so a record on a window boundary is kept once) sorted by `systemTime`.
 * Windows are read one after the other, so a long range never bursts the rate limiter.
 *
 * @example
 * const egvs = await readWindows(start, end, 30, (w) => fetchEgvs(w), signal);
 */
export async function readWindows<T extends TimedRecord>(
  start: Date,
  end: Date,
  maxWindowDays: number,
  fetchWindow: (window: TimeWindow) => Promise<readonly T[]>,
  signal?: AbortSignal,
): Promise<T[]> {
  assertDateRange(start, end);
  const byId = new Map<string, T>();
  for (const window of splitIntoWindows(start, end, maxWindowDays)) {
    if (signal?.aborted) throw new DexcomAbortError('The read was aborted by the caller', { cause: signal.reason });
    for (const record of await fetchWindow(window)) {
      byId.delete(record.recordId);
      byId.set(record.recordId, record);
    }
  }
  return sortBySystemTime([...byId.values()]);
}

/**
 * Sorts records by their parsed `systemTime` (stable; records whose time cannot be parsed keep
 * their relative order and go last).
 *
 * @example
 * sortBySystemTime([{ recordId: 'b', systemTime: '2024-01-01T00:05:00' }, { recordId: 'a', systemTime: '2024-01-01T00:00:00Z' }]);
 */
export function sortBySystemTime<T extends { systemTime: string }>(records: T[]): T[] {
  const keyed = records.map((record, index) => ({ record, index, time: parseDexcomTimestamp(record.systemTime) ?? Number.POSITIVE_INFINITY }));
  keyed.sort((a, b) => a.time - b.time || a.index - b.index);
  return keyed.map((entry) => entry.record);
}
