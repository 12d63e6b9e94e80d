/**
 * `dexcom-api-client/postgres`: the fleet stores on PostgreSQL, a server (`url`, `pool`) or embedded
 * PGlite (`pglite`, or one shared `database` from `openDatabase()`), through one SQL code path.
 * `pg` and `@electric-sql/pglite` are optional peer dependencies, loaded only when used.
 *
 * @example
 * import { PostgresCheckpointStore, PostgresTokenStore } from 'dexcom-api-client/postgres';
 * const tokenStore = new PostgresTokenStore({ url: process.env.DATABASE_URL! });
 * const checkpointStore = new PostgresCheckpointStore({ url: process.env.DATABASE_URL! });
 */
export { type Database, type DatabaseOptions, openDatabase, type SqlQueryable, type SqlResult } from './database.js';
export { DEFAULT_SCHEMA, migrate, type Migration, type MigrationSet } from './migrations.js';

// Tokens
export {
  PostgresTokenStore,
  resolvePostgresTokenStoreOptions,
  TOKEN_STORE_MIGRATIONS,
  type PostgresTokenStoreOptions,
  type ResolvedPostgresTokenStoreOptions,
} from './token-store.js';
export { DexcomRefreshLockTimeoutError, type LockedTokenStore } from '../../oauth/refresh-lock.js';

// Checkpoints
export { PostgresCheckpointStore, type PostgresCheckpointStoreOptions } from './checkpoint-store.js';

// Rate limit
export {
  PostgresRateLimitStore,
  RATE_LIMIT_MIGRATIONS,
  resolvePostgresRateLimitStoreOptions,
  type PostgresRateLimitStoreOptions,
  type ResolvedPostgresRateLimitStoreOptions,
} from './rate-limit-store.js';
