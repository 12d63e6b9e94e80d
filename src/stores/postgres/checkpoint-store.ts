import type { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';
import { DexcomCheckpointStoreError, DexcomConfigurationError, DexcomValidationError, isDexcomError } from '../../core/errors.js';
import { assertCheckpointKey, type CheckpointKey, type CheckpointStore, parseCheckpoint, type SyncCheckpoint } from '../../sync/checkpoint.js';
import { type Database, type DatabaseOptions, openDatabase } from './database.js';
import { DEFAULT_SCHEMA, migrate, type MigrationSet, quoteSchema } from './migrations.js';

/**
 * Options of {@link PostgresCheckpointStore}: where the database is (exactly one of `url`, `pool`,
 * `pglite`, `database`) and the schema of its table.
 *
 * @example
 * new PostgresCheckpointStore({ url: process.env.DATABASE_URL!, schema: 'dexcom' });
 * new PostgresCheckpointStore({ pglite: await PGlite.create('./.dexcom') });
 */
export type PostgresCheckpointStoreOptions = (
  | { url: string; pool?: never; pglite?: never; database?: never }
  | { pool: Pool; url?: never; pglite?: never; database?: never }
  | { pglite: PGlite; url?: never; pool?: never; database?: never }
  | { database: Database; url?: never; pool?: never; pglite?: never }
) & {
  /** Schema of the `sync_checkpoints` table, created if missing. Default `'dexcom'`. */
  schema?: string;
};

/** {@link PostgresCheckpointStoreOptions} checked, with the default schema filled in. */
export interface ResolvedPostgresCheckpointStoreOptions {
  /** How to reach the database: options for `openDatabase()`, or a `Database` to use as is. */
  readonly connection: { readonly database: Database } | { readonly open: DatabaseOptions };
  /** The schema name, checked. */
  readonly schema: string;
}

const EXAMPLE = "e.g. new PostgresCheckpointStore({ url: 'postgres://127.0.0.1:5432/app' }), { pool }, { pglite } or { database }";

/**
 * Checks {@link PostgresCheckpointStoreOptions} without touching the database: exactly one of
 * `url`, `pool`, `pglite`, `database`, and a valid `schema` (default `'dexcom'`). Throws a
 * `DexcomConfigurationError` with an example otherwise. The URL itself is checked when it is opened.
 *
 * @example
 * resolvePostgresCheckpointStoreOptions({ url: 'postgres://127.0.0.1:5432/app' }).schema; // 'dexcom'
 */
export function resolvePostgresCheckpointStoreOptions(options: unknown): ResolvedPostgresCheckpointStoreOptions {
  if (typeof options !== 'object' || options === null) throw new DexcomConfigurationError(`PostgresCheckpointStore needs options, ${EXAMPLE}`);
  const o = options as Record<string, unknown>;
  const given = (['url', 'pool', 'pglite', 'database'] as const).filter((key) => o[key] !== undefined);
  if (given.length !== 1) {
    throw new DexcomConfigurationError(`PostgresCheckpointStore needs exactly one of url, pool, pglite or database (got ${given.join(', ') || 'none'}), ${EXAMPLE}`);
  }
  const schema = o.schema ?? DEFAULT_SCHEMA;
  quoteSchema(schema as string);
  if (o.url !== undefined && (typeof o.url !== 'string' || o.url === '')) throw new DexcomConfigurationError(`url must be a postgres:// URL, ${EXAMPLE}`);
  const database = o.database as Partial<Database> | undefined;
  if (database !== undefined && (typeof database.query !== 'function' || typeof database.transaction !== 'function')) {
    throw new DexcomConfigurationError(`database must come from openDatabase(), e.g. new PostgresCheckpointStore({ database: await openDatabase({ dataDir: './.dexcom' }) })`);
  }
  const connection = database
    ? { database: database as Database }
    : { open: (o.url !== undefined ? { url: o.url } : o.pool !== undefined ? { pool: o.pool } : { pglite: o.pglite }) as DatabaseOptions };
  return { connection, schema: schema as string };
}

/**
 * The table, one row per user and record type. The checkpoint is kept whole in one `jsonb` value,
 * so a write replaces it in one statement: never half of one.
 */
const MIGRATIONS: MigrationSet = {
  component: 'checkpoint-store',
  migrations: [
    {
      version: 1,
      sql: `CREATE TABLE IF NOT EXISTS {{schema}}.sync_checkpoints (
  user_key text NOT NULL,
  record_type text NOT NULL,
  checkpoint jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_key, record_type)
);`,
    },
  ],
};

/**
 * A {@link CheckpointStore} in PostgreSQL, on a server (`url`, `pool`) or embedded PGlite
 * (`pglite`, or a shared `database` from `openDatabase()`), with the file store's semantics: one
 * checkpoint per `userKey` and record type, `set` replaces it and resolves once it is committed,
 * `get` returns what was last committed (or `undefined`) and refuses a row that is not a checkpoint.
 *
 * The table `sync_checkpoints` is created in `schema` on first use by an idempotent, versioned
 * migration. Each `set` is one `INSERT ... ON CONFLICT DO UPDATE`: atomic, so a crash or a dropped
 * connection leaves the previous checkpoint or the new one, never part of one. `sync` calls `set`
 * only after the handler finished a window, so the stored checkpoint is never ahead of the data.
 * A failing database surfaces as a {@link DexcomCheckpointStoreError} (the underlying error in
 * `cause`); a bad URL or schema as a `DexcomConfigurationError`.
 *
 * @example
 * const checkpointStore = new PostgresCheckpointStore({ url: process.env.DATABASE_URL! });
 * await dexcom.forUser('patient-42').sync({ checkpointStore, handler });
 * await checkpointStore.close();
 */
export class PostgresCheckpointStore implements CheckpointStore {
  readonly #options: ResolvedPostgresCheckpointStoreOptions;
  readonly #table: string;
  #ready: Promise<Database> | undefined;
  #closed = false;

  /** @param options checked here; see {@link PostgresCheckpointStoreOptions}. */
  constructor(options: PostgresCheckpointStoreOptions) {
    this.#options = resolvePostgresCheckpointStoreOptions(options);
    this.#table = `${quoteSchema(this.#options.schema)}.sync_checkpoints`;
  }

  /** The checkpoint last committed for `key`, or `undefined` before the first one. */
  async get(key: CheckpointKey): Promise<SyncCheckpoint | undefined> {
    assertStorableKey(key);
    const { rows } = await this.#run('read', key, (db) =>
      // As text, so the value parses the same whatever type parsers the caller's pg pool has.
      db.query<{ checkpoint: string }>(`SELECT checkpoint::text AS checkpoint FROM ${this.#table} WHERE user_key = $1 AND record_type = $2`, [key.userKey, key.type]),
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return parseCheckpoint(JSON.parse(row.checkpoint), `the ${key.type} checkpoint in ${this.#options.schema}.sync_checkpoints`);
  }

  /** Replaces the checkpoint for `key` in one statement; resolves once it is committed. */
  async set(key: CheckpointKey, checkpoint: SyncCheckpoint): Promise<void> {
    assertStorableKey(key);
    const value = parseCheckpoint(checkpoint, 'the checkpoint to save');
    await this.#run('save', key, (db) =>
      db.query(
        `INSERT INTO ${this.#table} (user_key, record_type, checkpoint, updated_at) VALUES ($1, $2, $3::jsonb, now())
         ON CONFLICT (user_key, record_type) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = EXCLUDED.updated_at`,
        [key.userKey, key.type, JSON.stringify(value)],
      ),
    );
  }

  /**
   * Closes what this store opened (the pool of a `url`); a `pool`, `pglite` or `database` passed in
   * stays open. Later calls fail with a `DexcomCheckpointStoreError`.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const ready = this.#ready;
    this.#ready = undefined;
    if (ready === undefined || 'database' in this.#options.connection) return;
    const db = await ready.catch(() => undefined);
    await db?.close();
  }

  /** Runs one statement, after the migration; failures other than the SDK's own become typed. */
  async #run<T>(action: 'read' | 'save', key: CheckpointKey, statement: (db: Database) => Promise<T>): Promise<T> {
    if (this.#closed) throw new DexcomCheckpointStoreError(`Cannot ${action} a checkpoint: this PostgresCheckpointStore was closed`, { retryable: false });
    try {
      return await statement(await this.#database());
    } catch (error) {
      if (isDexcomError(error)) throw error;
      const reason = errorCode(error);
      const outcome = action === 'save' ? '; the store holds the previous checkpoint or this one, never part of one' : '';
      throw new DexcomCheckpointStoreError(`Could not ${action} the ${key.type} sync checkpoint in PostgreSQL${reason ? ` (${reason})` : ''}${outcome}`, { cause: error });
    }
  }

  /** Opens the database and migrates once; a failed attempt is forgotten so the next call tries again. */
  #database(): Promise<Database> {
    this.#ready ??= this.#open().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #open(): Promise<Database> {
    const { connection, schema } = this.#options;
    const db = 'database' in connection ? connection.database : await openDatabase(connection.open);
    try {
      await migrate(db, schema, MIGRATIONS);
    } catch (error) {
      if (!('database' in connection)) await db.close().catch(() => undefined);
      throw error;
    }
    return db;
  }
}

/** A checkpoint key PostgreSQL can hold: a valid key whose `userKey` has no NUL (text cannot store one). */
function assertStorableKey(key: unknown): asserts key is CheckpointKey {
  assertCheckpointKey(key);
  if (key.userKey.includes('\u0000')) throw new DexcomValidationError('userKey must not contain a NUL character (PostgreSQL text cannot hold one)');
}

/** A short, secret-free reason: the SQLSTATE or the system error code, when there is one. */
function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,32}$/.test(code) ? code : undefined;
}
