import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file.js';
import { DexcomConfigurationError, DexcomTokenStoreError, isDexcomError } from '../core/errors.js';
import { assertNextVersion, parseTokenRecord, type TokenRecord } from './token-record.js';
import { assertUserKey } from '../user-key.js';
import { KeyedMutex, type LockedTokenStore } from './refresh-lock.js';
import type { TokenStore } from './token-store.js';

/**
 * Options of {@link FileTokenStore}.
 *
 * @example
 * const options: FileTokenStoreOptions = { path: '/var/lib/my-app/dexcom-tokens.json' };
 */
export interface FileTokenStoreOptions {
  /** The JSON file holding every user's tokens, e.g. `.dexcom-tokens.json` (keep it out of git). */
  path: string;
}

/** Marks the file's layout, so a future layout can be told apart and migrated. */
const FORMAT = 'dexcom-api-client/tokens@1';

/**
 * A durable {@link TokenStore}: one JSON file, mode 0600, holding every user's record.
 *
 * - Atomic writes: the new file goes to a temporary file in the same directory, which is fsynced,
 *   then renamed over the old one, and the directory is fsynced. A crash leaves the old or the new
 *   file, never a torn one, so a rotated refresh token is never half-saved.
 * - Writes of one instance are serialized (read, compare, write as one step), so concurrent
 *   `compareAndSet` calls in this process behave like a database's. Use one instance per file.
 * - The refresh lock is in-process only: for several processes or machines use
 *   `PostgresTokenStore` (`dexcom-api-client/postgres`), or implement {@link TokenStore} over your
 *   database with an atomic compare-and-set.
 *
 * @example
 * const tokenStore = new FileTokenStore({ path: '.dexcom-tokens.json' });
 * const dexcom = new DexcomApiClient({ oauth: { clientId, clientSecret, tokenStore } });
 */
export class FileTokenStore implements TokenStore {
  /** The file this store reads and writes. */
  readonly path: string;
  /** The last queued write; each write starts when the one before it settled. */
  #tail: Promise<unknown> = Promise.resolve();
  readonly #locks = new KeyedMutex();

  constructor(options: FileTokenStoreOptions) {
    if (typeof options?.path !== 'string' || options.path === '') {
      throw new DexcomConfigurationError(`FileTokenStore needs a file path, e.g. new FileTokenStore({ path: '.dexcom-tokens.json' })`);
    }
    this.path = options.path;
  }

  /** The user's record, or `undefined` when the file or the user is missing. */
  async get(userKey: string): Promise<TokenRecord | undefined> {
    assertUserKey(userKey);
    return (await this.#read()).get(userKey);
  }

  /** Writes `next` when the user's stored version is `expectedVersion`; `false` otherwise. */
  async compareAndSet(userKey: string, expectedVersion: number | undefined, next: TokenRecord): Promise<boolean> {
    assertUserKey(userKey);
    const record = parseTokenRecord(next, 'FileTokenStore.compareAndSet');
    assertNextVersion(expectedVersion, record);
    return this.#serialized(async () => {
      const users = await this.#read();
      if (users.get(userKey)?.version !== expectedVersion) return false;
      users.set(userKey, record);
      await this.#write(users);
      return true;
    });
  }

  /**
   * Runs `fn` while holding the user's refresh lock. The lock is in this process only (one
   * instance per file): clients sharing this instance refresh a user once.
   *
   * @example
   * await store.withRefreshLock('patient-42', async (locked) => locked.get('patient-42'));
   */
  withRefreshLock<T>(userKey: string, fn: (locked: LockedTokenStore) => Promise<T>): Promise<T> {
    assertUserKey(userKey);
    return this.#locks.run(userKey, () => fn(this));
  }

  #serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work, work);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #read(): Promise<Map<string, TokenRecord>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    try {
      const json = JSON.parse(text) as { format?: unknown; users?: unknown };
      if (json?.format !== FORMAT || typeof json.users !== 'object' || json.users === null) {
        throw new DexcomTokenStoreError(`${this.path} is not a token file of this SDK (format ${FORMAT})`);
      }
      return new Map(Object.entries(json.users).map(([key, value]) => [key, parseTokenRecord(value, `${this.path} (a user's record)`)]));
    } catch (error) {
      // The message never quotes the file: it holds tokens.
      if (isDexcomError(error)) throw new DexcomTokenStoreError(error.message);
      throw new DexcomTokenStoreError(`${this.path} is not valid JSON`);
    }
  }

  async #write(users: Map<string, TokenRecord>): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify({ format: FORMAT, users: Object.fromEntries(users) }, null, 2)}\n`);
  }
}
