/**
 * The conformance suite every {@link RateLimitStore} passes: in-memory, PGlite, a PostgreSQL
 * server, Redis, and yours. It takes the test functions as a parameter, so it runs under vitest,
 * node:test with an `expect`, or any runner of that shape; the package needs no test framework.
 *
 * Buckets here refill once a minute, so the milliseconds a real store's round trips take never
 * decide an assertion.
 */
import type { RateLimitStore, TokenBucketShape } from '../../../plugins/rate-limit-store.js';

/** The test functions the suite needs (vitest's have this shape). */
export interface ConformanceTestApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void): void;
  // The runner's `expect`; typed loosely so any Jest-style `expect` fits.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  expect: (actual: unknown) => any;
  beforeEach(body: () => Promise<void> | void): void;
  afterEach(body: () => Promise<void> | void): void;
}

/** One fresh bucket for one test. */
export interface RateLimitStoreFixture {
  /** A store on a bucket no other test uses. */
  readonly store: RateLimitStore;
  /** A second store on the same bucket, as another process would open it (may be `store`). */
  readonly peer: RateLimitStore;
  /** Frees what the fixture made (keys, schemas, connections). */
  cleanup?(): Promise<void> | void;
}

const MINUTE = 60_000;
/** One token a minute, bursts of 3. */
const SLOW: TokenBucketShape = { capacity: 3, refillPerInterval: 1, intervalMs: MINUTE };
/** Slack for the store's own clock and round trips (ms). */
const SLACK = 5_000;

/**
 * Registers the suite under `describe(name)`; `makeFixture` is called before every test.
 *
 * @example
 * import { describe, it, expect, beforeEach, afterEach } from 'vitest';
 * rateLimitStoreConformance({ describe, it, expect, beforeEach, afterEach }, 'in-memory', () => {
 *   const store = new InMemoryRateLimitStore();
 *   return { store, peer: store };
 * });
 */
export function rateLimitStoreConformance(
  t: ConformanceTestApi,
  name: string,
  makeFixture: () => RateLimitStoreFixture | Promise<RateLimitStoreFixture>,
): void {
  const { describe, it, expect, beforeEach, afterEach } = t;
  describe(`RateLimitStore conformance: ${name}`, () => {
    let fixture: RateLimitStoreFixture;
    const reserve = async (store = fixture.store, bucket = SLOW) => store.reserve(bucket, Date.now());
    beforeEach(async () => {
      fixture = await makeFixture();
    });
    afterEach(async () => {
      await fixture.cleanup?.();
    });

    it('starts full: capacity reservations are due now, the next ones one emission interval apart', async () => {
      const burst = [await reserve(), await reserve(), await reserve()];
      expect(burst).toEqual([{ waitMs: 0 }, { waitMs: 0 }, { waitMs: 0 }]);
      const fourth = await reserve();
      const fifth = await reserve();
      expect(fourth.reason).toBe('bucket-empty');
      expect(fourth.waitMs).toBeGreaterThan(MINUTE - SLACK);
      expect(fourth.waitMs).toBeLessThanOrEqual(MINUTE);
      expect(fifth.waitMs - fourth.waitMs).toBeGreaterThan(MINUTE - SLACK);
    });

    it('hands out every slot once when many reserve at the same time', async () => {
      const bucket: TokenBucketShape = { capacity: 5, refillPerInterval: 1, intervalMs: MINUTE };
      const all = await Promise.all(Array.from({ length: 20 }, (_, i) => reserve(i % 2 ? fixture.peer : fixture.store, bucket)));
      expect(all.filter((r) => r.waitMs === 0)).toHaveLength(5);
      const waits = all.map((r) => r.waitMs).filter((w) => w > 0).sort((a, b) => a - b);
      expect(waits).toHaveLength(15);
      for (let i = 1; i < waits.length; i += 1) expect(waits[i]! - waits[i - 1]!).toBeGreaterThan(MINUTE - SLACK);
    });

    it('shares one bucket between two stores on the same key', async () => {
      await reserve(fixture.store);
      await reserve(fixture.peer);
      await reserve(fixture.store);
      expect((await reserve(fixture.peer)).reason).toBe('bucket-empty');
    });

    it('reads without reserving', async () => {
      const before = await fixture.store.snapshot(SLOW, Date.now());
      expect(before.pausedUntil).toBeUndefined();
      expect(before.tokens).toBeGreaterThan(SLOW.capacity - 0.5);
      await fixture.store.snapshot(SLOW, Date.now());
      expect(await reserve()).toEqual({ waitMs: 0 });
      expect((await fixture.store.snapshot(SLOW, Date.now())).tokens).toBeLessThan(SLOW.capacity - 0.5);
    });

    it('pauses and empties the bucket for every store on it: the first slot is one interval after the pause', async () => {
      const now = Date.now();
      await fixture.store.pause(SLOW, now + 30_000, now);
      const snapshot = await fixture.peer.snapshot(SLOW, Date.now());
      expect(snapshot.tokens).toBe(0);
      expect(Math.abs((snapshot.pausedUntil ?? 0) - (now + 30_000))).toBeLessThan(SLACK);
      const next = await reserve(fixture.peer);
      expect(next.reason).toBe('cool-down');
      expect(next.waitMs).toBeGreaterThan(30_000 + MINUTE - SLACK);
      expect(next.waitMs).toBeLessThanOrEqual(30_000 + MINUTE + SLACK);
    });

    it('never shortens a pause in force, and ignores one that already ended', async () => {
      const now = Date.now();
      await fixture.store.pause(SLOW, now - 1_000, now);
      expect((await fixture.store.snapshot(SLOW, Date.now())).pausedUntil).toBeUndefined();
      await fixture.store.pause(SLOW, now + 30_000, now);
      await fixture.peer.pause(SLOW, now + 10_000, now);
      const { pausedUntil } = await fixture.store.snapshot(SLOW, Date.now());
      expect(Math.abs((pausedUntil ?? 0) - (now + 30_000))).toBeLessThan(SLACK);
    });

    it('keeps buckets of other keys apart', async () => {
      const other = await makeFixture();
      try {
        for (let i = 0; i < SLOW.capacity; i += 1) await reserve();
        await fixture.store.pause(SLOW, Date.now() + 30_000, Date.now());
        expect(await reserve(other.store)).toEqual({ waitMs: 0 });
        expect((await other.store.snapshot(SLOW, Date.now())).pausedUntil).toBeUndefined();
      } finally {
        await other.cleanup?.();
      }
    });
  });
}
