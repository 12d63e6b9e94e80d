import { DexcomTokenStoreError } from '../core/errors.js';
import type { TokenRecord } from './token-record.js';

/**
 * The store as seen by the holder of a user's refresh lock: reads and writes go through the lock
 * (in PostgreSQL: the transaction that holds the row lock), so the holder never waits on itself.
 *
 * @example
 * await store.withRefreshLock('patient-42', async (locked) => locked.compareAndSet('patient-42', 3, next));
 */
export interface LockedTokenStore {
  /** The user's record, read under the lock. */
  get(userKey: string): Promise<TokenRecord | undefined>;
  /** Compare-and-set under the lock; durable once `withRefreshLock` resolves. */
  compareAndSet(userKey: string, expectedVersion: number | undefined, next: TokenRecord): Promise<boolean>;
}

/**
 * The refresh lock of a user was not acquired within the store's lock timeout (another process
 * holds it, most likely refreshing the same user). A `DexcomTokenStoreError` (`retryable`): an
 * early refresh keeps the still-valid token; otherwise the call fails and the next one tries again.
 *
 * @example
 * if (error instanceof DexcomRefreshLockTimeoutError) console.warn('another worker is refreshing', error.lockTimeoutMs);
 */
export class DexcomRefreshLockTimeoutError extends DexcomTokenStoreError {
  /** How long the lock was waited for, in ms. */
  readonly lockTimeoutMs: number;
  constructor(message: string, details: { lockTimeoutMs: number; cause?: unknown }) {
    super(message, details.cause === undefined ? {} : { cause: details.cause });
    this.lockTimeoutMs = details.lockTimeoutMs;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), lockTimeoutMs: this.lockTimeoutMs };
  }
}

/**
 * One holder per key at a time, in this process: the refresh lock of the in-memory and file
 * stores. Waiters queue in arrival order; a holder that throws releases the key as well.
 *
 * @example
 * const locks = new KeyedMutex();
 * await locks.run('patient-42', async () => refreshOnce());
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `work` once every earlier holder of `key` has finished. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(key) ?? Promise.resolve();
    const mine = before.then(work, work);
    const tail = mine.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    try {
      return await mine;
    } finally {
      // The last holder leaves no entry behind, so the map holds only keys in use.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
