import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataRangeResponse } from '../../src/index.js';
import { LAST_SYNC_TIME_MAX_AGE_MS, planDataRangeRequest, planSyncRange, type SyncRunState } from '../../src/sync/sync-plan.js';
import type { SyncRecordType } from '../../src/sync/record-types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const OVERLAP = 3 * HOUR;

const iso = (ms: number) => new Date(ms).toISOString();
const moment = (ms: number) => ({ systemTime: iso(ms).slice(0, 19), displayTime: `${iso(ms - 5 * HOUR).slice(0, 19)}-05:00` });
function range(bounds: Partial<Record<'egvs' | 'calibrations' | 'events', [number, number] | null>>): DataRangeResponse {
  const entry = (b: [number, number] | null | undefined) => (b ? { start: moment(b[0]), end: moment(b[1]) } : null);
  return { recordType: 'dataRange', recordVersion: '3.0', userId: 'u', egvs: entry(bounds.egvs), calibrations: entry(bounds.calibrations), events: entry(bounds.events) };
}
function state(overrides: Partial<SyncRunState> & { checkpoints?: Partial<Record<SyncRecordType, number>> } = {}): SyncRunState {
  const { checkpoints = {}, ...rest } = overrides;
  return {
    types: ['egvs', 'calibrations', 'events', 'alerts'],
    syncedUntil: new Map(Object.entries(checkpoints) as Array<[SyncRecordType, number]>),
    overlapMs: OVERLAP,
    startMs: undefined,
    nowMs: NOW,
    ...rest,
  };
}

describe('planDataRangeRequest', () => {
  it('asks without lastSyncTime on a first sync, with the earliest checkpoint when all are recent', () => {
    expect(planDataRangeRequest(state())).toEqual({ needed: true, lastSyncTime: undefined });
    const checkpoints = { egvs: NOW - HOUR, calibrations: NOW - 5 * HOUR, events: NOW - 2 * HOUR, alerts: NOW };
    expect(planDataRangeRequest(state({ checkpoints }))).toEqual({ needed: true, lastSyncTime: new Date(NOW - 5 * HOUR) });
  });

  it('leaves lastSyncTime out when a ranged type has no checkpoint or the checkpoint is 30 days old', () => {
    expect(planDataRangeRequest(state({ checkpoints: { egvs: NOW - HOUR, events: NOW - HOUR, alerts: NOW } })).lastSyncTime).toBeUndefined();
    const old = NOW - LAST_SYNC_TIME_MAX_AGE_MS;
    expect(planDataRangeRequest(state({ checkpoints: { egvs: NOW, calibrations: old, events: NOW, alerts: NOW } })).lastSyncTime).toBeUndefined();
    expect(planDataRangeRequest(state({ checkpoints: { egvs: NOW, calibrations: old + 1000, events: NOW, alerts: NOW } })).lastSyncTime).toEqual(new Date(old + 1000));
  });

  it('alerts alone: no dataRange once they have a checkpoint or a start, the absolute range before', () => {
    expect(planDataRangeRequest(state({ types: ['alerts'], checkpoints: { alerts: NOW - HOUR } }))).toEqual({ needed: false, lastSyncTime: undefined });
    expect(planDataRangeRequest(state({ types: ['alerts'], startMs: NOW - DAY }))).toEqual({ needed: false, lastSyncTime: undefined });
    expect(planDataRangeRequest(state({ types: ['alerts'] }))).toEqual({ needed: true, lastSyncTime: undefined });
    // A first alerts sync needs the absolute start, so no lastSyncTime even though egvs have a checkpoint.
    expect(planDataRangeRequest(state({ types: ['egvs', 'alerts'], checkpoints: { egvs: NOW } })).lastSyncTime).toBeUndefined();
  });

  it('property: lastSyncTime, when sent, is a whole second, within 30 days, and no later than any ranged checkpoint', () => {
    const type = fc.constantFrom<SyncRecordType>('egvs', 'calibrations', 'events', 'alerts');
    fc.assert(
      fc.property(
        fc.uniqueArray(type, { minLength: 1, maxLength: 4 }),
        fc.dictionary(type, fc.integer({ min: NOW - 60 * DAY, max: NOW + DAY })),
        fc.option(fc.integer({ min: NOW - 90 * DAY, max: NOW }), { nil: undefined }),
        (types, checkpoints, startMs) => {
          const s = state({ types, checkpoints, startMs });
          const { needed, lastSyncTime } = planDataRangeRequest(s);
          const ranged = types.filter((t) => t !== 'alerts');
          expect(needed).toBe(ranged.length > 0 || (!s.syncedUntil.has('alerts') && startMs === undefined && types.includes('alerts')));
          if (lastSyncTime === undefined) return;
          const at = lastSyncTime.getTime();
          expect(at % 1000).toBe(0);
          expect(NOW - at).toBeLessThan(LAST_SYNC_TIME_MAX_AGE_MS);
          expect(at).toBeLessThanOrEqual(NOW);
          for (const t of ranged) expect(at).toBeLessThanOrEqual(s.syncedUntil.get(t)!);
        },
      ),
    );
  });
});

describe('planSyncRange', () => {
  const data = range({ egvs: [NOW - 100 * DAY, NOW - 2 * HOUR], calibrations: null, events: [NOW - 50 * DAY, NOW - 30 * HOUR] });

  it('first sync: from the dataRange start to one second after its end', () => {
    expect(planSyncRange('egvs', state(), data, undefined)).toEqual({ kind: 'fetch', window: { start: new Date(NOW - 100 * DAY), end: new Date(NOW - 2 * HOUR + 1000) } });
    expect(planSyncRange('alerts', state(), data, undefined)).toEqual({ kind: 'fetch', window: { start: new Date(NOW - 100 * DAY), end: new Date(NOW) } });
  });

  it('with a checkpoint: from checkpoint minus overlap; skips when nothing ends after the checkpoint', () => {
    const s = state({ checkpoints: { egvs: NOW - 5 * HOUR, events: NOW - 30 * HOUR + 1000 } });
    expect(planSyncRange('egvs', s, data, undefined)).toEqual({ kind: 'fetch', window: { start: new Date(NOW - 8 * HOUR), end: new Date(NOW - 2 * HOUR + 1000) } });
    expect(planSyncRange('events', s, data, undefined)).toEqual({ kind: 'skip', reason: 'up-to-date' });
  });

  it('a type without data: no-data, and the checkpoint may move to now minus overlap; with lastSyncTime it is up-to-date', () => {
    expect(planSyncRange('calibrations', state(), data, undefined)).toEqual({ kind: 'skip', reason: 'no-data', advanceTo: new Date(NOW - OVERLAP) });
    expect(planSyncRange('calibrations', state({ checkpoints: { calibrations: NOW - HOUR } }), data, undefined)).toEqual({ kind: 'skip', reason: 'no-data' });
    expect(planSyncRange('calibrations', state({ checkpoints: { calibrations: NOW - DAY } }), data, new Date(NOW - DAY))).toEqual({ kind: 'skip', reason: 'up-to-date' });
  });

  it('never reads past now, even when the device clock runs ahead', () => {
    const ahead = range({ egvs: [NOW - DAY, NOW + 5 * HOUR] });
    expect(planSyncRange('egvs', state(), ahead, undefined)).toEqual({ kind: 'fetch', window: { start: new Date(NOW - DAY), end: new Date(NOW) } });
  });

  it('start is a floor on every run', () => {
    const s = state({ startMs: NOW - 10 * DAY + 500, checkpoints: { events: NOW - 40 * DAY } });
    expect(planSyncRange('egvs', s, data, undefined)).toMatchObject({ window: { start: new Date(NOW - 10 * DAY) } });
    expect(planSyncRange('events', s, data, undefined)).toMatchObject({ window: { start: new Date(NOW - 10 * DAY) } });
  });

  it('an unreadable end reads up to now; an unreadable start needs an explicit start', () => {
    const broken: DataRangeResponse = { ...data, egvs: { start: { systemTime: 'n/a', displayTime: 'n/a' }, end: { systemTime: 'n/a', displayTime: 'n/a' } } };
    expect(() => planSyncRange('egvs', state(), broken, undefined)).toThrow(/pass sync\(\{ start \}\)/);
    expect(planSyncRange('egvs', state({ startMs: NOW - DAY }), broken, undefined)).toEqual({ kind: 'fetch', window: { start: new Date(NOW - DAY), end: new Date(NOW) } });
  });

  it('property: a fetch range is non-empty, in whole seconds, ends by now, and starts at the overlap (or the floor) when there is a checkpoint', () => {
    const instant = fc.integer({ min: NOW - 200 * DAY, max: NOW + 2 * DAY });
    const bounds = fc.option(fc.tuple(instant, instant).map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a])), { nil: null });
    fc.assert(
      fc.property(
        fc.constantFrom<SyncRecordType>('egvs', 'calibrations', 'events', 'alerts'),
        fc.record({ egvs: bounds, calibrations: bounds, events: bounds }),
        fc.option(instant, { nil: undefined }),
        fc.option(instant, { nil: undefined }),
        fc.integer({ min: 0, max: 30 * 86_400 }).map((s) => s * 1000),
        fc.boolean(),
        (type, bounds, checkpoint, startMs, overlapMs, sinceSent) => {
          const s = state({ checkpoints: checkpoint === undefined ? {} : { [type]: checkpoint }, startMs, overlapMs });
          const plan = planSyncRange(type, s, range(bounds), sinceSent ? new Date(NOW - DAY) : undefined);
          if (plan.kind === 'skip') {
            if (plan.advanceTo) expect(plan.advanceTo.getTime()).toBe(NOW - overlapMs);
            return;
          }
          const { start, end } = plan.window;
          expect(start.getTime()).toBeLessThan(end.getTime());
          expect(start.getTime() % 1000).toBe(0);
          expect(end.getTime() % 1000).toBe(0);
          expect(end.getTime()).toBeLessThanOrEqual(NOW);
          if (checkpoint !== undefined) {
            expect(end.getTime()).toBeGreaterThan(checkpoint);
            expect(start.getTime()).toBe(Math.floor(Math.max(checkpoint - overlapMs, startMs ?? -Infinity) / 1000) * 1000);
          } else if (type !== 'alerts') {
            // A first sync covers the whole reported range (from the floor when one is given).
            const [first, last] = bounds[type]!;
            expect(start.getTime()).toBe(Math.floor(Math.max(first, startMs ?? -Infinity) / 1000) * 1000);
            expect(end.getTime()).toBe(Math.min(Math.floor(last / 1000) * 1000 + 1000, NOW));
          }
        },
      ),
    );
  });
});
