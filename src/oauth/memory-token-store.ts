import { assertNextVersion, parseTokenRecord, type TokenRecord } from './token-record.js';
import { assertUserKey } from '../user-key.js';
import { KeyedMutex, type LockedTokenStore } from './refresh-lock.js';
import type { TokenStore } from './token-store.js';

/**
 * A {@link TokenStore} in this process's memory: for tests and single-process scripts, with an
 * in-process refresh lock. Tokens are
 * lost when the process exits (the users then have to sign in again), so production services use
 * a durable store ({@link FileTokenStore} or your database).
 *
 * @example
 * const dexcom = new DexcomApiClient({ oauth: { clientId, clientSecret, tokenStore: new InMemoryTokenStore() } });
 */
export class InMemoryTokenStore implements TokenStore {
  readonly #records = new Map<string, TokenRecord>();
  readonly #locks = new KeyedMutex();

  /** The user's record, or `undefined`. */
  async get(userKey: string): Promise<TokenRecord | undefined> {
    assertUserKey(userKey);
    return this.#records.get(userKey);
  }

  /** Replaces the record when its version is still `expectedVersion`; `false` otherwise. */
  async compareAndSet(userKey: string, expectedVersion: number | undefined, next: TokenRecord): Promise<boolean> {
    assertUserKey(userKey);
    const record = Object.freeze(parseTokenRecord(next, 'InMemoryTokenStore.compareAndSet'));
    assertNextVersion(expectedVersion, record);
    // Check and write happen in one synchronous step, so no other call can slip in between.
    if (this.#records.get(userKey)?.version !== expectedVersion) return false;
    this.#records.set(userKey, record);
    return true;
  }

  /**
   * Runs `fn` while holding the user's refresh lock (in this process: several clients sharing
   * this store refresh a user once); writes through `locked` are immediate.
   *
   * @example
   * await store.withRefreshLock('patient-42', async (locked) => locked.get('patient-42'));
   */
  withRefreshLock<T>(userKey: string, fn: (locked: LockedTokenStore) => Promise<T>): Promise<T> {
    assertUserKey(userKey);
    return this.#locks.run(userKey, () => fn(this));
  }
}
