import type { Egv } from '../../../generated/types.gen.js';
import type { CheckpointKey, CheckpointStore, SyncCheckpoint } from '../../sync/checkpoint.js';
import type { RecordSource } from '../../sync/record-source.js';
import { SYNC_RECORD_TYPES, type SyncRecordMap, type SyncRecordType } from '../../sync/record-types.js';
import { syncRecords } from '../../sync/sync.js';

/**
 * The test functions the suite registers its cases with: vitest's or jest's as they are, or
 * node:test's `describe`/`it` with any `expect` that has `toEqual` and `toBe`. Only these are used,
 * so the package needs no test framework at run time.
 *
 * @example
 * import { describe, it, expect } from 'vitest';
 * const api: CheckpointStoreConformanceApi = { describe, it, expect };
 */
export interface CheckpointStoreConformanceApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
  expect(actual: unknown): { toEqual(expected: unknown): void; toBe(expected: unknown): void };
  /** Accepted for symmetry with the other suites; each case sets up and cleans up its own fixture. */
  beforeEach?: unknown;
  /** Accepted for symmetry with the other suites; each case sets up and cleans up its own fixture. */
  afterEach?: unknown;
}

/**
 * A store under test, fresh for each case (its own directory, schema or key prefix).
 *
 * @example
 * const fixture: CheckpointStoreFixture = { store: new MemoryCheckpointStore() };
 */
export interface CheckpointStoreFixture {
  /** The store, empty. */
  readonly store: CheckpointStore;
  /** A second store over the same data, as another process would open it. Omit for in-memory stores. */
  readonly reopen?: () => CheckpointStore | Promise<CheckpointStore>;
  /**
   * Makes the backend fail (connection dropped, directory gone) until `healBackend()`. Omit when the
   * store cannot be broken from outside; the fault cases are then skipped.
   */
  readonly breakBackend?: () => Promise<void>;
  /** Undoes `breakBackend()`. */
  readonly healBackend?: () => Promise<void>;
  /** Frees what the fixture holds: close stores, drop the schema, remove the directory. */
  readonly cleanup?: () => Promise<void>;
}

const checkpoint = (syncedUntil: string, delivered: SyncCheckpoint['delivered'] = []): SyncCheckpoint => ({ version: 1, syncedUntil, delivered });

/** Keys that are easy to get wrong: case, path characters, quotes, non-ASCII, the longest allowed. */
const AWKWARD_USER_KEYS = ['patient', 'Patient', '../patient', 'a/b\\c', 'a.egvs', "o'brien\"; DROP TABLE x; --", 'пациент-42', '患者 🩸', ' ', 'k'.repeat(200)];

/**
 * Registers the {@link CheckpointStore} conformance cases under `describe(name)`: what every store
 * must do for `sync` to resume without a gap (per-key isolation, whole replacement, copies,
 * validation, concurrent writes, durability across instances, typed errors that leave the previous
 * checkpoint, and a checkpoint that never moves past a window the handler did not finish).
 * `makeFixture` is called once per case.
 *
 * @example
 * import { describe, it, expect } from 'vitest';
 * checkpointStoreConformance({ describe, it, expect }, 'MyCheckpointStore', async () => ({ store: new MyCheckpointStore() }));
 */
export function checkpointStoreConformance(
  api: CheckpointStoreConformanceApi,
  name: string,
  makeFixture: () => CheckpointStoreFixture | Promise<CheckpointStoreFixture>,
): void {
  const { describe, it, expect } = api;
  const withFixture = async (body: (fixture: CheckpointStoreFixture) => Promise<void>): Promise<void> => {
    const fixture = await makeFixture();
    try {
      await body(fixture);
    } finally {
      await fixture.cleanup?.();
    }
  };
  const rejection = async (promise: Promise<unknown>): Promise<{ code?: unknown; retryable?: unknown }> => {
    const outcome = await promise.then(
      () => ({ resolved: true as const }),
      (error: unknown) => ({ resolved: false as const, error }),
    );
    expect(outcome.resolved).toBe(false);
    return (outcome.resolved ? {} : outcome.error) as { code?: unknown; retryable?: unknown };
  };

  describe(`CheckpointStore conformance: ${name}`, () => {
    it('has no checkpoint before the first set, for any user and type', () =>
      withFixture(async ({ store }) => {
        for (const type of SYNC_RECORD_TYPES) expect(await store.get({ userKey: 'never-synced', type })).toBe(undefined);
      }));

    it('returns what was saved, and a later set replaces it whole (also an earlier syncedUntil)', () =>
      withFixture(async ({ store }) => {
        const key: CheckpointKey = { userKey: 'patient-1', type: 'egvs' };
        const first = checkpoint('2024-06-01T00:00:00.000Z', [
          ['egvs-1717199700000', 1717199700000, 'AAAAAAAAAAAAAAAA'],
          ['ünïcödé-id 🩸', 1717200000000, 'q2Xz0V9Yk1c3bA7e'],
        ]);
        await store.set(key, first);
        expect(await store.get(key)).toEqual(first);
        const second = checkpoint('2024-05-01T12:34:56.000Z', [['egvs-2', 1714566896000, 'BBBBBBBBBBBBBBBB']]);
        await store.set(key, second);
        expect(await store.get(key)).toEqual(second);
        await store.set(key, checkpoint('2024-05-02T00:00:00.000Z'));
        expect(await store.get(key)).toEqual(checkpoint('2024-05-02T00:00:00.000Z'));
      }));

    it('keeps one checkpoint per userKey and type, for awkward keys too', () =>
      withFixture(async ({ store }) => {
        const expected = new Map<string, SyncCheckpoint>();
        let minute = 0;
        for (const userKey of AWKWARD_USER_KEYS) {
          for (const type of SYNC_RECORD_TYPES) {
            const value = checkpoint(new Date(Date.UTC(2024, 0, 1, 0, minute++)).toISOString());
            expected.set(JSON.stringify([userKey, type]), value);
            await store.set({ userKey, type }, value);
          }
        }
        for (const userKey of AWKWARD_USER_KEYS) {
          for (const type of SYNC_RECORD_TYPES) expect(await store.get({ userKey, type })).toEqual(expected.get(JSON.stringify([userKey, type])));
        }
      }));

    it('hands out copies: changing a saved or returned object changes nothing stored', () =>
      withFixture(async ({ store }) => {
        const key: CheckpointKey = { userKey: 'patient-1', type: 'events' };
        const saved = { version: 1 as const, syncedUntil: '2024-06-01T00:00:00.000Z', delivered: [['e-1', 1717199700000, 'AAAAAAAAAAAAAAAA'] as const] };
        await store.set(key, saved);
        (saved as { syncedUntil: string }).syncedUntil = '2030-01-01T00:00:00.000Z';
        const read = (await store.get(key)) as unknown as { syncedUntil: string; delivered: unknown[] };
        read.syncedUntil = '2031-01-01T00:00:00.000Z';
        read.delivered.length = 0;
        expect(await store.get(key)).toEqual(checkpoint('2024-06-01T00:00:00.000Z', [['e-1', 1717199700000, 'AAAAAAAAAAAAAAAA']]));
      }));

    it('refuses a bad key or a value that is not a checkpoint with a validation error, keeping what was saved', () =>
      withFixture(async ({ store }) => {
        const key: CheckpointKey = { userKey: 'patient-1', type: 'alerts' };
        const good = checkpoint('2024-06-01T00:00:00.000Z');
        await store.set(key, good);
        const badKeys = [{ userKey: '', type: 'egvs' }, { userKey: 'k'.repeat(201), type: 'egvs' }, { userKey: 'p', type: 'glucose' }, null];
        for (const bad of badKeys) {
          expect((await rejection(store.get(bad as never))).code).toBe('validation');
          expect((await rejection(store.set(bad as never, good))).code).toBe('validation');
        }
        const badValues = [{ version: 2, syncedUntil: good.syncedUntil, delivered: [] }, { version: 1, syncedUntil: 'yesterday', delivered: [] }, { version: 1, syncedUntil: good.syncedUntil }, 'text'];
        for (const bad of badValues) expect((await rejection(store.set(key, bad as never))).code).toBe('validation');
        expect(await store.get(key)).toEqual(good);
      }));

    it('concurrent sets of one key leave one whole checkpoint of those written; of many keys, all of them', () =>
      withFixture(async ({ store }) => {
        const times = Array.from({ length: 16 }, (_, i) => new Date(Date.UTC(2024, 0, 1, i)).toISOString());
        const key: CheckpointKey = { userKey: 'patient-1', type: 'egvs' };
        await Promise.all(times.map((t) => store.set(key, checkpoint(t, [[`id-${t}`, Date.parse(t), 'AAAAAAAAAAAAAAAA']]))));
        const final = await store.get(key);
        const index = times.indexOf(final?.syncedUntil ?? '');
        expect(index >= 0).toBe(true);
        expect(final).toEqual(checkpoint(times[index]!, [[`id-${times[index]}`, Date.parse(times[index]!), 'AAAAAAAAAAAAAAAA']]));
        await Promise.all(times.map((t, i) => store.set({ userKey: `user-${i}`, type: 'calibrations' }, checkpoint(t))));
        for (const [i, t] of times.entries()) expect(await store.get({ userKey: `user-${i}`, type: 'calibrations' })).toEqual(checkpoint(t));
      }));

    it('a saved checkpoint is there for another instance (another process) once set resolved', () =>
      withFixture(async ({ store, reopen }) => {
        if (!reopen) return;
        const value = checkpoint('2024-06-01T00:00:00.000Z', [['egvs-1', 1717199700000, 'AAAAAAAAAAAAAAAA']]);
        await store.set({ userKey: 'patient-1', type: 'egvs' }, value);
        const other = await reopen();
        expect(await other.get({ userKey: 'patient-1', type: 'egvs' })).toEqual(value);
        await other.set({ userKey: 'patient-1', type: 'egvs' }, checkpoint('2024-06-02T00:00:00.000Z'));
        expect(await store.get({ userKey: 'patient-1', type: 'egvs' })).toEqual(checkpoint('2024-06-02T00:00:00.000Z'));
      }));

    it('a failing backend is a retryable checkpoint_store error, and the previous checkpoint stays', () =>
      withFixture(async ({ store, breakBackend, healBackend }) => {
        if (!breakBackend || !healBackend) return;
        const key: CheckpointKey = { userKey: 'patient-1', type: 'egvs' };
        const before = checkpoint('2024-06-01T00:00:00.000Z');
        await store.set(key, before);
        await breakBackend();
        try {
          const failed = await rejection(store.set(key, checkpoint('2024-06-02T00:00:00.000Z')));
          expect([failed.code, failed.retryable]).toEqual(['checkpoint_store', true]);
          expect((await rejection(store.get(key))).code).toBe('checkpoint_store');
        } finally {
          await healBackend();
        }
        expect(await store.get(key)).toEqual(before);
      }));

    it('under sync, the checkpoint never moves past a window the handler did not finish', () =>
      withFixture(async ({ store }) => {
        const start = new Date('2024-01-01T00:00:00Z');
        const end = new Date('2024-03-01T00:00:00Z');
        const source = hourlyEgvs(start, end);
        const windowEnds: string[] = [];
        const options = { checkpointStore: store, userKey: 'patient-1', types: ['egvs'] as const, start, now: () => end };
        const failing = syncRecords(source, {
          ...options,
          handler: ({ window }) => {
            if (windowEnds.length === 1) throw new Error('the database of the app is down');
            windowEnds.push(window.end.toISOString());
          },
        });
        expect((await rejection(failing)) instanceof Error).toBe(true);
        expect((await store.get({ userKey: 'patient-1', type: 'egvs' }))?.syncedUntil).toBe(windowEnds[0]);
        const report = await syncRecords(source, { ...options, handler: () => undefined });
        expect(report.types[0]?.syncedUntil?.toISOString()).toBe(end.toISOString());
        expect((await store.get({ userKey: 'patient-1', type: 'egvs' }))?.syncedUntil).toBe(end.toISOString());
      }));
  });
}

/** An in-memory source with one EGV per hour in `[start, end)` and a `dataRange` that spans it. */
function hourlyEgvs(start: Date, end: Date): RecordSource {
  const egvAt = (ms: number): Egv =>
    ({ recordId: `egv-${ms}`, systemTime: new Date(ms).toISOString(), displayTime: new Date(ms).toISOString(), value: 100 + ((ms / 3_600_000) % 50) }) as Egv;
  // dataRange reports one second before `end` as the latest time, so a sync walks exactly [start, end).
  const last = end.getTime() - 1000;
  return {
    async fetchWindow<T extends SyncRecordType>(type: T, window: { start: Date; end: Date }) {
      const records: Egv[] = [];
      for (let ms = Math.max(start.getTime(), Math.ceil(window.start.getTime() / 3_600_000) * 3_600_000); ms < Math.min(window.end.getTime(), end.getTime()); ms += 3_600_000) {
        records.push(egvAt(ms));
      }
      return (type === 'egvs' ? records : []) as unknown as SyncRecordMap[T][];
    },
    async getDataRange() {
      const range = { start: { systemTime: start.toISOString(), displayTime: start.toISOString() }, end: { systemTime: new Date(last).toISOString(), displayTime: new Date(last).toISOString() } };
      return { recordType: 'dataRange', recordVersion: '3.0', userId: 'conformance', egvs: range } as never;
    },
  };
}
