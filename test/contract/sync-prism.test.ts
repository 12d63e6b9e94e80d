import { describe, expect, it } from 'vitest';
import { type AnySyncBatch, MemoryCheckpointStore, parseDexcomTimestamp } from '../../src/index.js';
import { prismClient } from './client.js';

/**
 * iterate and sync through Prism, which validates every request (startDate/endDate and lastSyncTime
 * patterns, bearer token) and every response against the spec. Prism's static examples return the
 * same records for every window, so these tests also prove the dedupe: each recordId comes once,
 * in the one window that holds its systemTime.
 */
function spiedClient() {
  const requests: URL[] = [];
  const dexcom = prismClient({
    fetch: async (input, init) => {
      const request = new Request(input, init);
      requests.push(new URL(request.url));
      return fetch(request);
    },
  });
  return { dexcom, requests };
}

const EGV_IDS = ['1ddcb33f-c35b-47e2-b4bf-396bae5ea246', 'e3d3ffc8-06e3-4974-a825-e1f6c9e96dde', 'a006d860-e1cc-43c8-a09b-ec77d2159857', 'c8a44190-07de-401d-a4b6-1e9b89675b8a'];

describe('iterate against the Prism mock', () => {
  it('walks 90 days in 3 valid requests and yields the example EGVs once each, in time order', async () => {
    const { dexcom, requests } = spiedClient();
    const egvs = [];
    for await (const egv of dexcom.iterate('egvs', { start: new Date('2022-01-01T00:00:00Z'), end: new Date('2022-04-01T00:00:00Z'), concurrency: 3 })) egvs.push(egv);
    expect(requests.map((u) => `${u.searchParams.get('startDate')}..${u.searchParams.get('endDate')}`)).toEqual([
      '2022-01-01T00:00:00..2022-01-31T00:00:00',
      '2022-01-31T00:00:00..2022-03-02T00:00:00',
      '2022-03-02T00:00:00..2022-04-01T00:00:00',
    ]);
    expect(egvs.map((e) => e.recordId)).toEqual(EGV_IDS);
    const times = egvs.map((e) => parseDexcomTimestamp(e.systemTime)!);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('windows() of alerts: every window is requested, the alerts land in the one holding them', async () => {
    const batches = [];
    for await (const batch of spiedClient().dexcom.iterate('alerts', { start: new Date('2022-11-01T00:00:00Z'), end: new Date('2022-12-31T00:00:00Z') }).windows()) batches.push(batch);
    expect(batches.map((b) => b.records.length)).toEqual([0, 3]);
    expect(new Set(batches[1]!.records.map((a) => a.recordId)).size).toBe(3);
  });
});

describe('sync against the Prism mock', () => {
  it('first sync walks the dataRange of each type; every recordId comes once and the deleted event as a deletion', async () => {
    const { dexcom, requests } = spiedClient();
    const batches: AnySyncBatch[] = [];
    const report = await dexcom.sync({
      checkpointStore: new MemoryCheckpointStore(),
      handler: (batch) => void batches.push(batch),
      now: () => new Date('2022-12-06T00:00:00Z'),
    });
    expect(requests[0]!.pathname).toMatch(/\/dataRange$/);
    expect(requests[0]!.search).toBe('');
    // dataRange says egvs run from 2022-02-06T09:12:35 to 2022-12-05T23:57:35Z: 303 days, 11 windows.
    expect(report.types.map((t) => [t.type, t.status, t.windows])).toEqual([
      ['egvs', 'synced', 11],
      ['calibrations', 'synced', 1],
      ['events', 'synced', 11],
      ['alerts', 'synced', 11],
    ]);
    const upserts = (type: string) => batches.filter((b) => b.type === type).flatMap((b): Array<{ recordId: string }> => b.upserts).map((r) => r.recordId);
    expect(upserts('egvs')).toEqual(EGV_IDS);
    expect(upserts('calibrations')).toHaveLength(2);
    expect(upserts('alerts')).toHaveLength(3);
    expect(upserts('events')).toHaveLength(4);
    const deletions = batches.flatMap((b): Array<{ recordId: string; eventStatus?: string }> => b.deletions);
    expect(deletions).toEqual([expect.objectContaining({ recordId: '61143b3a-697a-4593-acd6-124b80dfe772', eventStatus: 'deleted' })]);
    for (const type of ['egvs', 'events', 'alerts']) expect(new Set(upserts(type)).size).toBe(upserts(type).length);
  });

  it('the next sync sends lastSyncTime with a Z (accepted by the spec) and, with nothing new, reads no window', async () => {
    const { dexcom, requests } = spiedClient();
    const checkpointStore = new MemoryCheckpointStore();
    const options = { types: ['egvs', 'events'] as const, checkpointStore, handler: () => undefined };
    await dexcom.sync({ ...options, now: () => new Date('2022-12-06T00:00:00Z') });
    requests.length = 0;
    const report = await dexcom.sync({ ...options, now: () => new Date('2022-12-06T01:00:00Z') });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.searchParams.get('lastSyncTime')).toBe('2022-12-05T20:12:45Z');
    expect(report.types.map((t) => t.status)).toEqual(['up-to-date', 'up-to-date']);
  });
});
