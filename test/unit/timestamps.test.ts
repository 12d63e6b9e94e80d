import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDexcomTimestamp } from '../../src/timestamps.js';

describe('parseDexcomTimestamp', () => {
  it('reads the canonical YYYY-MM-DDTHH:MM:SS form as the general pattern does, impossible dates included', () => {
    expect(parseDexcomTimestamp('2024-02-29T23:59:59')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    expect(parseDexcomTimestamp('2000-02-29T00:00:00')).toBe(Date.UTC(2000, 1, 29));
    expect(parseDexcomTimestamp('2023-02-29T00:00:00')).toBeUndefined();
    expect(parseDexcomTimestamp('1900-02-29T00:00:00')).toBeUndefined();
    expect(parseDexcomTimestamp('2024-04-31T00:00:00')).toBeUndefined();
    expect(parseDexcomTimestamp('2024-13-01T00:00:00')).toBeUndefined();
    expect(parseDexcomTimestamp('2024-01-01T00:60:00')).toBeUndefined();
    expect(parseDexcomTimestamp('2024-01-01T00:00:6x')).toBeUndefined();
    expect(parseDexcomTimestamp('2024-01-01 00:00:00')).toBe(Date.UTC(2024, 0, 1));
  });

  it.each([
    ['2022-06-17T03:59:11', '2022-06-17T03:59:11.000Z'],
    ['2022-02-06T09:12:35+00:00', '2022-02-06T09:12:35.000Z'],
    ['2022-02-06T01:12:35-08:00', '2022-02-06T09:12:35.000Z'],
    ['2022-12-05T15:00:25.438Z', '2022-12-05T15:00:25.438Z'],
    ['2021-11-09T15:57:34Z', '2021-11-09T15:57:34.000Z'],
    ['2021-02-03T14:15Z', '2021-02-03T14:15:00.000Z'],
    ['2022-07-07T20:02:38-06:59:59', '2022-07-08T03:02:37.000Z'],
    ['2022-7-7T3:4:5', '2022-07-07T03:04:05.000Z'],
    ['2022-07-07 03:04:05+0130', '2022-07-07T01:34:05.000Z'],
  ])('%s', (raw, iso) => {
    expect(new Date(parseDexcomTimestamp(raw)!).toISOString()).toBe(iso);
  });

  it.each(['', 'yesterday', '2022-13-01T00:00:00', '2022-02-31T00:00:00', '2022-02-06', 42, null])('rejects %s', (raw) => {
    expect(parseDexcomTimestamp(raw)).toBeUndefined();
  });

  it('reads back every ISO instant exactly, with or without milliseconds and offsets', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01Z'), max: new Date('2100-01-01Z'), noInvalidDate: true }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        (date, offsetMinutes) => {
          const iso = date.toISOString();
          expect(parseDexcomTimestamp(iso)).toBe(date.getTime());
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const withOffset = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(parseDexcomTimestamp(withOffset)).toBe(date.getTime());
        },
      ),
    );
  });
});
