import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DexcomValidationError, FileCheckpointStore, MemoryCheckpointStore, parseCheckpoint, type SyncCheckpoint } from '../../src/index.js';

const directories: string[] = [];
afterEach(async () => {
  await Promise.all(directories.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'dexcom-checkpoints-'));
  directories.push(directory);
  return directory;
}

const checkpoint = (syncedUntil = '2024-06-01T00:00:00.000Z'): SyncCheckpoint => ({
  version: 1,
  syncedUntil,
  delivered: [['egvs-1', 1717199700000, 'AAAAAAAAAAAAAAAA']],
});

const checkpointArbitrary = fc.record({
  version: fc.constant(1 as const),
  syncedUntil: fc.date({ min: new Date('2000-01-01Z'), max: new Date('2100-01-01Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  delivered: fc.array(fc.tuple(fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 4e12 }), fc.base64String({ minLength: 16, maxLength: 16 }))),
});

describe('MemoryCheckpointStore', () => {
  it('returns undefined before the first set, then a copy of what was saved, per user and type', async () => {
    const store = new MemoryCheckpointStore();
    expect(await store.get({ userKey: 'a', type: 'egvs' })).toBeUndefined();
    const saved = checkpoint();
    await store.set({ userKey: 'a', type: 'egvs' }, saved);
    (saved.delivered as unknown[]).length = 0;
    const read = await store.get({ userKey: 'a', type: 'egvs' });
    expect(read).toEqual(checkpoint());
    (read!.delivered as unknown[]).length = 0;
    expect(await store.get({ userKey: 'a', type: 'egvs' })).toEqual(checkpoint());
    expect(await store.get({ userKey: 'a', type: 'events' })).toBeUndefined();
    expect(await store.get({ userKey: 'b', type: 'egvs' })).toBeUndefined();
  });

  it('rejects malformed keys', async () => {
    const store = new MemoryCheckpointStore();
    await expect(store.get({ userKey: '', type: 'egvs' })).rejects.toThrow(DexcomValidationError);
    await expect(store.get({ userKey: 'a', type: 'devices' as never })).rejects.toThrow(DexcomValidationError);
  });
});

describe('FileCheckpointStore', () => {
  it('round-trips checkpoints in files of mode 0600 inside a directory of mode 0700, leaving no temporary files', async () => {
    const directory = join(await tempDirectory(), 'nested', 'checkpoints');
    const store = new FileCheckpointStore({ directory });
    expect(await store.get({ userKey: 'patient-42', type: 'egvs' })).toBeUndefined();
    await store.set({ userKey: 'patient-42', type: 'egvs' }, checkpoint());
    await store.set({ userKey: 'patient-42', type: 'egvs' }, checkpoint('2024-06-02T00:00:00.000Z'));
    expect(await store.get({ userKey: 'patient-42', type: 'egvs' })).toEqual(checkpoint('2024-06-02T00:00:00.000Z'));
    expect(await readdir(directory)).toEqual(['patient-42.egvs.json']);
    expect((await stat(join(directory, 'patient-42.egvs.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
  });

  it('property: any valid checkpoint survives the file round trip', async () => {
    const store = new FileCheckpointStore({ directory: await tempDirectory() });
    await fc.assert(
      fc.asyncProperty(checkpointArbitrary, async (value) => {
        await store.set({ userKey: 'p', type: 'events' }, value);
        expect(await store.get({ userKey: 'p', type: 'events' })).toEqual(value);
      }),
      { numRuns: 30 },
    );
  });

  it('keeps awkward user keys inside the directory and apart from each other', async () => {
    const directory = await tempDirectory();
    const store = new FileCheckpointStore({ directory });
    const keys = ['../escape', 'a/b', 'A', 'a', 'x'.repeat(200), 'ünïcode', '.'];
    for (const [i, userKey] of keys.entries()) await store.set({ userKey, type: 'alerts' }, checkpoint(new Date(Date.UTC(2024, 0, i + 1)).toISOString()));
    for (const [i, userKey] of keys.entries()) {
      expect((await store.get({ userKey, type: 'alerts' }))?.syncedUntil).toBe(new Date(Date.UTC(2024, 0, i + 1)).toISOString());
    }
    const files = await readdir(directory);
    expect(files).toHaveLength(keys.length);
    for (const file of files) expect(file).toMatch(/^[A-Za-z0-9_-]+\.alerts\.json$/);
  });

  it('concurrent writes of one key leave one whole checkpoint', async () => {
    const directory = await tempDirectory();
    const store = new FileCheckpointStore({ directory });
    const times = Array.from({ length: 20 }, (_, i) => new Date(Date.UTC(2024, 0, 1, i)).toISOString());
    await Promise.all(times.map((t) => store.set({ userKey: 'p', type: 'egvs' }, checkpoint(t))));
    expect(times).toContain((await store.get({ userKey: 'p', type: 'egvs' }))?.syncedUntil);
    expect(await readdir(directory)).toEqual(['p.egvs.json']);
  });

  it('a torn or foreign file is an error naming the file, never a silent restart', async () => {
    const directory = await tempDirectory();
    const store = new FileCheckpointStore({ directory });
    await writeFile(join(directory, 'p.egvs.json'), '{"version":1,"syncedUntil":"2024-');
    await expect(store.get({ userKey: 'p', type: 'egvs' })).rejects.toThrow(/p\.egvs\.json is not a sync checkpoint: not JSON/);
    await writeFile(join(directory, 'p.egvs.json'), '{"version":2}');
    await expect(store.get({ userKey: 'p', type: 'egvs' })).rejects.toThrow(/unsupported version 2/);
  });

  it('refuses to write something that is not a checkpoint, and cleans up when the rename fails', async () => {
    const directory = await tempDirectory();
    const store = new FileCheckpointStore({ directory });
    await expect(store.set({ userKey: 'p', type: 'egvs' }, { version: 1 } as never)).rejects.toThrow(DexcomValidationError);
    // A directory where the file should be makes the rename fail.
    await mkdir(join(directory, 'q.egvs.json'));
    await expect(store.set({ userKey: 'q', type: 'egvs' }, checkpoint())).rejects.toMatchObject({ code: 'checkpoint_store', retryable: true });
    // No temporary file is left behind.
    expect(await readdir(directory)).toEqual(['q.egvs.json']);
  });

  it('needs a directory', () => {
    expect(() => new FileCheckpointStore({ directory: '' })).toThrow(DexcomValidationError);
    expect(() => new FileCheckpointStore(undefined as never)).toThrow(/new FileCheckpointStore\(\{ directory/);
  });
});

describe('parseCheckpoint', () => {
  it('property: accepts every valid checkpoint after JSON, rejects damaged ones', () => {
    fc.assert(
      fc.property(checkpointArbitrary, (value) => {
        expect(parseCheckpoint(JSON.parse(JSON.stringify(value)), 'x')).toEqual(value);
      }),
    );
    const bad = [null, 'x', { version: 1, syncedUntil: 'never', delivered: [] }, { version: 1, syncedUntil: '2024-01-01T00:00:00Z' }, { ...checkpoint(), delivered: [['a', 'b', 'c']] }];
    for (const value of bad) expect(() => parseCheckpoint(value, 'stored value')).toThrow(/stored value is not a sync checkpoint/);
  });
});
