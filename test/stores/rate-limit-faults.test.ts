/**
 * Faults of the shared rate-limit stores, end to end through the rate limiter: a Redis server
 * stopped mid-run and restarted with its scripts flushed (our own redis-server on a free loopback
 * port, never the shared one), refused connections, and a PostgreSQL backend of our own pool
 * terminated while it waits on the bucket's row.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PipelineEvents, type PipelineEventMap } from '../../src/core/events.ts';
import { isDexcomError } from '../../src/core/errors.ts';
import type { FetchLike } from '../../src/core/middleware.ts';
import { createRateLimiter, resolveRateLimitOptions } from '../../plugins/rate-limiter.ts';
import type { RateLimitStore } from '../../plugins/rate-limit-store.ts';
import { openDatabase, type Database } from '../../src/stores/postgres/database.ts';
import { PostgresRateLimitStore } from '../../src/stores/postgres/rate-limit-store.ts';
import { RedisRateLimitStore } from '../../src/stores/redis/rate-limit-store.ts';
import { makeContext, makeRequest } from '../unit/context.ts';
import { postgresUrlOrSkip } from '../support/services.ts';

const postgresUrl = await postgresUrlOrSkip();
const redisServerBinary = await new Promise<boolean>((resolve) => {
  const probe = spawn('redis-server', ['--version'], { stdio: 'ignore' });
  probe.once('error', () => resolve(false));
  probe.once('exit', (code) => resolve(code === 0));
});
if (!redisServerBinary) console.warn('Skipping the Redis fault tests: redis-server is not on the PATH.');
const unique = (prefix: string) => `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
const BUCKET = { capacity: 50, refillPerInterval: 1_000, intervalMs: 1_000 };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Our own throwaway redis-server: no persistence, loopback only. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await answers(port)); i += 1) await new Promise((r) => setTimeout(r, 50));
  return child;
}

async function stopRedis(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A limiter over `store` whose wire is a stub, with the store events it emitted. */
function limiterOn(store: RateLimitStore) {
  const options = resolveRateLimitOptions({ ...BUCKET, store, expectedWorkers: 4, rejoinIntervalMs: 100, storeTimeoutMs: 5_000 });
  if (!options) throw new Error('unreachable');
  const events = new PipelineEvents();
  const states: Array<PipelineEventMap['rate-limit-store']> = [];
  events.on('rate-limit-store', (e) => states.push(e));
  const limiter = createRateLimiter(options, events);
  let sent = 0;
  const next: FetchLike = async () => {
    sent += 1;
    return new Response(null);
  };
  const run = limiter.middleware(next);
  const send = async (id = 'call') => (await run(makeRequest(), makeContext({ invocationId: id }))).status;
  return { states, send, sent: () => sent };
}

/** Sends calls until `done()` holds (or gives up after `ms`), as live traffic would. */
async function sendUntil(send: () => Promise<number>, done: () => boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) {
    expect(await send()).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.runIf(redisServerBinary)('Redis faults (own redis-server)', () => {
  let port: number;
  let server: ChildProcess | undefined;
  let store: RedisRateLimitStore | undefined;
  beforeAll(async () => {
    port = await freePort();
    server = await startRedis(port);
  });
  afterEach(async () => {
    await store?.close();
  });
  afterAll(async () => {
    await stopRedis(server);
  });

  it('falls back when Redis stops mid-run, rejoins after a restart that flushed the script, and never surfaces NOSCRIPT', async () => {
    store = new RedisRateLimitStore({ url: `redis://127.0.0.1:${port}`, key: unique('rl') });
    const { states, send } = limiterOn(store);
    for (let i = 0; i < 5; i += 1) expect(await send()).toBe(200);
    expect(states).toEqual([]);

    await stopRedis(server);
    for (let i = 0; i < 5; i += 1) expect(await send()).toBe(200);
    expect(states).toEqual([{ state: 'fallback', error: expect.any(String) }]);

    server = await startRedis(port);
    await sendUntil(send, () => states.length === 2);
    expect(states.map((s) => s.state)).toEqual(['fallback', 'shared']);
    expect(await store.snapshot(BUCKET, Date.now())).toMatchObject({ pausedUntil: undefined });
  });

  it('loads the script again after SCRIPT FLUSH: the caller sees answers, not NOSCRIPT', async () => {
    const key = unique('rl');
    store = new RedisRateLimitStore({ url: `redis://127.0.0.1:${port}`, key });
    expect(await store.reserve(BUCKET)).toEqual({ waitMs: 0 });
    const admin = createClient({ url: `redis://127.0.0.1:${port}` });
    await admin.connect();
    try {
      await admin.scriptFlush();
      expect(await store.reserve(BUCKET)).toEqual({ waitMs: 0 });
      expect(await admin.exists(key)).toBe(1);
    } finally {
      admin.destroy();
    }
  });

  it('rejects at once on a refused connection, and the limiter runs on its local share', async () => {
    const closed = await freePort();
    store = new RedisRateLimitStore({ url: `redis://127.0.0.1:${closed}`, key: unique('rl'), connectTimeoutMs: 500 });
    await expect(store.reserve(BUCKET)).rejects.toThrow(/ECONNREFUSED|offline/);
    await expect(store.reserve(BUCKET)).rejects.toThrow(/ECONNREFUSED|offline/);
    const { states, send } = limiterOn(store);
    expect(await send()).toBe(200);
    expect(states).toEqual([{ state: 'fallback', error: expect.any(String) }]);
  });
});

describe('store options', () => {
  it.each([
    [() => new RedisRateLimitStore({ url: 'http://127.0.0.1:6379' }), /must start with redis:\/\/ or rediss:\/\//],
    [() => new RedisRateLimitStore({ url: 'redis://:canary-pw@[bad' }), /url is not a URL/],
    [() => new RedisRateLimitStore({} as never), /exactly one of url or client/],
    [() => new RedisRateLimitStore({ url: 'redis://127.0.0.1', key: '' }), /key must be a string/],
    [() => new PostgresRateLimitStore({ url: 'mysql://127.0.0.1/x' }), /must start with postgres:\/\//],
    [() => new PostgresRateLimitStore({ url: 'postgres://:canary-pw@[bad' }), /url is not a URL/],
    [() => new PostgresRateLimitStore({ url: 'postgres://127.0.0.1/x', pglite: {} } as never), /exactly one of url, pool, pglite or database \(got url, pglite\)/],
    [() => new PostgresRateLimitStore({ url: 'postgres://127.0.0.1/x', schema: 'Bad-Schema' }), /schema must be lower-case/],
  ])('refuses bad options with a configuration error and an example (%#)', (make, message) => {
    let error: unknown;
    try {
      make();
    } catch (e) {
      error = e;
    }
    expect(isDexcomError(error) && error.code).toBe('configuration');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/e\.g\.|for example/);
    expect((error as Error).message).not.toContain('canary-pw');
  });
});

describe('PostgreSQL faults', () => {
  it('rejects on a refused connection, and the limiter runs on its local share', async () => {
    const closed = await freePort();
    const store = new PostgresRateLimitStore({ url: `postgres://postgres@127.0.0.1:${closed}/test`, schema: unique('rl') });
    try {
      await expect(store.reserve(BUCKET)).rejects.toThrow(/ECONNREFUSED/);
      const { states, send } = limiterOn(store);
      expect(await send()).toBe(200);
      expect(states).toEqual([{ state: 'fallback', error: expect.any(String) }]);
    } finally {
      await store.close();
    }
  });

  describe.runIf(postgresUrl)('on the server', () => {
    let admin: Database;
    const schema = unique('rl');
    beforeAll(async () => {
      admin = await openDatabase({ url: postgresUrl! });
    });
    afterAll(async () => {
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    });

    it('falls back when its backend is terminated mid-reservation, then rejoins', async () => {
      const application = unique('rl_fault');
      const url = new URL(postgresUrl!);
      url.searchParams.set('application_name', application);
      const key = unique('bucket');
      const store = new PostgresRateLimitStore({ url: url.toString(), schema, key });
      try {
        const { states, send } = limiterOn(store);
        expect(await send()).toBe(200);

        // Hold the bucket's row, so the next reservation waits on it, then kill that backend (ours only).
        const killed = await admin.transaction(async (tx) => {
          await tx.query(`SELECT 1 FROM ${schema}.rate_limit_buckets WHERE key = $1 FOR UPDATE`, [key]);
          const waiting = send('waits-on-the-row');
          let pids: number[] = [];
          for (let i = 0; i < 100 && pids.length === 0; i += 1) {
            await new Promise((r) => setTimeout(r, 20));
            const { rows } = await tx.query<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
              [application],
            );
            pids = rows.map((r) => r.pid);
          }
          expect(pids.length).toBeGreaterThan(0);
          await tx.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
          return waiting;
        });
        expect(killed).toBe(200);
        expect(states).toEqual([{ state: 'fallback', error: expect.any(String) }]);

        await sendUntil(send, () => states.length === 2);
        expect(states.map((s) => s.state)).toEqual(['fallback', 'shared']);
      } finally {
        await store.close();
      }
    });
  });
});
