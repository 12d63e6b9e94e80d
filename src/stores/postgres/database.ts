import type { PGlite } from '@electric-sql/pglite';
import type { Pool, PoolClient } from 'pg';
import { DexcomConfigurationError } from '../../core/errors.js';

/** What one SQL statement returned. */
export interface SqlResult<Row> {
  /** The rows, with column names as keys. */
  readonly rows: Row[];
  /** Rows inserted, updated or deleted (0 for a SELECT on PGlite). */
  readonly rowCount: number;
}

/** Something that runs one parameterised statement: the database itself or an open transaction. */
export interface SqlQueryable {
  /**
   * Runs one statement with `$1`-style parameters.
   *
   * @example
   * const { rows } = await db.query<{ now: Date }>('SELECT now() AS now');
   */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
}

/**
 * One SQL code path over a PostgreSQL server (`pg.Pool`) or an embedded PGlite instance.
 * Every store and the relay talk to the database through this interface only.
 */
export interface Database extends SqlQueryable {
  /** `'pg'` for a server, `'pglite'` for the embedded engine. */
  readonly kind: 'pg' | 'pglite';
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it
   * throws. Locks taken inside (`SELECT ... FOR UPDATE`, `pg_advisory_xact_lock`) die with the
   * transaction, and with the connection if the process dies.
   *
   * @example
   * await db.transaction(async (tx) => { await tx.query('SELECT 1'); });
   */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Closes what this object opened; a pool or PGlite instance passed in stays open. */
  close(): Promise<void>;
}

/**
 * Where the database is. Exactly one of:
 * - `url`: a `postgres://` or `postgresql://` URL; a `pg.Pool` is opened (and closed by `close()`);
 * - `pool`: your `pg.Pool`, left open by `close()`;
 * - `pglite`: your PGlite instance, left open by `close()`;
 * - `dataDir`: a folder for an embedded PGlite (created if missing), or `'memory://'`.
 */
export type DatabaseOptions =
  | { url: string; pool?: never; pglite?: never; dataDir?: never }
  | { pool: Pool; url?: never; pglite?: never; dataDir?: never }
  | { pglite: PGlite; url?: never; pool?: never; dataDir?: never }
  | { dataDir: string; url?: never; pool?: never; pglite?: never };

const EXAMPLE = "for example { url: 'postgres://127.0.0.1:5432/app' }, { pool }, { pglite } or { dataDir: './.dexcom' }";

/**
 * Opens a {@link Database}; bad options throw a `DexcomConfigurationError` with an example. `pg` and `@electric-sql/pglite` are optional peer dependencies,
 * loaded only when the options need them.
 *
 * @example
 * const db = await openDatabase({ url: process.env.DATABASE_URL! });
 * const embedded = await openDatabase({ dataDir: './.dexcom' });
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const given = (['url', 'pool', 'pglite', 'dataDir'] as const).filter((key) => options?.[key as keyof DatabaseOptions] !== undefined);
  if (given.length !== 1) {
    throw new DexcomConfigurationError(`Give exactly one of url, pool, pglite or dataDir (got ${given.length ? given.join(', ') : 'none'}), ${EXAMPLE}.`);
  }
  if (options.pool) return poolDatabase(options.pool, false);
  if (options.pglite) return pgliteDatabase(options.pglite, false);
  if (options.url !== undefined) {
    let protocol: string;
    try {
      protocol = new URL(options.url).protocol;
    } catch {
      throw new DexcomConfigurationError(`url is not a URL, ${EXAMPLE}.`);
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
      throw new DexcomConfigurationError(`url must start with postgres:// or postgresql:// (got ${protocol}//), ${EXAMPLE}.`);
    }
    const pg = await importPeer<typeof import('pg')>('pg');
    const pool = new pg.default.Pool({ connectionString: options.url });
    // An idle client that loses its connection emits 'error' on the pool; without a listener that
    // would crash the process. The next query gets a fresh connection and reports its own error.
    pool.on('error', () => {});
    return poolDatabase(pool, true);
  }
  const { PGlite } = await importPeer<typeof import('@electric-sql/pglite')>('@electric-sql/pglite');
  const dataDir = options.dataDir as string;
  const instance = dataDir === 'memory://' ? new PGlite() : new PGlite(dataDir);
  await instance.waitReady;
  return pgliteDatabase(instance, true);
}

function poolDatabase(pool: Pool, owned: boolean): Database {
  const run = async <Row>(client: Pool | PoolClient, text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> => {
    const result = await client.query(text, params as unknown[] | undefined);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  };
  return {
    kind: 'pg',
    query: (text, params) => run(pool, text, params),
    async exec(sql) {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      // pg-pool removes its error listener from a checked-out client; a connection that dies in
      // the transaction (a terminated backend) would then crash the process with an 'error' event.
      // The failure reaches fn through its pending or next query instead.
      const swallow = (): void => {};
      client.on('error', swallow);
      let broken: unknown;
      try {
        await client.query('BEGIN');
        const value = await fn({ query: (text, params) => run(client, text, params) });
        await client.query('COMMIT');
        return value;
      } catch (error) {
        broken = await client.query('ROLLBACK').then(
          () => undefined,
          (rollbackError: unknown) => rollbackError,
        );
        throw error;
      } finally {
        client.removeListener('error', swallow);
        // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    async close() {
      if (owned) await pool.end();
    },
  };
}

function pgliteDatabase(db: PGlite, owned: boolean): Database {
  const result = <Row>(r: { rows: unknown[]; affectedRows?: number }): SqlResult<Row> => ({
    rows: r.rows as Row[],
    rowCount: r.affectedRows ?? 0,
  });
  return {
    kind: 'pglite',
    query: async (text, params) => result(await db.query(text, params as unknown[] | undefined)),
    async exec(sql) {
      await db.exec(sql);
    },
    // PGlite has one connection: its transaction() holds a mutex, so other queries wait.
    transaction: (fn) => db.transaction((tx) => fn({ query: async (text, params) => result(await tx.query(text, params as unknown[] | undefined)) })),
    async close() {
      if (owned) await db.close();
    },
  };
}

async function importPeer<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    throw Object.assign(new DexcomConfigurationError(`This needs the optional peer dependency ${name}: npm install ${name}`), { cause: error });
  }
}
