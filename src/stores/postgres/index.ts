/**
 * `dexcom-api-client/postgres`: the fleet stores on PostgreSQL, a server (`url`, `pool`) or embedded
 * PGlite (`pglite`, or one shared `database` from `openDatabase()`), through one SQL code path.
 * `pg` and `@electric-sql/pglite` are optional peer dependencies, loaded only when used.
 *
 * @example
 * import { PostgresCheckpointStore } from 'dexcom-api-client/postgres';
 * const checkpointStore = new PostgresCheckpointStore({ url: process.env.DATABASE_URL! });
 */
export { type Database, type DatabaseOptions, openDatabase, type SqlQueryable, type SqlResult } from './database.js';
export { DEFAULT_SCHEMA } from './migrations.js';

// Checkpoints
export { PostgresCheckpointStore, type PostgresCheckpointStoreOptions } from './checkpoint-store.js';
