import { createServer } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DexcomCheckpointStoreError, isDexcomError, type SyncCheckpoint } from '../../src/index.js';
import { PostgresCheckpointStore } from '../../src/stores/postgres/checkpoint-store.js';
import { postgresUrlOrSkip } from '../support/services.js';

const serverUrl = await postgresUrlOrSkip();
const CANARY = 'canary-pw-7f3a9c';
const key = { userKey: 'patient-1', type: 'egvs' } as const;
const before: SyncCheckpoint = { version: 1, syncedUntil: '2024-06-01T00:00:00.000Z', delivered: [['egvs-1', 1717199700000, 'AAAAAAAAAAAAAAAA']] };
const after: SyncCheckpoint = { version: 1, syncedUntil: '2024-06-02T00:00:00.000Z', delivered: [] };
const randomSchema = () => `ckpt_fault_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;

/** Everything an error shows a log or an API client. */
const shown = (error: unknown) => `${String(error)} ${JSON.stringify(error)} ${(error as Error).message}`;

/** A URL with the canary as password: the servers here trust loopback, so it is sent and ignored. */
function withCanaryPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = CANARY;
  return parsed.toString();
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('condition never held');
}

describe('PostgresCheckpointStore options', () => {
  it.each([
    [{}, /exactly one of url, pool, pglite or database \(got none\)/],
    [{ url: 'postgres://x', database: {} }, /got url, database/],
    [{ url: 'postgres://x', schema: 'Bad-Schema' }, /schema must be lower-case/],
    [{ database: { query: 1 } }, /database must come from openDatabase\(\)/],
    [undefined, /needs options/],
  ])('refuses %j at construction with a configuration error and an example', (options, message) => {
    const error = (() => {
      try {
        new PostgresCheckpointStore(options as never);
      } catch (e) {
        return e;
      }
    })();
    expect(isDexcomError(error) && error.code).toBe('configuration');
    expect((error as Error).message).toMatch(message);
  });

  it('a URL that is not postgres:// is a configuration error at first use, not a store error', async () => {
    const store = new PostgresCheckpointStore({ url: 'mysql://127.0.0.1/x' });
    await expect(store.get(key)).rejects.toMatchObject({ code: 'configuration' });
    await store.close();
  });

  it('a refused connection is a retryable checkpoint_store error that shows no password', async () => {
    const store = new PostgresCheckpointStore({ url: `postgres://postgres:${CANARY}@127.0.0.1:${await freePort()}/test`, schema: randomSchema() });
    const error = await store.set(key, before).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomCheckpointStoreError);
    expect(error).toMatchObject({ code: 'checkpoint_store', retryable: true });
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(shown(error)).not.toContain(CANARY);
    await store.close();
  });
});

describe('PostgresCheckpointStore on a PGlite instance passed in', () => {
  let pglite: PGlite;
  beforeAll(async () => {
    pglite = await PGlite.create();
  }, 120_000);
  afterAll(() => pglite?.close());

  it('close() leaves the caller\'s instance open, and the closed store refuses further calls', async () => {
    const schema = randomSchema();
    const store = new PostgresCheckpointStore({ pglite, schema });
    await store.set(key, before);
    await store.close();
    expect((await pglite.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.sync_checkpoints`)).rows).toEqual([{ n: 1 }]);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'checkpoint_store', retryable: false });
    await pglite.exec(`DROP SCHEMA ${schema} CASCADE`);
  });

  it('a row that is not a checkpoint is a validation error naming the table, never a silent restart', async () => {
    const schema = randomSchema();
    const store = new PostgresCheckpointStore({ pglite, schema });
    await store.set(key, before);
    await pglite.query(`UPDATE ${schema}.sync_checkpoints SET checkpoint = '{"version":2}'::jsonb`);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'validation', message: expect.stringMatching(/sync_checkpoints is not a sync checkpoint: unsupported version 2/) });
    await expect(store.set({ userKey: 'a\u0000b', type: 'egvs' }, before)).rejects.toMatchObject({ code: 'validation' });
    await store.close();
    await pglite.exec(`DROP SCHEMA ${schema} CASCADE`);
  });
});

describe.runIf(serverUrl)('PostgresCheckpointStore on the PostgreSQL server: a connection dropped mid-write', () => {
  const schema = randomSchema();
  let pool: pg.Pool;
  let locker: pg.Client;
  beforeAll(async () => {
    // One connection, so the pid read below is the connection the store writes on.
    pool = new pg.Pool({ connectionString: withCanaryPassword(serverUrl!), max: 1 });
    pool.on('error', () => undefined);
    locker = new pg.Client({ connectionString: serverUrl! });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await locker?.end();
    await pool?.end();
  });

  it('ends in a typed error, and the checkpoint stays where it was', async () => {
    const store = new PostgresCheckpointStore({ pool, schema });
    await store.set(key, before);
    const storePid = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    // Hold the row, so the store's write is on the wire and waiting inside its statement.
    await locker.query('BEGIN');
    await locker.query(`SELECT 1 FROM ${schema}.sync_checkpoints WHERE user_key = $1 AND record_type = $2 FOR UPDATE`, [key.userKey, key.type]);
    const writing = store.set(key, after).then(
      () => undefined,
      (error: unknown) => error,
    );
    await until(async () => (await locker.query<{ blocked: boolean }>('SELECT $1::int = ANY(pg_blocking_pids($2)) AS blocked', [lockerPid, storePid])).rows[0]!.blocked);
    // Only the store's own connection is terminated.
    await locker.query('SELECT pg_terminate_backend($1)', [storePid]);
    const error = await writing;
    await locker.query('ROLLBACK');
    expect(error).toBeInstanceOf(DexcomCheckpointStoreError);
    expect(error).toMatchObject({ code: 'checkpoint_store', retryable: true });
    expect(shown(error)).not.toContain(CANARY);
    // The pool opens a new connection; the write never happened.
    expect(await store.get(key)).toEqual(before);
    await store.set(key, after);
    expect(await store.get(key)).toEqual(after);
    await store.close();
    // The caller's pool stays open.
    expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
