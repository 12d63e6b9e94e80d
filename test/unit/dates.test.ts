import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertDateRange, formatDexcomDate, splitIntoWindows } from '../../src/dates.js';
import { DexcomValidationError, isDexcomError } from '../../src/core/errors.js';

const DAY = 86_400_000;

describe('formatDexcomDate', () => {
  it('writes UTC as YYYY-MM-DDTHH:mm:ss without offset or milliseconds', () => {
    expect(formatDexcomDate(new Date('2024-03-01T10:20:30.999+02:00'))).toBe('2024-03-01T08:20:30');
    expect(formatDexcomDate(new Date(Date.UTC(2024, 0, 5, 3, 4, 5)))).toBe('2024-01-05T03:04:05');
  });

  it('always matches the pattern the spec declares', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01Z'), max: new Date('9999-12-31Z'), noInvalidDate: true }), (date) => {
        expect(formatDexcomDate(date)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      }),
    );
  });

  it('rejects an invalid Date with a typed validation error', () => {
    expect(() => formatDexcomDate(new Date('nonsense'))).toThrow(DexcomValidationError);
  });
});

describe('assertDateRange', () => {
  it('rejects end before or equal to start, and non-dates', () => {
    const a = new Date('2024-01-02T00:00:00Z');
    const b = new Date('2024-01-01T00:00:00Z');
    expect(() => assertDateRange(a, b)).toThrow(/end must be after start/);
    expect(() => assertDateRange(a, a)).toThrow(DexcomValidationError);
    expect(() => assertDateRange('2024-01-01', b)).toThrow(/start must be a valid Date/);
    try {
      assertDateRange(b, new Date(Number.NaN));
    } catch (error) {
      expect(isDexcomError(error) && error.code).toBe('validation');
    }
  });
});

describe('splitIntoWindows', () => {
  it('splits 90 days into exactly three 30-day windows that share boundaries', () => {
    const start = new Date('2024-01-01T00:00:00Z');
    const windows = splitIntoWindows(start, new Date(start.getTime() + 90 * DAY), 30);
    expect(windows.map((w) => [formatDexcomDate(w.start), formatDexcomDate(w.end)])).toEqual([
      ['2024-01-01T00:00:00', '2024-01-31T00:00:00'],
      ['2024-01-31T00:00:00', '2024-03-01T00:00:00'],
      ['2024-03-01T00:00:00', '2024-03-31T00:00:00'],
    ]);
  });

  it('drops sub-second parts so a 90-day range with milliseconds is still three windows', () => {
    const start = new Date('2024-01-01T00:00:00.750Z');
    expect(splitIntoWindows(start, new Date(start.getTime() + 90 * DAY), 30)).toHaveLength(3);
  });

  it('covers any range exactly, with no window longer than the limit and none overlapping', () => {
    const instant = fc.integer({ min: Date.UTC(2015, 0, 1), max: Date.UTC(2035, 0, 1) });
    fc.assert(
      fc.property(instant, fc.integer({ min: 1_000, max: 800 * DAY }), fc.constantFrom(1, 7, 30, 90), (from, length, maxDays) => {
        const start = new Date(from);
        const end = new Date(from + length);
        const windows = splitIntoWindows(start, end, maxDays);
        expect(windows[0]!.start.getTime()).toBe(Math.floor(from / 1000) * 1000);
        expect(windows.at(-1)!.end.getTime()).toBe(Math.floor((from + length) / 1000) * 1000);
        for (const [i, w] of windows.entries()) {
          expect(w.end.getTime()).toBeGreaterThan(w.start.getTime());
          expect(w.end.getTime() - w.start.getTime()).toBeLessThanOrEqual(maxDays * DAY);
          if (i > 0) expect(w.start.getTime()).toBe(windows[i - 1]!.end.getTime());
        }
        expect(windows).toHaveLength(Math.ceil((windows.at(-1)!.end.getTime() - windows[0]!.start.getTime()) / (maxDays * DAY)));
      }),
    );
  });
});
