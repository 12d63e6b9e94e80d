import { parseDexcomTimestamp } from '../timestamps.js';

/**
 * A record with its raw time strings kept and their parsed instants added.
 *
 * @example
 * const egv: WithParsedTimes<Egv> = withParsedTimes(reading);
 * console.log(new Date(egv.systemTimeMs ?? 0));
 */
export type WithParsedTimes<T> = T & {
  /** `systemTime` in epoch ms (read as UTC when it has no offset), or `undefined` when unreadable. */
  readonly systemTimeMs: number | undefined;
  /**
   * `displayTime` in epoch ms, or `undefined` when unreadable. With an offset this is a true
   * instant; without one (receiver records) it is the wall clock the user saw read as UTC, so
   * format it with UTC getters to show that wall clock.
   */
  readonly displayTimeMs: number | undefined;
};

/**
 * Returns a copy of `record` with `systemTimeMs` and `displayTimeMs` added, parsed leniently from
 * whatever form Dexcom sent (offset or none, `Z` with milliseconds, missing seconds). The raw
 * strings stay untouched and the input is not mutated.
 *
 * @example
 * for await (const egv of dexcom.iterate('egvs', { start, end })) {
 *   const { systemTimeMs, value } = withParsedTimes(egv);
 *   chart.push([systemTimeMs, value]);
 * }
 */
export function withParsedTimes<T extends { systemTime: string; displayTime: string }>(record: T): WithParsedTimes<T> {
  return { ...record, systemTimeMs: parseDexcomTimestamp(record.systemTime), displayTimeMs: parseDexcomTimestamp(record.displayTime) };
}
