import type { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';
import { DexcomConfigurationError } from '../../core/errors.js';
import {
  gcraParameters,
  type RateLimitSnapshot,
  type RateLimitStore,
  type Reservation,
  type TokenBucketShape,
} from '../../../plugins/rate-limit-store.js';
import { openDatabase, type Database } from './database.js';
import { DEFAULT_SCHEMA, migrate, quoteSchema, type MigrationSet } from './migrations.js';

/**
 * Where the shared bucket lives: exactly one of `url` (a pool is opened and closed by
 * `close()`), `pool`, `pglite` or `database` (yours, left open), plus the `schema` of its table
 * and the bucket's `key`.
 */
export type PostgresRateLimitStoreOptions = (
  | { url: string; pool?: never; pglite?: never; database?: never }
  | { pool: Pool; url?: never; pglite?: never; database?: never }
  | { pglite: PGlite; url?: never; pool?: never; database?: never }
  | { database: Database; url?: never; pool?: never; pglite?: never }
) & {
  /**
   * Schema of the `rate_limit_buckets` table, created on first use.
   * @default 'dexcom'
   */
  schema?: string;
  /**
   * The bucket's key; every process of one app uses the same key.
   * @default 'default'
   */
  key?: string;
};

/** Validated {@link PostgresRateLimitStoreOptions}. */
export interface ResolvedPostgresRateLimitStoreOptions {
  readonly connection: { url: string } | { pool: Pool } | { pglite: PGlite } | { database: Database };
  readonly schema: string;
  readonly key: string;
}

const EXAMPLE = "e.g. new PostgresRateLimitStore({ url: 'postgres://127.0.0.1:5432/app', key: 'my-app' })";

/**
 * Validates the PostgreSQL store's options once (pure; nothing is connected).
 *
 * @throws DexcomConfigurationError with a correct example.
 * @example
 * resolvePostgresRateLimitStoreOptions({ pglite }); // schema 'dexcom', key 'default'
 */
export function resolvePostgresRateLimitStoreOptions(options: PostgresRateLimitStoreOptions): ResolvedPostgresRateLimitStoreOptions {
  if (typeof options !== 'object' || options === null) throw new DexcomConfigurationError(`PostgresRateLimitStore needs options, ${EXAMPLE}`);
  const given = (['url', 'pool', 'pglite', 'database'] as const).filter((name) => (options as Record<string, unknown>)[name] !== undefined);
  if (given.length !== 1) {
    throw new DexcomConfigurationError(
      `PostgresRateLimitStore takes exactly one of url, pool, pglite or database (got ${given.length ? given.join(', ') : 'none'}), ${EXAMPLE}`,
    );
  }
  const name = given[0]!;
  if (name === 'url') {
    let protocol = '';
    try {
      protocol = new URL(String(options.url)).protocol;
    } catch {
      // Never echo the URL: it may hold a password.
      throw new DexcomConfigurationError(`PostgresRateLimitStore url is not a URL, ${EXAMPLE}`);
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
      throw new DexcomConfigurationError(`PostgresRateLimitStore url must start with postgres:// or postgresql:// (got ${protocol}//), ${EXAMPLE}`);
    }
  }
  if (name === 'database' && typeof options.database?.query !== 'function') {
    throw new DexcomConfigurationError(`PostgresRateLimitStore database must come from openDatabase(), ${EXAMPLE}`);
  }
  const schema = options.schema ?? DEFAULT_SCHEMA;
  quoteSchema(schema);
  const key = options.key ?? 'default';
  if (typeof key !== 'string' || key.length === 0 || key.length > 256) {
    throw new DexcomConfigurationError(`PostgresRateLimitStore key must be a string of 1 to 256 characters, ${EXAMPLE}`);
  }
  const connection = { [name]: options[name] } as ResolvedPostgresRateLimitStoreOptions['connection'];
  return { connection, schema, key };
}

/** The store's table: one row per bucket, times in epoch ms on the database clock. */
export const RATE_LIMIT_MIGRATIONS: MigrationSet = {
  component: 'rate-limit-store',
  migrations: [
    {
      version: 1,
      sql: `CREATE TABLE IF NOT EXISTS {{schema}}.rate_limit_buckets (
  key text PRIMARY KEY,
  tat double precision NOT NULL,
  paused_until double precision NOT NULL DEFAULT 0
);`,
    },
  ],
};

// Milliseconds since the epoch on the database's clock, read when the statement runs (not at
// transaction start, as now() would be).
const NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::double precision';

/**
 * A {@link RateLimitStore} in PostgreSQL (a server through `pg`, or embedded PGlite), shared by
 * every process that uses the same `key`: each reservation is one `UPDATE ... RETURNING` (GCRA
 * on the database clock, the row lock serialising concurrent reservations), and a 429 seen by
 * any process pauses them all until its `Retry-After`. While the database is unreachable its
 * calls reject, and the rate limiter runs on its local share.
 *
 * @example
 * const store = new PostgresRateLimitStore({ url: process.env.DATABASE_URL!, key: 'my-app' });
 * const dexcom = new DexcomApiClient({ rateLimit: { store, expectedWorkers: 8 } });
 * await store.close();
 */
export class PostgresRateLimitStore implements RateLimitStore {
  readonly #options: ResolvedPostgresRateLimitStoreOptions;
  readonly #table: string;
  #ready: Promise<Database> | undefined;
  #opened: Database | undefined;

  constructor(options: PostgresRateLimitStoreOptions) {
    this.#options = resolvePostgresRateLimitStoreOptions(options);
    this.#table = `${quoteSchema(this.#options.schema)}.rate_limit_buckets`;
  }

  /** Creates the table if missing (idempotent; every other method does it on first use). */
  async migrate(): Promise<void> {
    await this.#database();
  }

  /** @inheritDoc */
  async reserve(bucket: TokenBucketShape): Promise<Reservation> {
    const { emissionMs, toleranceMs } = gcraParameters(bucket);
    const row = await this.#update<{ wait_ms: number; cooling: boolean }>(
      `UPDATE ${this.#table} AS b SET tat = greatest(b.tat, c.now) + $2::double precision
       FROM (SELECT ${NOW_MS} AS now) AS c
       WHERE b.key = $1
       RETURNING greatest(0, b.tat - $3::double precision - c.now) AS wait_ms, b.paused_until > c.now AS cooling`,
      [this.#options.key, emissionMs, toleranceMs],
    );
    const waitMs = Number(row.wait_ms);
    if (!(waitMs > 0)) return { waitMs: 0 };
    return { waitMs, reason: row.cooling ? 'cool-down' : 'bucket-empty' };
  }

  /** @inheritDoc */
  async pause(bucket: TokenBucketShape, until: number, now: number): Promise<void> {
    if (until <= now) return;
    const { toleranceMs } = gcraParameters(bucket);
    // Empty when the pause ends (tat = end + tolerance); never shortens a longer pause.
    await this.#update(
      `UPDATE ${this.#table} AS b
       SET paused_until = greatest(b.paused_until, c.now + $2::double precision),
           tat = greatest(b.tat, c.now + $2::double precision + $3::double precision)
       FROM (SELECT ${NOW_MS} AS now) AS c
       WHERE b.key = $1
       RETURNING b.paused_until`,
      [this.#options.key, Math.ceil(until - now), toleranceMs],
    );
  }

  /** @inheritDoc */
  async snapshot(bucket: TokenBucketShape, now: number): Promise<RateLimitSnapshot> {
    const { emissionMs, toleranceMs } = gcraParameters(bucket);
    const db = await this.#database();
    const { rows } = await db.query<{ tokens: number; paused_ms: number }>(
      `SELECT greatest(0, $2::double precision - greatest(0, b.tat - c.now)) / $3::double precision AS tokens,
              greatest(0, b.paused_until - c.now) AS paused_ms
       FROM ${this.#table} AS b, (SELECT ${NOW_MS} AS now) AS c WHERE b.key = $1`,
      [this.#options.key, toleranceMs, emissionMs],
    );
    const row = rows[0];
    if (!row) return { tokens: bucket.capacity, pausedUntil: undefined };
    const pausedMs = Number(row.paused_ms);
    return { tokens: Number(row.tokens), pausedUntil: pausedMs > 0 ? now + pausedMs : undefined };
  }

  /** Closes the pool or PGlite this store opened from a `url` (one passed in stays open). */
  async close(): Promise<void> {
    const opened = this.#opened;
    this.#opened = undefined;
    this.#ready = undefined;
    await opened?.close();
  }

  /** Runs an UPDATE on the bucket's row, creating the row (a full bucket) the first time. */
  async #update<Row>(text: string, params: readonly unknown[]): Promise<Row> {
    const db = await this.#database();
    let { rows } = await db.query<Row>(text, params);
    if (rows.length === 0) {
      await db.query(`INSERT INTO ${this.#table} (key, tat) VALUES ($1, ${NOW_MS}) ON CONFLICT (key) DO NOTHING`, [this.#options.key]);
      ({ rows } = await db.query<Row>(text, params));
    }
    return rows[0] as Row;
  }

  #database(): Promise<Database> {
    this.#ready ??= this.#open().catch((error: unknown) => {
      // Try again on the next call: the database may be back by then.
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #open(): Promise<Database> {
    const { connection, schema } = this.#options;
    let db: Database;
    if ('database' in connection) db = connection.database;
    else {
      // Opened once: a failed migration (database down) is retried on the same pool.
      this.#opened ??= await openDatabase(connection);
      db = this.#opened;
    }
    await migrate(db, schema, RATE_LIMIT_MIGRATIONS);
    return db;
  }
}
