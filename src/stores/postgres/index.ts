/**
 * `dexcom-api-client/postgres`: fleet state in PostgreSQL, a server through `pg` or embedded
 * PGlite (both optional peer dependencies), on one SQL code path.
 */
export { openDatabase, type Database, type DatabaseOptions, type SqlQueryable, type SqlResult } from './database.js';
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
