import { DexcomConfigurationError } from '../core/errors.js';
import type { LockedTokenStore } from './refresh-lock.js';
import type { TokenRecord } from './token-record.js';

/**
 * Where a client keeps each user's tokens. Implement it over your database, Redis or secret store;
 * the SDK ships {@link InMemoryTokenStore} (tests, one process) and {@link FileTokenStore} (one
 * JSON file, scripts and small deployments).
 *
 * Contract:
 * - `get` returns the latest record written for the user, or `undefined`.
 * - `compareAndSet` writes `next` only if the stored version is still `expectedVersion`
 *   (`undefined`: no record yet), atomically, and resolves `true`; otherwise it writes nothing and
 *   resolves `false`. `next.version` is always `expectedVersion + 1` (1 for a first record).
 *   In SQL: `UPDATE tokens SET ..., version = $next WHERE user_key = $key AND version = $expected`.
 * - Resolve only once the write is durable: a refreshed refresh token is saved before the new
 *   access token is used, because the old refresh token stopped working when it was used.
 * - Throwing is fine (the client reports a `DexcomTokenStoreError` and keeps unsaved tokens in
 *   memory to save first on the user's next call).
 * - Optional `withRefreshLock(userKey, fn)`: one refresh per user at a time across every process
 *   sharing the store. The client then refreshes inside it: it re-reads the record under the lock
 *   (a waiter finds the new tokens and sends no token request) and writes through the `locked`
 *   view it is given. The version stays the fencing token: every write is still a compare-and-set.
 *   The lock must die with its holder (a database lock on the holder's connection, not a lease in
 *   Redis): a crashed holder never blocks the user. No Redlock: it is unsafe across pauses.
 *
 * @example
 * const redisTokenStore: TokenStore = {
 *   async get(userKey) {
 *     const text = await redis.get(`dexcom:tokens:${userKey}`);
 *     return text === null ? undefined : parseTokenRecord(JSON.parse(text), userKey);
 *   },
 *   async compareAndSet(userKey, expectedVersion, next) {
 *     return (await redis.eval(CAS_SCRIPT, 1, `dexcom:tokens:${userKey}`, expectedVersion ?? 0, JSON.stringify(next))) === 1;
 *   },
 * };
 */
export interface TokenStore {
  /** The user's record, or `undefined` when none was saved. */
  get(userKey: string): Promise<TokenRecord | undefined>;
  /** Writes `next` if the stored version is `expectedVersion` (`undefined`: none); `false` when it was not. */
  compareAndSet(userKey: string, expectedVersion: number | undefined, next: TokenRecord): Promise<boolean>;
  /**
   * Optional: runs `fn` while holding the user's refresh lock and resolves with its result once
   * the writes made through `locked` are durable. Rejects with `DexcomRefreshLockTimeoutError`
   * when the lock is not acquired in time.
   */
  withRefreshLock?<T>(userKey: string, fn: (locked: LockedTokenStore) => Promise<T>): Promise<T>;
}

/**
 * Throws a {@link DexcomConfigurationError} with an example unless `store` has `get` and
 * `compareAndSet` functions.
 *
 * @example
 * assertTokenStore(options.tokenStore, 'oauth.tokenStore');
 */
export function assertTokenStore(store: unknown, name: string): asserts store is TokenStore {
  const candidate = store as Partial<TokenStore> | null | undefined;
  if (
    typeof candidate?.get !== 'function' ||
    typeof candidate.compareAndSet !== 'function' ||
    (candidate.withRefreshLock !== undefined && typeof candidate.withRefreshLock !== 'function')
  ) {
    throw new DexcomConfigurationError(
      `${name} must be a TokenStore with get(userKey) and compareAndSet(userKey, expectedVersion, next), ` +
        `e.g. { tokenStore: new FileTokenStore({ path: '.dexcom-tokens.json' }) } or new InMemoryTokenStore()`,
    );
  }
}
