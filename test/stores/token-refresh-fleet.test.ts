/**
 * One refresh per user across processes with PostgresTokenStore, against the local fake
 * authorization server (rotating, single-use refresh tokens): waiters re-read and use the new token
 * without a token request, a lock wait that times out is a typed error, a backend terminated
 * mid-refresh (`pg_terminate_backend` on this test's own connection only) loses no session, and a
 * SIGKILLed lock holder that died before its POST costs no session.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DexcomApiClient,
  DexcomTokenStoreError,
  type TokenRecord,
  type TokenStore,
} from '../../src/index.js';
import { DexcomRefreshLockTimeoutError } from '../../src/oauth/refresh-lock.js';
import { openDatabase, type Database } from '../../src/stores/postgres/database.js';
import { PostgresTokenStore } from '../../src/stores/postgres/token-store.js';
import { type FakeAuthServer, startFakeAuthServer } from '../support/fake-auth-server.js';
import { postgresUrlOrSkip } from '../support/services.js';

let server: FakeAuthServer;
beforeEach(async () => {
  server = await startFakeAuthServer();
});
afterEach(async () => {
  await server.close();
});

const randomSchema = () => `tokens_${randomBytes(6).toString('hex')}`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function client(tokenStore: TokenStore): DexcomApiClient {
  return new DexcomApiClient({
    baseUrl: server.url,
    rateLimit: { capacity: 1_000, refillPerInterval: 1_000 },
    oauth: { clientId: server.clientId, clientSecret: server.clientSecret, tokenStore, refreshRetry: { initialDelayMs: 5, maxDelayMs: 10_000 } },
  });
}

/** Saves tokens the fake server issued as version 1 of `u1`, already expired. */
async function seedExpired(store: TokenStore): Promise<TokenRecord> {
  const record: TokenRecord = {
    ...server.issueTokens('SandboxUser7', -60),
    environment: server.url,
    version: 1,
    reauthorizationRequired: false,
    updatedAt: Date.now() - 7_200_000,
  };
  expect(await store.compareAndSet('u1', undefined, record)).toBe(true);
  return record;
}

/** Four "processes" (clients with their own store objects) race on one expired token. */
async function raceFourProcesses(stores: TokenStore[]): Promise<void> {
  await seedExpired(stores[0]!);
  const release = server.holdTokenResponses();
  const calls = stores.flatMap((store) => {
    const user = client(store).forUser('u1');
    return Array.from({ length: 5 }, () => user.getDevices());
  });
  while (server.tokenRequests.length < 1) await pause(2);
  // Give the other processes every chance to send a token request of their own while the first waits.
  await pause(100);
  release();
  await Promise.all(calls);
  expect(server.tokenRequests).toHaveLength(1);
  expect(server.dataRequests).toHaveLength(20);
  expect(new Set(server.dataRequests.map((r) => r.token)).size).toBe(1);
  expect(await stores[3]!.get('u1')).toMatchObject({ version: 2, grant: 'refresh_token' });
}

describe('on embedded PGlite (one database shared by several stores)', () => {
  let pglite: PGlite;
  let database: Database;
  beforeAll(async () => {
    pglite = await PGlite.create();
    database = await openDatabase({ pglite });
  }, 120_000);
  afterAll(async () => {
    await pglite.close();
  });

  it('20 calls from 4 processes on one expired token: exactly 1 token request, every call succeeds', async () => {
    const schema = randomSchema();
    await raceFourProcesses(Array.from({ length: 4 }, () => new PostgresTokenStore({ database, schema })));
  });
});

const url = await postgresUrlOrSkip();
describe.skipIf(url === undefined)('on the PostgreSQL server', () => {
  let schema: string;
  const opened: Array<{ close(): Promise<void> }> = [];
  const open = <T extends { close(): Promise<void> }>(thing: T): T => (opened.push(thing), thing);
  const adminQuery = async (text: string, params: unknown[] = []) => {
    const admin = new pg.Pool({ connectionString: url!, max: 1 });
    try {
      return await admin.query(text, params);
    } finally {
      await admin.end();
    }
  };
  beforeEach(() => {
    schema = randomSchema();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((thing) => thing.close().catch(() => undefined)));
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  it('20 calls from 4 processes (4 pools) on one expired token: exactly 1 token request, every call succeeds', async () => {
    await raceFourProcesses(Array.from({ length: 4 }, () => open(new PostgresTokenStore({ url: url!, schema }))));
  });

  it('a refresh lock not acquired within lockTimeoutMs is a DexcomRefreshLockTimeoutError, and nothing is sent', async () => {
    const holder = open(new PostgresTokenStore({ url: url!, schema }));
    await seedExpired(holder);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => (entered = resolve));
    const held = holder.withRefreshLock('u1', async () => {
      entered();
      await gate;
    });
    await holding;

    const impatient = open(new PostgresTokenStore({ url: url!, schema, lockTimeoutMs: 200 }));
    const error = await client(impatient).forUser('u1').getDevices().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomRefreshLockTimeoutError);
    expect(error).toBeInstanceOf(DexcomTokenStoreError);
    expect(error).toMatchObject({ code: 'token_store', retryable: true, lockTimeoutMs: 200 });
    expect(server.tokenRequests).toHaveLength(0);
    release();
    await held;
  });

  it('a backend terminated mid-refresh rolls back, the refreshed tokens are held back, and the next call saves and uses them: no session lost', async () => {
    const applicationName = `dexcom-test-${randomBytes(6).toString('hex')}`;
    const pool = new pg.Pool({ connectionString: url!, application_name: applicationName });
    pool.on('error', () => {});
    open({ close: () => pool.end() });
    const store = open(new PostgresTokenStore({ pool, schema }));
    const seeded = await seedExpired(store);
    const release = server.holdTokenResponses();
    const user = client(store).forUser('u1');

    const first = user.getDevices().catch((e: unknown) => e);
    while (server.tokenRequests.length < 1) await pause(2);
    // Only this test's own connection: the one holding the lock, idle in its transaction.
    const { rows } = await adminQuery(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'`,
      [applicationName],
    );
    expect(rows).toEqual([{ terminated: true }]);
    release();
    const error = await first;

    expect(error).toBeInstanceOf(DexcomTokenStoreError);
    expect(server.tokenRequests.map((r) => r.status)).toEqual([200]);
    expect(server.refreshTokenState(seeded.refreshToken)).toBe('used');
    expect((await store.get('u1'))!.version).toBe(1);
    expect(server.dataRequests).toHaveLength(0);

    await expect(user.getDevices()).resolves.toEqual([]);
    const saved = (await store.get('u1'))!;
    expect(saved.version).toBe(2);
    expect(server.refreshTokenState(saved.refreshToken)).toBe('active');
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.dataRequests.map((r) => r.token)).toEqual([saved.accessToken]);
  });

  it('a lock holder SIGKILLed before its POST costs no session: the next process refreshes with the still-valid refresh token', async () => {
    const store = open(new PostgresTokenStore({ url: url!, schema }));
    const seeded = await seedExpired(store);
    const child: ChildProcess = spawn('npx', ['tsx', 'test/stores/token-lock-holder.child.ts', url!, schema, 'u1'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
        child.once('exit', (code) => reject(new Error(`the lock holder exited early (${code})`)));
      });
      let settled = false;
      const refresh = client(store)
        .forUser('u1')
        .getDevices()
        .finally(() => (settled = true));
      await pause(300);
      // The child holds the lock: this process waits and sends nothing.
      expect(settled).toBe(false);
      expect(server.tokenRequests).toHaveLength(0);

      // npx runs tsx, which runs node: kill the whole process group so the lock holder itself dies.
      process.kill(-child.pid!, 'SIGKILL');
      await expect(refresh).resolves.toEqual([]);
    } finally {
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    expect(server.tokenRequests.map((r) => [r.form.refresh_token, r.status])).toEqual([[seeded.refreshToken, 200]]);
    expect((await store.get('u1'))!).toMatchObject({ version: 2, reauthorizationRequired: false });
  });
});
