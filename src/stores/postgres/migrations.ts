import { DexcomConfigurationError } from '../../core/errors.js';
import type { Database } from './database.js';

/** One versioned step of a component's schema. */
export interface Migration {
  /** 1, 2, 3, ...: applied in order, each once. */
  readonly version: number;
  /** SQL without parameters; `{{schema}}` stands for the quoted schema name. */
  readonly sql: string;
}

/** A set of migrations that belong together, such as the token store's tables. */
export interface MigrationSet {
  /** Stable name recorded with each applied version, for example `'token-store'`. */
  readonly component: string;
  /** The steps, versions ascending from 1. */
  readonly migrations: readonly Migration[];
}

/** Default schema for every table this package creates. */
export const DEFAULT_SCHEMA = 'dexcom';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Checks a schema name (lower-case letters, digits and underscores, at most 63 characters) and
 * returns it double-quoted for SQL.
 *
 * @example
 * quoteSchema('dexcom'); // '"dexcom"'
 */
export function quoteSchema(schema: string): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new DexcomConfigurationError(
      `schema must be lower-case letters, digits and underscores, starting with a letter or underscore (got ${JSON.stringify(schema)}), for example { schema: 'dexcom' }.`,
    );
  }
  return `"${schema}"`;
}

/**
 * Brings a component's tables up to date, idempotently: creates the schema and a
 * `schema_migrations` table if missing, then applies each version not yet recorded, each in its
 * own transaction. Concurrent callers (several processes starting at once) are serialised by a
 * transaction-scoped advisory lock, so every version is applied exactly once.
 *
 * @example
 * await migrate(db, 'dexcom', { component: 'token-store', migrations: [{ version: 1, sql: 'CREATE TABLE {{schema}}.tokens (...)' }] });
 */
export async function migrate(db: Database, schema: string, set: MigrationSet): Promise<void> {
  const quoted = quoteSchema(schema);
  const versions = set.migrations.map((m) => m.version);
  if (versions.some((v, i) => v !== i + 1)) {
    throw new DexcomConfigurationError(`Migrations of ${set.component} must be numbered 1, 2, 3, ... (got ${versions.join(', ')}).`);
  }
  await db.transaction(async (tx) => {
    // One lock per schema: the key is a hash of its name, so unrelated schemas never wait on each other.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`dexcom-api-client:migrate:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
         component text NOT NULL,
         version integer NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (component, version)
       )`,
    );
    const { rows } = await tx.query<{ version: number }>(`SELECT version FROM ${quoted}.schema_migrations WHERE component = $1`, [set.component]);
    const applied = new Set(rows.map((r) => Number(r.version)));
    for (const migration of set.migrations) {
      if (applied.has(migration.version)) continue;
      for (const statement of splitStatements(migration.sql.replaceAll('{{schema}}', quoted))) {
        await tx.query(statement);
      }
      await tx.query(`INSERT INTO ${quoted}.schema_migrations (component, version) VALUES ($1, $2)`, [set.component, migration.version]);
    }
  });
}

/**
 * Splits migration SQL on semicolons at the end of a line, so each statement runs through
 * `query()` inside the one transaction (PGlite's transaction object has no multi-statement exec).
 * Migrations therefore put each statement's closing `;` at a line end and use no `$$` bodies.
 */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
