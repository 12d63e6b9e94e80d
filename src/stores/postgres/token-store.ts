import type { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';
import { DexcomConfigurationError, DexcomTokenStoreError, isDexcomError } from '../../core/errors.js';
import { DexcomRefreshLockTimeoutError, type LockedTokenStore } from '../../oauth/refresh-lock.js';
import { assertNextVersion, parseTokenRecord, type TokenRecord } from '../../oauth/token-record.js';
import type { TokenStore } from '../../oauth/token-store.js';
import { assertUserKey } from '../../user-key.js';
import { type Database, type DatabaseOptions, openDatabase, type SqlQueryable } from './database.js';
import { DEFAULT_SCHEMA, migrate, type MigrationSet, quoteSchema } from './migrations.js';

/**
 * Options of {@link PostgresTokenStore}: where the database is (exactly one of `url`, `pool`,
 * `pglite`, `database`), the schema of its table and how long a refresh waits for the lock.
 *
 * @example
 * new PostgresTokenStore({ url: process.env.DATABASE_URL!, schema: 'dexcom', lockTimeoutMs: 30_000 });
 */
export type PostgresTokenStoreOptions = (
  | { url: string; pool?: never; pglite?: never; database?: never }
  | { pool: Pool; url?: never; pglite?: never; database?: never }
  | { pglite: PGlite; url?: never; pool?: never; database?: never }
  | { database: Database; url?: never; pool?: never; pglite?: never }
) & {
  /**
   * Schema of the `oauth_tokens` table, created on first use by `migrate()`.
   * @default 'dexcom'
   */
  schema?: string;
  /**
   * Longest wait for a user's refresh lock, in ms (PostgreSQL `lock_timeout`), after which the
   * refresh fails with `DexcomRefreshLockTimeoutError`. Longer than one token request with its
   * re-sends (the client's attempt timeout is 30 s by default).
   * @default 60_000
   */
  lockTimeoutMs?: number;
};

/** {@link PostgresTokenStoreOptions} checked, defaults filled in. */
export interface ResolvedPostgresTokenStoreOptions {
  /** Options for `openDatabase()`, or your `Database` to use as is. */
  readonly connection: { readonly database: Database } | { readonly open: DatabaseOptions };
  readonly schema: string;
  readonly lockTimeoutMs: number;
}

/** The token store's tables, applied by `migrate()` on first use. */
export const TOKEN_STORE_MIGRATIONS: MigrationSet = {
  component: 'token-store',
  migrations: [
    {
      version: 1,
      // The record is kept whole (jsonb) so new optional fields need no migration; the version is
      // its own column because every write compares it.
      sql: `CREATE TABLE IF NOT EXISTS {{schema}}.oauth_tokens (
  user_key text PRIMARY KEY,
  version bigint NOT NULL CHECK (version >= 1),
  record jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);`,
    },
  ],
};

const EXAMPLE = "e.g. new PostgresTokenStore({ url: 'postgres://127.0.0.1:5432/app' }), { pool }, { pglite } or { database }";
const DEFAULT_LOCK_TIMEOUT_MS = 60_000;
/** PostgreSQL's SQLSTATE for a lock wait that hit `lock_timeout`. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Checks {@link PostgresTokenStoreOptions} without touching the database.
 *
 * @throws DexcomConfigurationError with a correct example (never echoing a URL: it may hold a password).
 * @example
 * resolvePostgresTokenStoreOptions({ url: 'postgres://127.0.0.1:5432/app' }).lockTimeoutMs; // 60_000
 */
export function resolvePostgresTokenStoreOptions(options: PostgresTokenStoreOptions): ResolvedPostgresTokenStoreOptions {
  if (typeof options !== 'object' || options === null) throw new DexcomConfigurationError(`PostgresTokenStore needs options, ${EXAMPLE}`);
  const o = options as Record<string, unknown>;
  const given = (['url', 'pool', 'pglite', 'database'] as const).filter((key) => o[key] !== undefined);
  if (given.length !== 1) {
    throw new DexcomConfigurationError(`PostgresTokenStore needs exactly one of url, pool, pglite or database (got ${given.join(', ') || 'none'}), ${EXAMPLE}`);
  }
  if (o.url !== undefined) {
    let protocol = '';
    try {
      protocol = new URL(String(o.url)).protocol;
    } catch {
      throw new DexcomConfigurationError(`PostgresTokenStore url is not a URL, ${EXAMPLE}`);
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
      throw new DexcomConfigurationError(`PostgresTokenStore url must start with postgres:// or postgresql:// (got ${protocol}//), ${EXAMPLE}`);
    }
  }
  const database = o.database as Partial<Database> | undefined;
  if (database !== undefined && (typeof database.query !== 'function' || typeof database.transaction !== 'function')) {
    throw new DexcomConfigurationError(`PostgresTokenStore database must come from openDatabase(), e.g. new PostgresTokenStore({ database: await openDatabase({ dataDir: './.dexcom' }) })`);
  }
  const schema = (o.schema ?? DEFAULT_SCHEMA) as string;
  quoteSchema(schema);
  const lockTimeoutMs = o.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (typeof lockTimeoutMs !== 'number' || !Number.isSafeInteger(lockTimeoutMs) || lockTimeoutMs < 1 || lockTimeoutMs > 3_600_000) {
    throw new DexcomConfigurationError(`PostgresTokenStore lockTimeoutMs must be an integer from 1 to 3600000, e.g. { lockTimeoutMs: 60_000 }`);
  }
  const connection = database
    ? { database: database as Database }
    : { open: (o.url !== undefined ? { url: o.url } : o.pool !== undefined ? { pool: o.pool } : { pglite: o.pglite }) as DatabaseOptions };
  return { connection, schema, lockTimeoutMs };
}

/**
 * A {@link TokenStore} in PostgreSQL (a server through `pg`, or embedded PGlite) for a fleet of
 * processes: one row per user in `<schema>.oauth_tokens`.
 *
 * - `compareAndSet` is one statement (`UPDATE ... WHERE version = $expected`, or an insert that
 *   does nothing when a row exists): atomic, durable when it resolves.
 * - `withRefreshLock` holds a transaction-scoped advisory lock on the user
 *   (`pg_advisory_xact_lock`) in one transaction on one connection across the refresh, so one process per user refreshes at a time; the others
 *   wait, then re-read the record under the lock and use the new token without a token request.
 *   The version stays the fencing token: writes under the lock are compare-and-sets too. The lock
 *   dies with its connection (a crashed or killed holder never blocks the user) and a wait longer
 *   than `lockTimeoutMs` ends in `DexcomRefreshLockTimeoutError`. Embedded PGlite has one
 *   connection: a refresh then holds it, and other statements on that instance wait.
 * - Failures surface as `DexcomTokenStoreError` (never quoting a token or the URL).
 *
 * @example
 * const tokenStore = new PostgresTokenStore({ url: process.env.DATABASE_URL! });
 * const dexcom = new DexcomApiClient({ oauth: { clientId, clientSecret, tokenStore } });
 * // at shutdown
 * await tokenStore.close();
 */
export class PostgresTokenStore implements TokenStore {
  readonly #options: ResolvedPostgresTokenStoreOptions;
  readonly #table: string;
  #ready: Promise<Database> | undefined;
  #closed = false;

  constructor(options: PostgresTokenStoreOptions) {
    this.#options = resolvePostgresTokenStoreOptions(options);
    this.#table = `${quoteSchema(this.#options.schema)}.oauth_tokens`;
  }

  /** The user's record, or `undefined`. */
  async get(userKey: string): Promise<TokenRecord | undefined> {
    assertUserKey(userKey);
    return this.#guard('read the tokens', async () => readRecord(await this.#database(), this.#table, userKey));
  }

  /** Writes `next` when the stored version is `expectedVersion` (`undefined`: no row); `false` otherwise. */
  async compareAndSet(userKey: string, expectedVersion: number | undefined, next: TokenRecord): Promise<boolean> {
    assertUserKey(userKey);
    const record = parseTokenRecord(next, 'PostgresTokenStore.compareAndSet');
    assertNextVersion(expectedVersion, record);
    return this.#guard('save the tokens', async () => writeRecord(await this.#database(), this.#table, userKey, expectedVersion, record));
  }

  /**
   * Runs `fn` holding the user's refresh lock, in one transaction; resolves once it committed.
   *
   * @throws DexcomRefreshLockTimeoutError after `lockTimeoutMs` of waiting; DexcomTokenStoreError
   * when the database fails (a dropped connection rolls back what `fn` wrote).
   * @example
   * await store.withRefreshLock('patient-42', async (locked) => locked.get('patient-42'));
   */
  async withRefreshLock<T>(userKey: string, fn: (locked: LockedTokenStore) => Promise<T>): Promise<T> {
    assertUserKey(userKey);
    const db = await this.#guard('open the database', () => this.#database());
    const table = this.#table;
    const lockTimeoutMs = this.#options.lockTimeoutMs;
    // fn's own failure comes back as it is; only the database's failures become DexcomTokenStoreError.
    let failure: { readonly error: unknown } | undefined;
    const holding = this.#guard('hold the refresh lock', () =>
      db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
        try {
          // A transaction-scoped advisory lock on the user: held until COMMIT or ROLLBACK, or until
          // this connection dies; it exists whether or not the user has a row yet.
          await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`dexcom-api-client:token-refresh:${table}:${userKey}`]);
        } catch (error) {
          if ((error as { code?: unknown })?.code === LOCK_NOT_AVAILABLE) {
            throw new DexcomRefreshLockTimeoutError(
              `Waited ${lockTimeoutMs} ms for this user's refresh lock (another process holds it, most likely refreshing the same user)`,
              { lockTimeoutMs },
            );
          }
          throw error;
        }
        const locked: LockedTokenStore = {
          get: async (key) => {
            assertSameUser(key, userKey);
            return readRecord(tx, table, key);
          },
          compareAndSet: async (key, expectedVersion, next) => {
            assertSameUser(key, userKey);
            const record = parseTokenRecord(next, 'PostgresTokenStore.compareAndSet');
            assertNextVersion(expectedVersion, record);
            return writeRecord(tx, table, key, expectedVersion, record);
          },
        };
        try {
          return await fn(locked);
        } catch (error) {
          failure = { error };
          throw error;
        }
      }),
    );
    try {
      return await holding;
    } catch (error) {
      throw failure !== undefined ? failure.error : error;
    }
  }

  /**
   * Creates the table if missing (also done on first use).
   *
   * @example
   * await new PostgresTokenStore({ url }).migrate();
   */
  async migrate(): Promise<void> {
    await this.#guard('create its table', () => this.#database());
  }

  /**
   * Closes what this store opened: the pool it made from a `url`. A `pool`, `pglite` or `database`
   * passed in stays open. Later calls fail with `DexcomTokenStoreError`.
   *
   * @example
   * await tokenStore.close();
   */
  async close(): Promise<void> {
    this.#closed = true;
    const ready = this.#ready;
    this.#ready = undefined;
    if (ready === undefined || 'database' in this.#options.connection) return;
    // A Database from openDatabase() closes only what it opened itself (a pool from a URL).
    await ready.then((db) => db.close(), () => undefined);
  }

  #database(): Promise<Database> {
    if (this.#closed) return Promise.reject(new DexcomTokenStoreError('This PostgresTokenStore was closed'));
    if (this.#ready === undefined) {
      const { connection, schema } = this.#options;
      const opening = (async () => {
        const db = 'database' in connection ? connection.database : await openDatabase(connection.open);
        await migrate(db, schema, TOKEN_STORE_MIGRATIONS);
        return db;
      })();
      // A failed first use (server down) is not cached: the next call tries again.
      opening.catch(() => {
        if (this.#ready === opening) this.#ready = undefined;
      });
      this.#ready = opening;
    }
    return this.#ready;
  }

  async #guard<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isDexcomError(error)) throw error;
      throw new DexcomTokenStoreError(`PostgresTokenStore failed to ${what}${describe(error)}`, { cause: error });
    }
  }
}

async function readRecord(db: SqlQueryable, table: string, userKey: string): Promise<TokenRecord | undefined> {
  const { rows } = await db.query<{ record: unknown }>(`SELECT record FROM ${table} WHERE user_key = $1`, [userKey]);
  const row = rows[0];
  if (row === undefined) return undefined;
  const value = typeof row.record === 'string' ? (JSON.parse(row.record) as unknown) : row.record;
  return parseTokenRecord(value, 'PostgresTokenStore (a stored record)');
}

async function writeRecord(db: SqlQueryable, table: string, userKey: string, expectedVersion: number | undefined, record: TokenRecord): Promise<boolean> {
  const json = JSON.stringify(record);
  const { rows } =
    expectedVersion === undefined
      ? await db.query(
          `INSERT INTO ${table} (user_key, version, record) VALUES ($1, $2, $3::jsonb) ON CONFLICT (user_key) DO NOTHING RETURNING version`,
          [userKey, record.version, json],
        )
      : await db.query(
          `UPDATE ${table} SET version = $2, record = $3::jsonb, updated_at = now() WHERE user_key = $1 AND version = $4 RETURNING version`,
          [userKey, record.version, json, expectedVersion],
        );
  return rows.length === 1;
}

function assertSameUser(key: string, locked: string): void {
  if (key !== locked) throw new DexcomTokenStoreError(`The refresh lock is held for one user; reads and writes under it must be for that user`);
}

/** A short, secret-free reason: PostgreSQL's SQLSTATE (never a message that could quote parameters or the URL). */
function describe(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  return code ? ` (${code})` : '';
}
