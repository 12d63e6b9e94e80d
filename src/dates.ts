import { DexcomValidationError } from './core/errors.js';

/**
 * One day in milliseconds: the unit of Dexcom's window limit (`maxWindowDays`), the one definition
 * the SDK uses.
 *
 * @example
 * new Date(Date.now() - 7 * DAY_MS); // a week ago
 */
export const DAY_MS = 86_400_000;

/** A half-open time range `[start, end)` sent as one request's `startDate`/`endDate`. */
export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
}

/**
 * Formats a date the way Dexcom expects `startDate`/`endDate`: UTC, `YYYY-MM-DDTHH:mm:ss`, no
 * offset and no milliseconds (Dexcom resolves times to the second; the fraction is dropped).
 *
 * @example
 * formatDexcomDate(new Date('2024-03-01T10:20:30.999+02:00')); // '2024-03-01T08:20:30'
 */
export function formatDexcomDate(date: Date): string {
  assertValidDate(date, 'date');
  return date.toISOString().slice(0, 19);
}

/**
 * Throws a {@link DexcomValidationError} unless `value` is a `Date` holding a real instant.
 *
 * @example
 * assertValidDate(new Date('nonsense'), 'start'); // throws: start must be a valid Date
 */
export function assertValidDate(value: unknown, name: string): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new DexcomValidationError(`${name} must be a valid Date, e.g. new Date('2024-01-01T00:00:00Z')`);
  }
  const year = value.getUTCFullYear();
  if (year < 1970 || year > 9999) {
    throw new DexcomValidationError(`${name} must be between the years 1970 and 9999 (got ${value.toISOString()})`);
  }
}

/**
 * Validates a `[start, end)` range before any request: both valid dates, end after start.
 *
 * @example
 * assertDateRange(new Date('2024-01-02'), new Date('2024-01-01')); // throws: end must be after start
 */
export function assertDateRange(start: unknown, end: unknown): asserts start is Date {
  assertValidDate(start, 'start');
  assertValidDate(end, 'end');
  if (truncateToSecond(end) <= truncateToSecond(start)) {
    throw new DexcomValidationError(
      `end must be after start (got start ${start.toISOString()}, end ${end.toISOString()}), e.g. getGlucoseReadings(new Date(Date.now() - 86_400_000), new Date())`,
    );
  }
}

/**
 * Splits `[start, end)` into consecutive windows no longer than `maxWindowDays`, as Dexcom serves
 * at most that many days per request and has no paging. Windows share their boundaries (each
 * `end` is the next `start`) and never overlap; times are cut to the second, as sent.
 *
 * @example
 * splitIntoWindows(new Date('2024-01-01Z'), new Date('2024-03-31Z'), 30).length; // 3
 */
export function splitIntoWindows(start: Date, end: Date, maxWindowDays: number): TimeWindow[] {
  assertDateRange(start, end);
  if (!Number.isFinite(maxWindowDays) || maxWindowDays <= 0) {
    throw new DexcomValidationError(`maxWindowDays must be a positive number (got ${maxWindowDays})`);
  }
  const step = Math.floor(maxWindowDays * DAY_MS / 1000) * 1000;
  const last = truncateToSecond(end);
  const windows: TimeWindow[] = [];
  for (let from = truncateToSecond(start); from < last; from += step) {
    windows.push({ start: new Date(from), end: new Date(Math.min(from + step, last)) });
  }
  return windows;
}

function truncateToSecond(date: Date): number {
  return Math.floor(date.getTime() / 1000) * 1000;
}
