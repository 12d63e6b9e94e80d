import { describe, expect, it, vi } from 'vitest';
import { formatDexcomDate } from '../../src/dates.js';
import { DexcomAbortError, DexcomValidationError } from '../../src/core/errors.js';
import { readWindows, sortBySystemTime } from '../../src/windowed-read.js';

const DAY = 86_400_000;

describe('readWindows', () => {
  it('reads a 90-day range in three windows and returns each recordId once, sorted by systemTime', async () => {
    const start = new Date('2024-01-01T00:00:00Z');
    const seen: string[] = [];
    const fetchWindow = vi.fn(async (w: { start: Date; end: Date }) => {
      seen.push(`${formatDexcomDate(w.start)}..${formatDexcomDate(w.end)}`);
      // The boundary record appears in two windows, as it would with an inclusive endDate.
      return [
        { recordId: `r-${formatDexcomDate(w.end)}`, systemTime: `${formatDexcomDate(w.end)}` },
        { recordId: `r-${formatDexcomDate(w.start)}`, systemTime: `${formatDexcomDate(w.start)}+00:00` },
      ];
    });
    const records = await readWindows(start, new Date(start.getTime() + 90 * DAY), 30, fetchWindow);
    expect(seen).toEqual([
      '2024-01-01T00:00:00..2024-01-31T00:00:00',
      '2024-01-31T00:00:00..2024-03-01T00:00:00',
      '2024-03-01T00:00:00..2024-03-31T00:00:00',
    ]);
    expect(records.map((r) => r.recordId)).toEqual([
      'r-2024-01-01T00:00:00',
      'r-2024-01-31T00:00:00',
      'r-2024-03-01T00:00:00',
      'r-2024-03-31T00:00:00',
    ]);
  });

  it('validates the range before fetching anything', async () => {
    const fetchWindow = vi.fn(async () => []);
    await expect(readWindows(new Date('2024-02-01Z'), new Date('2024-01-01Z'), 30, fetchWindow)).rejects.toThrow(DexcomValidationError);
    await expect(readWindows(new Date('x'), new Date('2024-01-01Z'), 30, fetchWindow)).rejects.toThrow(DexcomValidationError);
    expect(fetchWindow).not.toHaveBeenCalled();
  });

  it('stops between windows when the signal is aborted', async () => {
    const controller = new AbortController();
    const fetchWindow = vi.fn(async () => {
      controller.abort();
      return [];
    });
    await expect(readWindows(new Date('2024-01-01Z'), new Date('2024-04-01Z'), 30, fetchWindow, controller.signal)).rejects.toThrow(DexcomAbortError);
    expect(fetchWindow).toHaveBeenCalledTimes(1);
  });
});

describe('sortBySystemTime', () => {
  it('orders mixed timestamp forms by instant and keeps unparseable ones last, stably', () => {
    const sorted = sortBySystemTime([
      { recordId: 'bad1', systemTime: 'garbage' },
      { recordId: 'c', systemTime: '2024-01-01T00:10:00Z' },
      { recordId: 'a', systemTime: '2023-12-31T16:00:00-08:00' },
      { recordId: 'bad2', systemTime: '' },
      { recordId: 'b', systemTime: '2024-01-01T00:05:00' },
    ]);
    expect(sorted.map((r) => r.recordId)).toEqual(['a', 'b', 'c', 'bad1', 'bad2']);
  });
});
