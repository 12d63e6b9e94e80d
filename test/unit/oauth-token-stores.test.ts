import fc from 'fast-check';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DexcomTokenStoreError, DexcomValidationError, FileTokenStore, InMemoryTokenStore, type TokenRecord, type TokenStore } from '../../src/index.js';

const record = (version: number, overrides: Partial<TokenRecord> = {}): TokenRecord => ({
  accessToken: `at-${version}-secret-access`,
  refreshToken: `rt-${version}-secret-refresh`,
  expiresAt: 1_700_000_000_000 + version,
  environment: 'https://sandbox-api.dexcom.com',
  version,
  reauthorizationRequired: false,
  updatedAt: 1_700_000_000_000,
  ...overrides,
});

/** Reads the user's record and writes the next version until the compare-and-set wins. */
async function bump(store: TokenStore, userKey: string): Promise<void> {
  for (;;) {
    const current = await store.get(userKey);
    const version = current?.version;
    if (await store.compareAndSet(userKey, version, record((version ?? 0) + 1))) return;
  }
}

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'dexcom-tokens-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe.each([
  ['InMemoryTokenStore', () => new InMemoryTokenStore()],
  ['FileTokenStore', () => new FileTokenStore({ path: join(directory, 'tokens.json') })],
] as const)('%s', (_name, makeStore) => {
  it('compare-and-set: inserts only when absent, replaces only the expected version', async () => {
    const store = makeStore();
    expect(await store.get('u1')).toBeUndefined();
    expect(await store.compareAndSet('u1', undefined, record(1))).toBe(true);
    expect(await store.compareAndSet('u1', undefined, record(1))).toBe(false);
    expect(await store.compareAndSet('u1', 2, record(3))).toBe(false);
    expect(await store.compareAndSet('u1', 1, record(2))).toBe(true);
    expect(await store.get('u1')).toEqual(record(2));
    expect(await store.get('u2')).toBeUndefined();
  });

  it('rejects a next version that is not expected + 1, and malformed records, without quoting tokens', async () => {
    const store = makeStore();
    await expect(store.compareAndSet('u1', undefined, record(2))).rejects.toBeInstanceOf(DexcomValidationError);
    const error = await store.compareAndSet('u1', undefined, record(1, { expiresAt: Number.NaN })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomValidationError);
    expect((error as Error).message).toMatch(/expiresAt/);
    expect((error as Error).message).not.toContain('secret');
    await expect(store.compareAndSet('u1', undefined, record(1, { accessToken: '' }))).rejects.toThrow(/accessToken/);
    // A record marked for re-authorization carries no tokens.
    expect(await store.compareAndSet('u1', undefined, record(1, { accessToken: '', refreshToken: '', reauthorizationRequired: true }))).toBe(true);
  });

  it('concurrent writers of one version: exactly one wins', async () => {
    const store = makeStore();
    await store.compareAndSet('u1', undefined, record(1));
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => store.compareAndSet('u1', 1, record(2, { accessToken: `at-writer-${i}` }))));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect((await store.get('u1'))!.accessToken).toBe(`at-writer-${outcomes.indexOf(true)}`);
  });

  it('concurrent read-modify-write loops lose no update', async () => {
    const store = makeStore();
    await Promise.all(Array.from({ length: 40 }, (_, i) => bump(store, i % 2 === 0 ? 'alice' : 'bob')));
    expect((await store.get('alice'))!.version).toBe(20);
    expect((await store.get('bob'))!.version).toBe(20);
  });

  it('behaves like a versioned map for any sequence of compare-and-sets (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ user: fc.constantFrom('a', 'b', 'c'), expected: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }) }), { maxLength: 25 }),
        async (operations) => {
          const store = makeStore() as TokenStore;
          const model = new Map<string, number>();
          for (const { user, expected } of operations) {
            const written = await store.compareAndSet(user, expected, record((expected ?? 0) + 1));
            expect(written).toBe(model.get(user) === expected);
            if (written) model.set(user, (expected ?? 0) + 1);
          }
          for (const user of ['a', 'b', 'c']) expect((await store.get(user))?.version).toBe(model.get(user));
          if (store instanceof FileTokenStore) await rm(store.path, { force: true });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('FileTokenStore on disk', () => {
  it('writes mode 0600, leaves no temporary file, and reloads from disk in a new instance', async () => {
    const path = join(directory, 'nested', 'tokens.json');
    const store = new FileTokenStore({ path });
    await store.compareAndSet('patient-42', undefined, record(1));
    await store.compareAndSet('__proto__', undefined, record(1, { accessToken: 'at-odd-key' }));

    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(directory, 'nested'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(directory, 'nested'))).toEqual(['tokens.json']);
    const json = JSON.parse(await readFile(path, 'utf8'));
    expect(json.format).toBe('dexcom-api-client/tokens@1');
    expect(Object.keys(json.users).sort()).toEqual(['__proto__', 'patient-42']);

    const reloaded = new FileTokenStore({ path });
    expect(await reloaded.get('patient-42')).toEqual(record(1));
    expect((await reloaded.get('__proto__'))!.accessToken).toBe('at-odd-key');
    expect(await reloaded.compareAndSet('patient-42', 1, record(2))).toBe(true);
    expect(await store.get('patient-42')).toEqual(record(2));
  });

  it('keeps mode 0600 when replacing a file that was readable by others', async () => {
    const path = join(directory, 'tokens.json');
    await writeFile(path, JSON.stringify({ format: 'dexcom-api-client/tokens@1', users: {} }), { mode: 0o644 });
    await new FileTokenStore({ path }).compareAndSet('u1', undefined, record(1));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('never exposes a torn file: every read during 100 concurrent writes parses', async () => {
    const path = join(directory, 'tokens.json');
    const store = new FileTokenStore({ path });
    await store.compareAndSet('u0', undefined, record(1));
    let writing = true;
    const reader = (async () => {
      let reads = 0;
      while (writing) {
        const json = JSON.parse(await readFile(path, 'utf8'));
        expect(json.format).toBe('dexcom-api-client/tokens@1');
        reads += 1;
      }
      return reads;
    })();
    await Promise.all(Array.from({ length: 100 }, (_, i) => bump(store, `u${i % 10}`)));
    writing = false;
    expect(await reader).toBeGreaterThan(0);
    expect(await readdir(directory)).toEqual(['tokens.json']);
    expect((await store.get('u0'))!.version).toBe(11);
  });

  it('a corrupt or foreign file fails with DexcomTokenStoreError that does not quote it', async () => {
    const path = join(directory, 'tokens.json');
    await writeFile(path, '{"users": {"u1": {"accessToken": "at-leaked-secret"');
    const store = new FileTokenStore({ path });
    const error = await store.get('u1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomTokenStoreError);
    expect((error as Error).message).not.toContain('at-leaked-secret');
    await writeFile(path, JSON.stringify({ users: { u1: { accessToken: 'at-leaked-secret' } } }));
    await expect(store.get('u1')).rejects.toThrow(/not a token file/);
    await writeFile(path, JSON.stringify({ format: 'dexcom-api-client/tokens@1', users: { u1: { accessToken: 'at-leaked-secret' } } }));
    const invalid = await store.get('u1').catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(DexcomTokenStoreError);
    expect((invalid as Error).message).not.toContain('at-leaked-secret');
  });

  it('needs a path', () => {
    expect(() => new FileTokenStore({ path: '' })).toThrow(/new FileTokenStore\(\{ path: '\.dexcom-tokens\.json' \}\)/);
  });
});
