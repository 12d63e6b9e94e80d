import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitIntoWindows } from '../../src/dates.js';
import type { DeliveredRecord } from '../../src/sync/checkpoint.js';
import { diffWindow, rememberDelivered } from '../../src/sync/delivered-index.js';
import { recordFingerprint } from '../../src/sync/record-fingerprint.js';
import { selectWindowRecords } from '../../src/sync/window-records.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);

/** The forms Dexcom mixes for the same instant. */
function format(ms: number, form: number): string {
  const iso = new Date(ms).toISOString();
  const local = new Date(ms - 8 * 3_600_000).toISOString().slice(0, 19);
  return [iso.slice(0, 19), `${iso.slice(0, 19)}Z`, `${iso.slice(0, 19)}+00:00`, iso, `${local}-08:00`][form % 5]!;
}

const record = (id: string, ms: number, form = 0, value = 100) => ({ recordId: id, systemTime: format(ms, form), value });

describe('selectWindowRecords', () => {
  it('orders a newest-first page, an oldest-first page and a shuffled one alike, equal times in response order', () => {
    const window = { start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-01-02T00:00:00Z') };
    const at = (id: string, minute: number) => ({ recordId: id, systemTime: `2024-01-01T00:${String(minute).padStart(2, '0')}:00` });
    const ascending = [at('a', 1), at('b', 2), at('c', 3), at('d', 4)];
    const ids = (records: readonly { recordId: string }[]) => records.map((r) => r.recordId).join('');
    expect(ids(selectWindowRecords(ascending, window).records)).toBe('abcd');
    expect(ids(selectWindowRecords([...ascending].reverse(), window).records)).toBe('abcd');
    expect(ids(selectWindowRecords([at('c', 3), at('a', 1), at('d', 4), at('b', 2)], window).records)).toBe('abcd');
    // Equal times: stable, in response order, whichever direction the rest runs.
    expect(ids(selectWindowRecords([at('d', 4), at('x', 2), at('y', 2), at('a', 1)], window).records)).toBe('axyd');
  });

  it('keeps the records whose systemTime is in [start, end), once per id (last copy wins), sorted, unreadable ones last', () => {
    const window = { start: new Date(T0), end: new Date(T0 + DAY) };
    const { records, unplacedIds } = selectWindowRecords(
      [
        record('end', T0 + DAY, 1),
        record('b', T0 + 10 * MINUTE, 4, 1),
        { recordId: 'x', systemTime: 'garbage', value: 0 },
        record('a', T0, 2),
        record('b', T0 + 10 * MINUTE, 0, 2),
        record('before', T0 - 1000, 3),
      ],
      window,
    );
    expect(records.map((r) => [r.recordId, r.value])).toEqual([['a', 100], ['b', 2], ['x', 0]]);
    expect([...unplacedIds]).toEqual(['x']);
  });

  it('property: consecutive windows partition the records, whatever the timestamp form and however much each response over-reaches', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ id: fc.string({ minLength: 1, maxLength: 6 }), at: fc.integer({ min: -5 * DAY, max: 100 * DAY }), form: fc.nat() }), {
          selector: (r) => r.id,
          maxLength: 80,
        }),
        fc.integer({ min: 1, max: 90 * DAY }),
        fc.constantFrom(1, 7, 30),
        fc.integer({ min: 0, max: 3 * DAY }),
        (specs, length, maxDays, slack) => {
          const start = new Date(T0);
          const end = new Date(T0 + Math.ceil(length / 1000) * 1000);
          const all = specs.map((s) => record(s.id, T0 + Math.floor(s.at / 1000) * 1000, s.form));
          const delivered: string[] = [];
          for (const window of splitIntoWindows(start, end, maxDays)) {
            // The server may return records around the window (inclusive bounds, clock slop, a mock).
            const response = all.filter((r) => {
              const t = Date.parse(r.systemTime.length === 19 ? `${r.systemTime}Z` : r.systemTime);
              return t >= window.start.getTime() - slack && t <= window.end.getTime() + slack;
            });
            const { records } = selectWindowRecords(response, window);
            const times = records.map((r) => Date.parse(r.systemTime.length === 19 ? `${r.systemTime}Z` : r.systemTime));
            expect(times).toEqual([...times].sort((a, b) => a - b));
            delivered.push(...records.map((r) => r.recordId));
          }
          const inRange = specs.filter((s) => T0 + Math.floor(s.at / 1000) * 1000 >= start.getTime() && T0 + Math.floor(s.at / 1000) * 1000 < end.getTime());
          expect(delivered.sort()).toEqual(inRange.map((s) => s.id).sort());
        },
      ),
    );
  });
});

describe('diffWindow and rememberDelivered', () => {
  const window = { start: new Date(T0), end: new Date(T0 + DAY) };
  const horizon = T0 + DAY - 3 * 3_600_000;
  const never = () => false;

  it('skips repeats, re-delivers changed records, routes deletions, and hashes only what it must', () => {
    const kept = record('kept', horizon + MINUTE);
    const changed = record('changed', horizon + 2 * MINUTE, 0, 150);
    const known = new Map<string, DeliveredRecord>([
      ['kept', ['kept', horizon + MINUTE, recordFingerprint(kept)]],
      ['changed', ['changed', horizon + 2 * MINUTE, recordFingerprint(record('changed', horizon + 2 * MINUTE, 0, 140))]],
    ]);
    const deleted = { ...record('gone', horizon + 3 * MINUTE), eventStatus: 'deleted' };
    const early = record('early', T0 + MINUTE);
    const { upserts, deletions, seen } = diffWindow([early, kept, changed, deleted], window, known, (r) => 'eventStatus' in r, horizon);
    expect(upserts.map((r) => r.recordId)).toEqual(['early', 'changed']);
    expect(deletions.map((r) => r.recordId)).toEqual(['gone']);
    // Only records the next run may read again are remembered.
    expect(seen.map((e) => e[0])).toEqual(['kept', 'changed', 'gone']);
  });

  it('property: delivering the same window twice delivers nothing the second time; a changed value comes back once', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: DAY / 1000 - 1 }), { maxLength: 60 }),
        fc.nat(),
        fc.integer({ min: 0, max: 2 * DAY }),
        (seconds, pick, overlapMs) => {
          const records = seconds.sort((a, b) => a - b).map((s) => record(`r${s}`, T0 + s * 1000));
          const from = window.end.getTime() - overlapMs;
          const first = diffWindow(records, window, new Map(), never, from);
          expect(first.upserts).toEqual(records);
          const known = rememberDelivered(new Map(), first.seen, from);
          for (const [, at] of known.values()) expect(at).toBeGreaterThanOrEqual(from);
          const again = diffWindow(records, window, known, never, from);
          const rememberedIds = new Set(known.keys());
          expect(again.upserts.map((r) => r.recordId)).toEqual(records.filter((r) => !rememberedIds.has(r.recordId)).map((r) => r.recordId));
          if (records.length === 0) return;
          const target = records[pick % records.length]!;
          const revised = records.map((r) => (r === target ? { ...r, value: 999 } : r));
          const third = diffWindow(revised, window, known, never, from);
          expect(third.upserts.some((r) => r.recordId === target.recordId && r.value === 999)).toBe(true);
        },
      ),
    );
  });

  it('rememberDelivered keeps the newest fingerprint per id, drops what is before the horizon, oldest first', () => {
    const known = new Map<string, DeliveredRecord>([
      ['a', ['a', 10, 'h1']],
      ['b', ['b', 30, 'h2']],
    ]);
    const next = rememberDelivered(known, [['b', 30, 'h3'], ['c', 20, 'h4']], 15);
    expect([...next.values()]).toEqual([['c', 20, 'h4'], ['b', 30, 'h3']]);
  });

  it('recordFingerprint ignores key order and undefined fields, and sees every value change', () => {
    expect(recordFingerprint({ a: 1, b: { c: [1, 'x'], d: null } })).toBe(recordFingerprint({ b: { d: null, c: [1, 'x'] }, a: 1, e: undefined }));
    expect(recordFingerprint({ a: 1 })).not.toBe(recordFingerprint({ a: '1' }));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), fc.jsonValue(), (object, key, value) => {
        fc.pre(JSON.stringify(object[key]) !== JSON.stringify(value) && !Object.is(object[key], value));
        fc.pre(!(key === '__proto__'));
        expect(recordFingerprint({ ...object, [key]: value })).not.toBe(recordFingerprint(object));
      }),
    );
  });
});
