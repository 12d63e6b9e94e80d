import type { TimeWindow } from '../dates.js';
import { parseDexcomTimestamp } from '../timestamps.js';
import type { DeliveredRecord } from './checkpoint.js';
import { recordFingerprint } from './record-fingerprint.js';
import type { TimedRecord } from './window-records.js';

/**
 * What one window changes, compared with what was already delivered.
 *
 * @example
 * const { upserts, deletions }: WindowChanges<Event> = diffWindow(records, window, known, isDeleted, horizon);
 */
export interface WindowChanges<R> {
  /** New records and new versions of delivered ones, in `systemTime` order. */
  readonly upserts: R[];
  /** Records that now say they are deleted (events with `eventStatus: 'deleted'`), in order. */
  readonly deletions: R[];
  /** Fingerprints of the window's records at or after `rememberFromMs`, to remember once the window is done. */
  readonly seen: DeliveredRecord[];
}

/**
 * Sorts one window's records (already once per `recordId`) into what the consumer has not seen:
 * a record whose fingerprint matches the delivered one is a repeat from the overlap and is skipped;
 * a new id or a changed fingerprint is delivered again, as a deletion when `isDeletion` says so.
 * Only records the next run may read again (at or after `rememberFromMs`, i.e. `window end -
 * overlap`) or that were delivered before are hashed: a 30-day window of EGVs hashes a few dozen.
 *
 * @example
 * const { upserts, deletions, seen } = diffWindow(records, window, known, (r) => r.eventStatus === 'deleted', window.end.getTime() - overlapMs);
 */
export function diffWindow<R extends TimedRecord>(
  records: readonly R[],
  window: TimeWindow,
  known: ReadonlyMap<string, DeliveredRecord>,
  isDeletion: (record: R) => boolean,
  rememberFromMs: number,
): WindowChanges<R> {
  const upserts: R[] = [];
  const deletions: R[] = [];
  const seen: DeliveredRecord[] = [];
  for (const record of records) {
    // A record with an unreadable time is remembered at the window start, the earliest it can be.
    const time = parseDexcomTimestamp(record.systemTime) ?? window.start.getTime();
    const delivered = known.get(record.recordId);
    const remember = time >= rememberFromMs;
    const fingerprint = delivered || remember ? recordFingerprint(record) : undefined;
    if (remember) seen.push([record.recordId, time, fingerprint!]);
    if (delivered !== undefined && delivered[2] === fingerprint) continue;
    (isDeletion(record) ? deletions : upserts).push(record);
  }
  return { upserts, deletions, seen };
}

/**
 * What to remember after a window is done: the known records plus the window's, keeping only those
 * at or after `horizonMs` (`window end - overlap`, where the next run starts re-reading), oldest
 * first. Bounded by the overlap, however long the history.
 *
 * @example
 * known = rememberDelivered(known, seen, window.end.getTime() - overlapMs);
 */
export function rememberDelivered(
  known: ReadonlyMap<string, DeliveredRecord>,
  seen: readonly DeliveredRecord[],
  horizonMs: number,
): Map<string, DeliveredRecord> {
  const merged = new Map(known);
  for (const entry of seen) merged.set(entry[0], entry);
  const kept = [...merged.values()].filter((entry) => entry[1] >= horizonMs).sort((a, b) => a[1] - b[1]);
  return new Map(kept.map((entry) => [entry[0], entry]));
}
