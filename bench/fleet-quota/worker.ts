/**
 * One process of the fleet-quota benchmark: a DexcomApiClient whose rate limiter shares one
 * bucket (Redis or PostgreSQL) with the other processes, calling the quota server from a few
 * concurrent loops between `startAt` and `stopAt` (epoch ms, one clock on one machine). It logs
 * when each request went on the wire, and how long each call waited for its token. The process
 * told to do so answers one request itself with a scripted 429 (`Retry-After: 1`) at `scriptAt`,
 * as if the server had said it to this process alone.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { DexcomApiClient } from '../../src/index.js';
import { openDatabase } from '../../src/stores/postgres/database.js';
import { PostgresRateLimitStore } from '../../src/stores/postgres/rate-limit-store.js';
import { RedisRateLimitStore } from '../../src/stores/redis/rate-limit-store.js';
import type { RateLimitStore } from '../../plugins/rate-limit-store.js';

/** What the parent asks one worker to do. */
export interface WorkerRun {
  readonly store: 'redis' | 'postgres';
  readonly storeUrl: string;
  /** Redis key or PostgreSQL bucket key (the schema is `schema`). */
  readonly key: string;
  readonly schema: string;
  readonly serverUrl: string;
  readonly workers: number;
  readonly ratePerSecond: number;
  readonly capacity: number;
  readonly concurrency: number;
  readonly storeTimeoutMs: number;
  /** Whether this worker answers one request with the scripted 429. */
  readonly scripted: boolean;
}

/** When to run, sent once every worker is connected (epoch ms). */
export interface WorkerGo {
  readonly startAt: number;
  readonly stopAt: number;
  /** When the scripted worker answers its 429. */
  readonly scriptAt: number;
}

/** What one worker saw. */
export interface WorkerReport {
  /** Epoch ms at which each request went on the wire (the scripted 429 excluded). */
  readonly sentAt: number[];
  /** Statuses of those requests, in the same order. */
  readonly statuses: number[];
  /** How long each call waited before its request went on the wire (ms). */
  readonly waitsMs: number[];
  /** When the scripted 429 was answered, if this worker had one. */
  readonly scriptedAt?: number;
  /** Times this worker switched to its local share (should be 0). */
  readonly fallbacks: number;
}

/** When the current call was made: the wire reads it to log the call's wait. */
const calledAtOf = new AsyncLocalStorage<number>();
const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

async function run(job: WorkerRun, armed: () => Promise<WorkerGo>): Promise<WorkerReport> {
  let pool: pg.Pool | undefined;
  let store: RateLimitStore & { close(): Promise<void> };
  if (job.store === 'redis') {
    store = new RedisRateLimitStore({ url: job.storeUrl, key: job.key });
  } else {
    // Two connections per process at most: 16 processes stay far below max_connections.
    pool = new pg.Pool({ connectionString: job.storeUrl, max: 2 });
    pool.on('error', () => {});
    store = new PostgresRateLimitStore({ database: await openDatabase({ pool }), schema: job.schema, key: job.key });
  }
  const sentAt: number[] = [];
  const statuses: number[] = [];
  const waitsMs: number[] = [];
  let scriptedAt: number | undefined;
  let scriptPending = job.scripted;
  let go: WorkerGo | undefined;
  const wire: typeof fetch = async (input, init) => {
    const now = Date.now();
    if (scriptPending && go && now >= go.scriptAt) {
      scriptPending = false;
      scriptedAt = now;
      return new Response('{"error":"too_many_requests"}', { status: 429, headers: { 'retry-after': '1', 'content-type': 'application/json' } });
    }
    sentAt.push(now);
    waitsMs.push(now - (calledAtOf.getStore() ?? now));
    const response = await fetch(input, init);
    statuses.push(response.status);
    return response;
  };
  const dexcom = new DexcomApiClient({
    baseUrl: job.serverUrl,
    accessToken: 'bench-token',
    fetch: wire,
    retry: false,
    rateLimit: {
      store,
      capacity: job.capacity,
      refillPerInterval: job.ratePerSecond,
      intervalMs: 1_000,
      expectedWorkers: job.workers,
      storeTimeoutMs: job.storeTimeoutMs,
      maxQueue: 10_000,
    },
  });
  let fallbacks = 0;
  dexcom.events.on('rate-limit-store', (e) => {
    if (e.state === 'fallback') fallbacks += 1;
  });
  // Connect and create the table before the start, so the first second measures the quota only.
  await store.snapshot({ capacity: job.capacity, refillPerInterval: job.ratePerSecond, intervalMs: 1_000 }, Date.now());
  go = await armed();
  const { startAt, stopAt } = go;
  await sleepUntil(startAt);
  const start = new Date('2024-05-01T00:00:00Z');
  const end = new Date('2024-05-01T00:05:00Z');
  const loop = async () => {
    while (Date.now() < stopAt) {
      try {
        await calledAtOf.run(Date.now(), () => dexcom.getGlucoseReadings(start, end));
      } catch {
        // 429s are counted from `statuses`; the call's error is not what is measured.
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, loop));
  await store.close();
  await pool?.end();
  return { sentAt, statuses, waitsMs, scriptedAt, fallbacks };
}

// One worker serves several runs (forking 16 processes per run would dwarf a run on 2 cores):
// a run message, then `armed` back once connected, then a go message with the times.
let waitingForGo: ((go: WorkerGo) => void) | undefined;
process.on('message', (message) => {
  const msg = message as { run?: WorkerRun; go?: WorkerGo };
  if (msg.go) {
    waitingForGo?.(msg.go);
    return;
  }
  const armed = () =>
    new Promise<WorkerGo>((resolve) => {
      waitingForGo = resolve;
      process.send!({ armed: true });
    });
  void run(msg.run!, armed).then(
    (report) => {
      process.send!({ report });
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
