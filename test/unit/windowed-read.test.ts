import { describe, expect, it, vi } from 'vitest';
import { DexcomAbortError, DexcomValidationError, type SyncRecordMap, type SyncRecordType } from '../../src/index.js';
import { formatDexcomDate, type TimeWindow } from '../../src/dates.js';
import type { RecordSource } from '../../src/sync/record-source.js';
import { readRange } from '../../src/windowed-read.js';

const DAY = 86_400_000;

/** A RecordSource whose windows are answered by `answer`; every window asked for is recorded. */
function source(answer: (window: TimeWindow, type: SyncRecordType) => object[]) {
  const seen: string[] = [];
  const fetchWindow = vi.fn(async (type: SyncRecordType, window: TimeWindow) => {
    seen.push(`${formatDexcomDate(window.start)}..${formatDexcomDate(window.end)}`);
    return answer(window, type);
  });
  const recordSource: RecordSource = {
    fetchWindow: <T extends SyncRecordType>(type: T, window: TimeWindow) => fetchWindow(type, window) as Promise<SyncRecordMap[T][]>,
    getDataRange: async () => ({}) as never,
  };
  return { recordSource, seen, fetchWindow };
}

describe('readRange (behind getGlucoseReadings, getCalibrations, getEvents, getAlerts)', () => {
  it('reads a 90-day range in three windows and returns each recordId once, sorted by systemTime', async () => {
    const start = new Date('2024-01-01T00:00:00Z');
    // The boundary record appears in two windows, as it does with Dexcom's inclusive endDate.
    const { recordSource, seen } = source((w) => [
      { recordId: `r-${formatDexcomDate(w.end)}`, systemTime: `${formatDexcomDate(w.end)}` },
      { recordId: `r-${formatDexcomDate(w.start)}`, systemTime: `${formatDexcomDate(w.start)}+00:00` },
    ]);
    const records = await readRange(recordSource, 'egvs', start, new Date(start.getTime() + 90 * DAY));
    expect(seen).toEqual([
      '2024-01-01T00:00:00..2024-01-31T00:00:00',
      '2024-01-31T00:00:00..2024-03-01T00:00:00',
      '2024-03-01T00:00:00..2024-03-31T00:00:00',
    ]);
    // The record at the range's end (2024-03-31) is outside [start, end): not returned.
    expect(records.map((r) => r.recordId)).toEqual(['r-2024-01-01T00:00:00', 'r-2024-01-31T00:00:00', 'r-2024-03-01T00:00:00']);
  });

  it.each(['egvs', 'calibrations', 'events', 'alerts'] as const)(
    '%s: a server that over-reaches (records before start, at end, after end, years old) yields only [start, end)',
    async (type) => {
      const start = new Date('2024-05-01T00:00:00Z');
      const end = new Date('2024-05-08T00:00:00Z');
      const { recordSource } = source(() => [
        { recordId: 'example-2022', systemTime: '2022-02-06T09:12:35' },
        { recordId: 'before', systemTime: '2024-04-30T23:59:59Z' },
        { recordId: 'at-start', systemTime: '2024-05-01T00:00:00' },
        { recordId: 'inside', systemTime: '2024-05-03T12:00:00-07:00' },
        { recordId: 'last-second', systemTime: '2024-05-07T23:59:59.999Z' },
        { recordId: 'at-end', systemTime: '2024-05-08T00:00:00' },
        { recordId: 'after', systemTime: '2024-05-09T00:00:00Z' },
      ]);
      const records = await readRange(recordSource, type, start, end);
      expect(records.map((r) => r.recordId)).toEqual(['at-start', 'inside', 'last-second']);
    },
  );

  it('orders mixed timestamp forms by instant, keeps a later copy of a repeated id, and keeps unparseable ones last', async () => {
    const { recordSource } = source(() => [
      { recordId: 'bad1', systemTime: 'garbage' },
      { recordId: 'c', systemTime: '2024-01-01T00:10:00Z', value: 1 },
      { recordId: 'a', systemTime: '2023-12-31T16:00:00-08:00' },
      { recordId: 'bad2', systemTime: '' },
      { recordId: 'b', systemTime: '2024-01-01T00:05:00' },
      { recordId: 'c', systemTime: '2024-01-01T00:10:00Z', value: 2 },
    ]);
    const records = await readRange(recordSource, 'egvs', new Date('2024-01-01Z'), new Date('2024-01-02Z'));
    expect(records.map((r) => r.recordId)).toEqual(['a', 'b', 'c', 'bad1', 'bad2']);
    expect(records.find((r) => r.recordId === 'c')!.value).toBe(2);
  });

  it('keeps a record with an unreadable time once although every window returns it', async () => {
    const { recordSource, fetchWindow } = source(() => [{ recordId: 'unplaced', systemTime: 'n/a' }]);
    const records = await readRange(recordSource, 'events', new Date('2024-01-01Z'), new Date('2024-04-01Z'));
    expect(fetchWindow).toHaveBeenCalledTimes(4);
    expect(records.map((r) => r.recordId)).toEqual(['unplaced']);
  });

  it('validates the range and the type before fetching anything', async () => {
    const { recordSource, fetchWindow } = source(() => []);
    await expect(readRange(recordSource, 'egvs', new Date('2024-02-01Z'), new Date('2024-01-01Z'))).rejects.toThrow(DexcomValidationError);
    await expect(readRange(recordSource, 'egvs', new Date('x'), new Date('2024-01-01Z'))).rejects.toThrow(DexcomValidationError);
    await expect(readRange(recordSource, 'glucose' as never, new Date('2024-01-01Z'), new Date('2024-01-02Z'))).rejects.toThrow(DexcomValidationError);
    expect(fetchWindow).not.toHaveBeenCalled();
  });

  it('stops between windows when the signal is aborted', async () => {
    const controller = new AbortController();
    const { recordSource, fetchWindow } = source(() => {
      controller.abort();
      return [];
    });
    await expect(readRange(recordSource, 'egvs', new Date('2024-01-01Z'), new Date('2024-04-01Z'), controller.signal)).rejects.toThrow(DexcomAbortError);
    expect(fetchWindow).toHaveBeenCalledTimes(1);
  });
});
