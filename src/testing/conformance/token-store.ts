/**
 * The conformance suite every {@link TokenStore} passes: in-memory, file, PGlite, a PostgreSQL
 * server, and yours. It takes the test functions as a parameter, so it runs under vitest,
 * node:test with an `expect`, or any runner of that shape; the package needs no test framework.
 * The refresh-lock part runs only for stores that have `withRefreshLock`.
 */
import type { TokenRecord } from '../../oauth/token-record.js';
import type { TokenStore } from '../../oauth/token-store.js';

/** The test functions the suite needs (vitest's have this shape). */
export interface TokenStoreTestApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void): void;
  // The runner's `expect`; typed loosely so any Jest-style `expect` fits.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  expect: (actual: unknown) => any;
  beforeEach(body: () => Promise<void> | void): void;
  afterEach(body: () => Promise<void> | void): void;
}

/** One fresh store for one test. */
export interface TokenStoreFixture {
  /** A store no other test writes to. */
  readonly store: TokenStore;
  /** A second store on the same data, as another process would open it (may be `store`). */
  readonly peer: TokenStore;
  /** Frees what the fixture made (files, schemas, connections). */
  cleanup?(): Promise<void> | void;
  /**
   * True when the store runs one transaction at a time overall (embedded PGlite has one
   * connection), so refresh locks of different users wait for each other too. Default false.
   */
  readonly serialized?: boolean;
}

/** A record for the suite: `version` and any overrides; fake token values. */
function record(version: number, overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    accessToken: `access-${version}`,
    refreshToken: `refresh-${version}`,
    expiresAt: 1_767_225_600_000 + version,
    environment: 'https://sandbox-api.dexcom.com',
    version,
    reauthorizationRequired: false,
    updatedAt: 1_767_218_400_000 + version,
    ...overrides,
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Registers the suite under `describe(name)`; `makeFixture` is called before every test.
 *
 * @example
 * import { describe, it, expect, beforeEach, afterEach } from 'vitest';
 * tokenStoreConformance({ describe, it, expect, beforeEach, afterEach }, 'in-memory', () => {
 *   const store = new InMemoryTokenStore();
 *   return { store, peer: store };
 * });
 */
export function tokenStoreConformance(t: TokenStoreTestApi, name: string, makeFixture: () => TokenStoreFixture | Promise<TokenStoreFixture>): void {
  const { describe, it, expect, beforeEach, afterEach } = t;
  describe(`TokenStore conformance: ${name}`, () => {
    let fixture: TokenStoreFixture;
    beforeEach(async () => {
      fixture = await makeFixture();
    });
    afterEach(async () => {
      await fixture.cleanup?.();
    });

    it('get: undefined for a user without a record', async () => {
      expect(await fixture.store.get('nobody')).toBeUndefined();
    });

    it('a first write (expected undefined) creates version 1; a second first write loses', async () => {
      expect(await fixture.store.compareAndSet('u1', undefined, record(1))).toBe(true);
      expect(await fixture.store.compareAndSet('u1', undefined, record(1, { accessToken: 'other' }))).toBe(false);
      expect(await fixture.store.get('u1')).toEqual(record(1));
    });

    it('compare-and-set by version: the expected version wins, a stale one writes nothing', async () => {
      await fixture.store.compareAndSet('u1', undefined, record(1));
      expect(await fixture.store.compareAndSet('u1', 1, record(2))).toBe(true);
      expect(await fixture.store.compareAndSet('u1', 1, record(2, { accessToken: 'stale' }))).toBe(false);
      expect(await fixture.store.compareAndSet('u1', undefined, record(1))).toBe(false);
      expect(await fixture.store.get('u1')).toEqual(record(2));
    });

    it('refuses a next version that is not expected + 1', async () => {
      await fixture.store.compareAndSet('u1', undefined, record(1));
      await expect(fixture.store.compareAndSet('u1', 1, record(3))).rejects.toThrow(/version/);
      await expect(fixture.store.compareAndSet('u2', undefined, record(2))).rejects.toThrow(/version/);
      expect(await fixture.store.get('u1')).toEqual(record(1));
    });

    it('of 10 concurrent writers on one version exactly one wins (here and through a peer)', async () => {
      await fixture.store.compareAndSet('u1', undefined, record(1));
      const writers = Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? fixture.store : fixture.peer).compareAndSet('u1', 1, record(2, { accessToken: `writer-${i}` })),
      );
      const results = await Promise.all(writers);
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await fixture.peer.get('u1')).toEqual(record(2, { accessToken: `writer-${winner}` }));
    });

    it('users are independent, and a peer reads what the store wrote', async () => {
      await fixture.store.compareAndSet('alice', undefined, record(1, { accessToken: 'alice-1' }));
      await fixture.peer.compareAndSet('bob', undefined, record(1, { accessToken: 'bob-1' }));
      await fixture.store.compareAndSet('alice', 1, record(2, { accessToken: 'alice-2' }));
      expect((await fixture.peer.get('alice'))?.accessToken).toBe('alice-2');
      expect((await fixture.store.get('bob'))?.accessToken).toBe('bob-1');
    });

    it('keeps every field: optional notes, and a marked record with blank tokens', async () => {
      const noted = record(1, { grant: 'refresh_token', refreshAnswerLostAt: 1_767_220_000_123 });
      await fixture.store.compareAndSet('u1', undefined, noted);
      expect(await fixture.peer.get('u1')).toEqual(noted);
      const marked = record(2, { accessToken: '', refreshToken: '', reauthorizationRequired: true, reauthorizationReason: 'refresh_answer_lost', grant: 'refresh_token' });
      expect(await fixture.store.compareAndSet('u1', 1, marked)).toBe(true);
      expect(await fixture.peer.get('u1')).toEqual(marked);
    });

    it('keeps user keys apart that differ only in case, spaces or Unicode, up to 200 characters', async () => {
      const keys = ['User', 'user', 'user ', 'üser', 'u'.repeat(200)];
      for (const [i, key] of keys.entries()) await fixture.store.compareAndSet(key, undefined, record(1, { accessToken: `key-${i}` }));
      for (const [i, key] of keys.entries()) expect((await fixture.peer.get(key))?.accessToken).toBe(`key-${i}`);
    });

    it('rejects an empty, too long or control-character user key', async () => {
      for (const key of ['', 'u'.repeat(201), 'a\u0000b', 'a\nb']) {
        await expect(fixture.store.get(key)).rejects.toThrow(/userKey/);
        await expect(fixture.store.compareAndSet(key, undefined, record(1))).rejects.toThrow(/userKey/);
      }
    });

    describe('refresh lock (stores with withRefreshLock)', () => {
      const lockOf = (store: TokenStore) => {
        if (typeof store.withRefreshLock !== 'function') return undefined;
        return store.withRefreshLock.bind(store);
      };

      it('returns what fn returns; writes under the lock are compare-and-sets, visible once it resolves', async () => {
        const lock = lockOf(fixture.store);
        if (lock === undefined) return;
        await fixture.store.compareAndSet('u1', undefined, record(1));
        const result = await lock('u1', async (locked) => {
          expect(await locked.get('u1')).toEqual(record(1));
          expect(await locked.compareAndSet('u1', 2, record(3))).toBe(false);
          expect(await locked.compareAndSet('u1', 1, record(2))).toBe(true);
          return 'done';
        });
        expect(result).toBe('done');
        expect(await fixture.peer.get('u1')).toEqual(record(2));
      });

      it('one holder per user at a time, through a peer too; the waiter reads what the holder wrote', async () => {
        const lock = lockOf(fixture.store);
        const peerLock = lockOf(fixture.peer);
        if (lock === undefined || peerLock === undefined) return;
        await fixture.store.compareAndSet('u1', undefined, record(1));
        const log: string[] = [];
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let entered!: () => void;
        const holding = new Promise<void>((resolve) => (entered = resolve));
        const first = lock('u1', async (locked) => {
          log.push('first in');
          entered();
          await gate;
          await locked.compareAndSet('u1', 1, record(2));
          log.push('first out');
        });
        await holding;
        const second = peerLock('u1', async (locked) => {
          log.push('second in');
          return (await locked.get('u1'))?.version;
        });
        for (let i = 0; i < 20; i += 1) await tick();
        expect(log).toEqual(['first in']);
        release();
        await first;
        expect(await second).toBe(2);
        expect(log).toEqual(['first in', 'first out', 'second in']);
      });

      it('different users do not wait for each other', async () => {
        const lock = lockOf(fixture.store);
        const peerLock = lockOf(fixture.peer);
        if (lock === undefined || peerLock === undefined || fixture.serialized) return;
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let entered!: () => void;
        const holding = new Promise<void>((resolve) => (entered = resolve));
        const alice = lock('alice', async () => {
          entered();
          await gate;
        });
        await holding;
        // Bob's lock is taken and released while Alice still holds hers (else this never resolves).
        expect(await peerLock('bob', async () => 'bob')).toBe('bob');
        release();
        await alice;
      });

      it('a holder that throws releases the lock and its error comes back', async () => {
        const lock = lockOf(fixture.store);
        if (lock === undefined) return;
        const boom = new Error('holder failed');
        await expect(lock('u1', async () => Promise.reject(boom))).rejects.toBe(boom);
        await expect(lock('u1', async () => 'next')).resolves.toBe('next');
      });
    });
  });
}
