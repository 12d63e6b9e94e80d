import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AnySyncBatch,
  type CheckpointStore,
  DexcomAbortError,
  DexcomApiClient,
  DexcomValidationError,
  FileCheckpointStore,
  MemoryCheckpointStore,
  parseDexcomTimestamp,
  type SyncOptions,
} from '../../src/index.js';
import { FakeDexcomData, type FakeDexcomServer, type FakeDexcomServerOptions, startFakeDexcomServer } from '../support/fake-dexcom-server.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const END = new Date('2024-06-01T00:00:00Z');
const START = new Date(END.getTime() - 400 * DAY);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function fake(options: Partial<FakeDexcomServerOptions> = {}) {
  const server = await startFakeDexcomServer({ dataStart: START, dataEnd: END, ...options });
  cleanups.push(() => server.close());
  return { server, dexcom: new DexcomApiClient({ baseUrl: server.url, accessToken: 'fake-token' }) };
}

async function tempDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'dexcom-sync-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/** A handler that records every batch, plus the ids delivered per type. */
function recorder() {
  const batches: AnySyncBatch[] = [];
  const upserted = new Map<string, string[]>();
  const deleted: string[] = [];
  const handler = (batch: AnySyncBatch) => {
    batches.push(batch);
    const ids = upserted.get(batch.type) ?? [];
    ids.push(...batch.upserts.map((r) => r.recordId));
    upserted.set(batch.type, ids);
    deleted.push(...batch.deletions.map((r) => r.recordId));
  };
  return { batches, upserted, deleted, handler };
}

/** A store that counts writes, around a memory store. */
function countingStore(inner: CheckpointStore = new MemoryCheckpointStore()) {
  const writes: string[] = [];
  const store: CheckpointStore = {
    get: (key) => inner.get(key),
    set: async (key, checkpoint) => {
      writes.push(`${key.type}@${checkpoint.syncedUntil}`);
      await inner.set(key, checkpoint);
    },
  };
  return { store, writes, inner };
}

const idsIn = (type: 'egvs' | 'events', from: number, to: number, data: FakeDexcomData) => data.timesIn(type, from, to).map((t) => FakeDexcomData.recordIdOf(type, t));
function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => seen.has(id) || (seen.add(id), false));
}

describe('dexcom.sync: first run', () => {
  it('walks the dataRange of every type once, window by window, moving the checkpoint after each', async () => {
    const { server, dexcom } = await fake();
    const { store, writes } = countingStore();
    const sink = recorder();
    const report = await dexcom.sync({ checkpointStore: store, handler: sink.handler, now: () => END });
    expect(server.requests[0]).toMatchObject({ kind: 'dataRange', query: {} });
    expect(server.requests.filter((r) => r.kind === 'egvs')).toHaveLength(14);
    expect(server.requests).toHaveLength(1 + 4 * 14);
    const expected = { egvs: 400 * 288, calibrations: 800, events: 1600, alerts: 1200 };
    for (const [type, count] of Object.entries(expected)) {
      const ids = sink.upserted.get(type)!;
      expect(ids).toHaveLength(count);
      expect(new Set(ids).size).toBe(count);
    }
    expect(sink.batches.map((b) => b.type)).toEqual([...Array(14).fill('egvs'), ...Array(14).fill('calibrations'), ...Array(14).fill('events'), ...Array(14).fill('alerts')]);
    expect(writes).toHaveLength(4 * 14);
    expect(report.lastSyncTime).toBeUndefined();
    expect(report.types.map((t) => [t.type, t.status, t.windows, t.syncedUntil?.toISOString()])).toEqual([
      ['egvs', 'synced', 14, '2024-05-31T23:55:01.000Z'],
      ['calibrations', 'synced', 14, '2024-05-31T12:07:12.000Z'],
      ['events', 'synced', 14, '2024-05-31T19:35:13.000Z'],
      ['alerts', 'synced', 14, '2024-06-01T00:00:00.000Z'],
    ]);
  });

  it('start limits the first sync and is a floor afterwards', async () => {
    const { server, dexcom } = await fake();
    const sink = recorder();
    const start = new Date(END.getTime() - 2 * DAY);
    await dexcom.sync({ types: ['egvs', 'alerts'], start, checkpointStore: new MemoryCheckpointStore(), handler: sink.handler, now: () => END });
    expect(sink.upserted.get('egvs')).toHaveLength(2 * 288);
    expect(sink.upserted.get('alerts')).toHaveLength(6);
    expect(server.requests.map((r) => r.kind)).toEqual(['dataRange', 'egvs', 'alerts']);
  });
});

describe('dexcom.sync: incremental runs', () => {
  async function afterFirstSync(types: SyncOptions['types'] = ['egvs', 'calibrations', 'events', 'alerts']) {
    const context = await fake();
    const checkpointStore = new MemoryCheckpointStore();
    const start = new Date(END.getTime() - 10 * DAY);
    await context.dexcom.sync({ types, start, checkpointStore, handler: () => undefined, now: () => END });
    context.server.resetCounters();
    return { ...context, checkpointStore, start };
  }

  it('with nothing new: asks dataRange with lastSyncTime = checkpoint (UTC with Z) and reads no EGV, calibration or event window', async () => {
    const { server, dexcom, checkpointStore, start } = await afterFirstSync();
    const sink = recorder();
    const later = new Date(END.getTime() + 10 * MINUTE);
    const report = await dexcom.sync({ start, checkpointStore, handler: sink.handler, now: () => later });
    // The earliest checkpoint of the dataRange types: calibrations, last at 12:07:11.
    expect(server.requests[0]).toEqual({ kind: 'dataRange', query: { lastSyncTime: '2024-05-31T12:07:12Z' }, status: 200 });
    // Alerts have no dataRange entry: they are read by time, the overlap and the 10 new minutes.
    expect(server.requests.slice(1)).toEqual([
      { kind: 'alerts', query: { startDate: '2024-05-31T21:00:00', endDate: '2024-06-01T00:10:00' }, status: 200 },
    ]);
    expect(report.types.map((t) => t.status)).toEqual(['up-to-date', 'up-to-date', 'up-to-date', 'synced']);
    expect(sink.batches).toEqual([expect.objectContaining({ type: 'alerts', upserts: [], deletions: [] })]);
  });

  it('re-reads the overlap: new records come once, a revised value comes again as an upsert, a deleted event as a deletion', async () => {
    const { server, dexcom, checkpointStore, start } = await afterFirstSync();
    const revisedAt = END.getTime() - HOUR; // inside the 3-hour overlap before the EGV checkpoint
    const revisedId = FakeDexcomData.recordIdOf('egvs', revisedAt);
    server.data.revise(revisedId, { value: 333, trend: 'doubleUp' });
    const deletedAt = server.data.timesIn('events', END.getTime() - 6 * HOUR, END.getTime()).at(-1)!;
    const deletedId = FakeDexcomData.recordIdOf('events', deletedAt);
    server.data.deleteEvent(deletedId);
    const newEnd = new Date(END.getTime() + 6 * HOUR);
    server.data.setDataEnd(newEnd);
    const sink = recorder();
    const report = await dexcom.sync({ start, checkpointStore, handler: sink.handler, now: () => newEnd });

    expect(server.requests[0]!.query.lastSyncTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const egvRequests = server.requests.filter((r) => r.kind === 'egvs');
    expect(egvRequests).toEqual([{ kind: 'egvs', query: { startDate: '2024-05-31T20:55:01', endDate: '2024-06-01T05:55:01' }, status: 200 }]);
    const newEgvs = idsIn('egvs', END.getTime(), newEnd.getTime(), server.data);
    expect(sink.upserted.get('egvs')).toEqual([revisedId, ...newEgvs]);
    const revised = sink.batches.flatMap((b): Array<{ recordId: string }> => b.upserts).find((r) => r.recordId === revisedId);
    expect(revised).toMatchObject({ value: 333, trend: 'doubleUp' });
    expect(sink.deleted).toEqual([deletedId]);
    expect(sink.batches.find((b) => b.type === 'events')!.deletions[0]).toMatchObject({ recordId: deletedId, eventStatus: 'deleted' });
    expect(sink.upserted.get('events')).toEqual(idsIn('events', END.getTime(), newEnd.getTime(), server.data));
    expect(report.types.find((t) => t.type === 'events')).toMatchObject({ status: 'synced', upserts: 1, deletions: 1 });

    // Run again: every version was delivered once, so the overlap brings nothing twice.
    server.data.setDataEnd(new Date(newEnd.getTime() + 5 * MINUTE));
    const again = recorder();
    await dexcom.sync({ start, checkpointStore, handler: again.handler, now: () => new Date(newEnd.getTime() + 5 * MINUTE) });
    expect(again.upserted.get('egvs')).toEqual([FakeDexcomData.recordIdOf('egvs', newEnd.getTime())]);
    expect(again.deleted).toEqual([]);
  });

  it('a checkpoint older than 30 days: dataRange without lastSyncTime, then a walk from the checkpoint', async () => {
    const { server, dexcom, checkpointStore, start } = await afterFirstSync(['egvs']);
    const muchLater = new Date(END.getTime() + 45 * DAY);
    server.data.setDataEnd(muchLater);
    const sink = recorder();
    const report = await dexcom.sync({ types: ['egvs'], start, checkpointStore, handler: sink.handler, now: () => muchLater });
    expect(server.requests[0]).toEqual({ kind: 'dataRange', query: {}, status: 200 });
    expect(report.lastSyncTime).toBeUndefined();
    expect(server.requests.slice(1).map((r) => r.query.startDate)).toEqual(['2024-05-31T20:55:01', '2024-06-30T20:55:01']);
    expect(sink.upserted.get('egvs')).toEqual(idsIn('egvs', END.getTime(), muchLater.getTime(), server.data));
  });

  it('keeps one checkpoint per userKey', async () => {
    const { server, dexcom } = await fake();
    const checkpointStore = new MemoryCheckpointStore();
    const start = new Date(END.getTime() - DAY);
    const options = { types: ['egvs'] as const, start, checkpointStore, handler: () => undefined, now: () => END };
    await dexcom.sync({ ...options, userKey: 'patient-1' });
    await dexcom.sync({ ...options, userKey: 'patient-2' });
    expect(server.requests.map((r) => r.kind)).toEqual(['dataRange', 'egvs', 'dataRange', 'egvs']);
    expect(await checkpointStore.get({ userKey: 'patient-1', type: 'egvs' })).toEqual(await checkpointStore.get({ userKey: 'patient-2', type: 'egvs' }));
    expect(await checkpointStore.get({ userKey: 'self', type: 'egvs' })).toBeUndefined();
  });
});

describe('dexcom.sync: crash and abort', () => {
  const K = 5; // the window that is interrupted (0-based)

  it('an abort while window k is being fetched resumes at window k: no gap and no id delivered twice', async () => {
    const controller = new AbortController();
    let egvRequests = 0;
    const { server, dexcom } = await fake({
      onRequest: async (request) => {
        if (request.kind === 'egvs' && ++egvRequests === K + 1 && !controller.signal.aborted) {
          controller.abort(new Error('deploy'));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
    });
    const checkpointStore = new FileCheckpointStore({ directory: await tempDirectory() });
    const sink = recorder();
    const options = { types: ['egvs'] as const, checkpointStore, handler: sink.handler, now: () => END };
    await expect(dexcom.sync({ ...options, signal: controller.signal })).rejects.toThrow(DexcomAbortError);
    const checkpoint = await checkpointStore.get({ userKey: 'self', type: 'egvs' });
    const windowKStart = START.getTime() + K * 30 * DAY;
    expect(checkpoint?.syncedUntil).toBe(new Date(windowKStart).toISOString());
    expect(sink.batches).toHaveLength(K);

    server.resetCounters();
    await dexcom.sync(options);
    // Resumes at window k, minus the overlap (whose records the checkpoint already knows).
    expect(server.requests[1]!.query.startDate).toBe(new Date(windowKStart - 3 * HOUR).toISOString().slice(0, 19));
    const all = sink.upserted.get('egvs')!;
    expect(duplicates(all)).toEqual([]);
    expect(new Set(all)).toEqual(new Set(idsIn('egvs', START.getTime(), END.getTime(), server.data)));
  });

  it('a handler that fails in window k: window k is delivered again with the same ids, nothing else twice', async () => {
    const { server, dexcom } = await fake();
    const checkpointStore = new FileCheckpointStore({ directory: await tempDirectory() });
    const sink = recorder();
    let windowK: string[] = [];
    const crashing = (batch: AnySyncBatch) => {
      sink.handler(batch);
      if (sink.batches.length === K + 1) {
        windowK = batch.upserts.map((r) => r.recordId);
        throw new Error('database connection lost');
      }
    };
    const options = { types: ['egvs'] as const, checkpointStore, now: () => END, concurrency: 3 };
    await expect(dexcom.sync({ ...options, handler: crashing })).rejects.toThrow('database connection lost');
    expect((await checkpointStore.get({ userKey: 'self', type: 'egvs' }))?.syncedUntil).toBe(new Date(START.getTime() + K * 30 * DAY).toISOString());

    await dexcom.sync({ ...options, handler: sink.handler });
    const all = sink.upserted.get('egvs')!;
    expect(windowK).toHaveLength(30 * 288);
    expect(new Set(duplicates(all))).toEqual(new Set(windowK));
    expect(duplicates(all)).toHaveLength(windowK.length);
    expect(new Set(all)).toEqual(new Set(idsIn('egvs', START.getTime(), END.getTime(), server.data)));
  });

  it('an abort while the handler runs: the window finishes, its checkpoint is kept, the sync stops', async () => {
    const { dexcom } = await fake({ latencyMs: 5 });
    const controller = new AbortController();
    const checkpointStore = new MemoryCheckpointStore();
    const sink = recorder();
    const handler = async (batch: AnySyncBatch) => {
      sink.handler(batch);
      if (sink.batches.length === K + 1) controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 1));
    };
    const options = { types: ['egvs'] as const, checkpointStore, now: () => END, concurrency: 2 };
    await expect(dexcom.sync({ ...options, handler, signal: controller.signal })).rejects.toThrow(DexcomAbortError);
    expect((await checkpointStore.get({ userKey: 'self', type: 'egvs' }))?.syncedUntil).toBe(new Date(START.getTime() + (K + 1) * 30 * DAY).toISOString());
    await dexcom.sync({ ...options, handler: sink.handler });
    expect(duplicates(sink.upserted.get('egvs')!)).toEqual([]);
    expect(sink.upserted.get('egvs')).toHaveLength(400 * 288);
  });

  it('with concurrency the handler still runs in time order, one window at a time, and requests stay within the bound', async () => {
    const { server, dexcom } = await fake({ latencyMs: 10 });
    const order: number[] = [];
    let running = 0;
    await dexcom.sync({
      types: ['egvs'],
      concurrency: 4,
      checkpointStore: new MemoryCheckpointStore(),
      now: () => END,
      handler: async (batch) => {
        expect(++running).toBe(1);
        order.push(batch.window.start.getTime());
        await new Promise((resolve) => setTimeout(resolve, 2));
        running--;
      },
    });
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order).toHaveLength(14);
    expect(server.maxInFlight).toBeLessThanOrEqual(4);
    expect(server.maxInFlight).toBeGreaterThan(1);
  });
});

describe('dexcom.sync: bad input', () => {
  it('throws a DexcomValidationError before any request or store access', async () => {
    const { server, dexcom } = await fake();
    const { store, writes } = countingStore();
    let reads = 0;
    const checkpointStore: CheckpointStore = { get: async (key) => (reads++, store.get(key)), set: store.set };
    const ok: SyncOptions = { checkpointStore, handler: () => undefined };
    const bad: unknown[] = [
      undefined,
      { ...ok, checkpointStore: undefined },
      { ...ok, checkpointStore: { get: async () => undefined } },
      { ...ok, handler: 'save' },
      { ...ok, types: [] },
      { ...ok, types: ['egvs', 'glucose'] },
      { ...ok, types: ['egvs', 'egvs'] },
      { ...ok, types: 'egvs' },
      { ...ok, overlapMs: -1 },
      { ...ok, overlapMs: Number.NaN },
      { ...ok, overlapMs: 31 * DAY },
      { ...ok, overlapMs: '3h' },
      { ...ok, concurrency: 0 },
      { ...ok, concurrency: 2.5 },
      { ...ok, start: new Date('invalid') },
      { ...ok, start: '2024-01-01' },
      { ...ok, userKey: '' },
      { ...ok, now: 'now' },
      { ...ok, signal: {} },
    ];
    for (const options of bad) await expect(dexcom.sync(options as SyncOptions)).rejects.toThrow(DexcomValidationError);
    await expect(dexcom.sync({ ...ok, now: () => new Date('bad') })).rejects.toThrow(DexcomValidationError);
    expect(server.requests).toHaveLength(0);
    expect(reads).toBe(0);
    expect(writes).toHaveLength(0);
  });

  it('refuses to resume from a stored value that is not a checkpoint', async () => {
    const { server, dexcom } = await fake();
    const checkpointStore: CheckpointStore = { get: async () => ({ syncedUntil: 'yesterday' }) as never, set: async () => undefined };
    await expect(dexcom.sync({ checkpointStore, handler: () => undefined })).rejects.toThrow(/not a sync checkpoint/);
    expect(server.requests).toHaveLength(0);
  });

  it('parses the times it compares leniently (sanity check of the fake data forms)', () => {
    const data = new FakeDexcomData({ dataStart: START, dataEnd: END });
    for (const type of ['egvs', 'calibrations', 'events', 'alerts'] as const) {
      const [first] = data.recordsIn(type, START.getTime(), START.getTime() + DAY);
      expect(parseDexcomTimestamp(first!.systemTime)).toBe(data.timesIn(type, START.getTime(), START.getTime() + DAY)[0]);
    }
  });
});
