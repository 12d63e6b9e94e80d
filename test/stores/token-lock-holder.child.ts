/**
 * A child process that takes a user's refresh lock in a PostgresTokenStore and holds it until it is
 * killed, as a worker would that crashed after taking the lock and before sending its token POST.
 * Prints `locked <backend pid>` once it holds the lock.
 *
 * Usage: tsx test/stores/token-lock-holder.child.ts <postgres url> <schema> <userKey>
 */
import pg from 'pg';
import { PostgresTokenStore } from '../../src/stores/postgres/token-store.js';

const [url, schema, userKey] = process.argv.slice(2) as [string, string, string];
const pool = new pg.Pool({ connectionString: url, max: 1 });
const store = new PostgresTokenStore({ pool, schema });
await store.withRefreshLock(userKey, async (locked) => {
  await locked.get(userKey);
  process.stdout.write('locked\n');
  await new Promise(() => {});
});
