import type { TimeWindow } from '../dates.js';
import { parseDexcomTimestamp } from '../timestamps.js';

/**
 * A record that carries an id and a system time, as every Dexcom v3 data record does.
 *
 * @example
 * const record: TimedRecord = { recordId: 'egv-1', systemTime: '2024-01-01T00:00:00' };
 */
export interface TimedRecord {
  recordId: string;
  systemTime: string;
}

/**
 * The records of one window, ready to hand out.
 *
 * @example
 * const { records, unplacedIds }: WindowRecords<Egv> = selectWindowRecords(response, window);
 */
export interface WindowRecords<T> {
  /** Records whose `systemTime` lies in the window, once per `recordId`, sorted by `systemTime`. */
  readonly records: T[];
  /** Ids of records kept although their `systemTime` could not be parsed (they come last). */
  readonly unplacedIds: ReadonlySet<string>;
}

/**
 * Keeps the records of one response that belong to `window` (`start <= systemTime < end`), once per
 * `recordId` (a later copy replaces an earlier one), sorted by `systemTime`.
 *
 * Why filter: Dexcom matches `startDate`/`endDate` against `systemTime` but its bound inclusiveness
 * is not documented (alerts say end-exclusive, the others say nothing), and a mock may ignore the
 * window altogether. Assigning each record to the one window that holds its `systemTime` (Tidepool's
 * rule) makes consecutive windows partition the timeline: no boundary duplicates, and the output of
 * a window walk is in time order. A record whose `systemTime` cannot be parsed cannot be placed; it is
 * kept rather than lost, ordered last, and reported in `unplacedIds` so the caller can drop a
 * repeat of it in the next window.
 *
 * @example
 * selectWindowRecords(records, { start: new Date('2024-01-01Z'), end: new Date('2024-01-31Z') }).records;
 */
export function selectWindowRecords<T extends TimedRecord>(response: readonly T[], window: TimeWindow): WindowRecords<T> {
  const start = window.start.getTime();
  const end = window.end.getTime();
  const byId = new Map<string, { record: T; time: number | undefined }>();
  // Dexcom sends a page in time order, newest first or oldest first: note which, to skip the sort.
  let ascending = true;
  let descending = true;
  let previous: number | undefined;
  for (const record of response) {
    const time = parseDexcomTimestamp(record.systemTime);
    if (time !== undefined && (time < start || time >= end)) continue;
    if (byId.delete(record.recordId)) ascending = descending = false;
    byId.set(record.recordId, { record, time });
    if (time === undefined) ascending = descending = false;
    else if (previous !== undefined) {
      if (time < previous) ascending = false;
      if (time >= previous) descending = false;
    }
    previous = time;
  }
  const entries = [...byId.values()];
  const unplacedIds = new Set<string>();
  for (const entry of entries) if (entry.time === undefined) unplacedIds.add(entry.record.recordId);
  // Strictly descending reverses exactly as the stable sort below would order it. Otherwise sort;
  // Array.prototype.sort is stable, so equal times (and all unplaced records) keep response order.
  if (descending && !ascending) entries.reverse();
  else if (!ascending) entries.sort((a, b) => (a.time ?? Number.POSITIVE_INFINITY) - (b.time ?? Number.POSITIVE_INFINITY));
  return { records: entries.map((entry) => entry.record), unplacedIds };
}
