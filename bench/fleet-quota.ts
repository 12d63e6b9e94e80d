/**
 * Fleet quota: N = 1, 2, 4, 8, 16 worker processes share one rate-limit bucket (Redis, then
 * PostgreSQL) against the strict sliding-window quota server, then one of them sees a scripted
 * 429 and the fleet must go quiet for its Retry-After. Writes its region of BENCHMARKS.md.
 *
 *   npx tsx bench/fleet-quota.ts [--seconds 3] [--only 4]   (--only: up to that many processes; a trial, no region written)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { openDatabase } from '../src/stores/postgres/database.js';
import { POSTGRES_URL, REDIS_URL } from '../test/support/services.js';
import { emitResult, numberOption } from './support/bench-process.js';
import { maxInWindow, readQuotaStats, resetQuota, steadyRate } from './support/quota-stats.js';
import { startServerProcess } from './support/server-process.js';
import { percentile } from './support/stats.js';
import { renderFleetQuota, type FleetQuotaResult, type FleetQuotaRow } from './fleet-quota/render.js';
import { writeRegion } from './fleet-quota/region.js';
import type { WorkerGo, WorkerReport, WorkerRun } from './fleet-quota/worker.js';

// Low enough that the quota server and 16 clients fit on a busy 2-core machine (Dexcom's own
// quota is about 17 per second), with the headroom a strict sliding window needs for a burst.
const SERVER_LIMIT = 40;
const RATE = 30;
const CAPACITY = 2;
const CONCURRENCY = 6;
/** Store calls may take this long before a worker falls back (a loaded machine is slow, not down). */
const STORE_TIMEOUT_MS = 3_000;
const ONLY = numberOption('only', Number.POSITIVE_INFINITY);
const PROCESSES = [1, 2, 4, 8, 16].filter((n) => n <= ONLY);
const WARM_UP_MS = 500;
const STEADY_MS = numberOption('seconds', 3) * 1_000;
const RETRY_AFTER_MS = 1_000;
const GRACE_MS = 100;

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
const unique = (prefix: string) => `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

/** A worker process that runs one job per message. */
interface Worker {
  readonly child: ChildProcess;
  /** Sends the job; resolves once the worker is connected, with a function that starts it. */
  arm(job: WorkerRun): Promise<(go: WorkerGo) => Promise<WorkerReport>>;
}

function next<T>(child: ChildProcess, pick: (message: Record<string, unknown>) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`a fleet worker exited (code ${code})`));
    const onMessage = (message: unknown) => {
      const value = pick(message as Record<string, unknown>);
      if (value === undefined) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(value);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function startWorker(): Promise<Worker> {
  const child = fork(new URL('./fleet-quota/worker.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await next(child, (m) => (m.ready ? true : undefined));
  return {
    child,
    async arm(job) {
      const armed = next(child, (m) => (m.armed ? true : undefined));
      child.send({ run: job });
      await armed;
      return (go) => {
        const report = next(child, (m) => m.report as WorkerReport | undefined);
        child.send({ go });
        return report;
      };
    },
  };
}

async function reachable(store: 'redis' | 'postgres'): Promise<boolean> {
  try {
    if (store === 'redis') {
      const client = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false, connectTimeout: 1_000 } });
      client.on('error', () => {});
      await client.connect();
      client.destroy();
    } else {
      const db = await openDatabase({ url: POSTGRES_URL });
      await db.query('SELECT 1');
      await db.close();
    }
    return true;
  } catch {
    return false;
  }
}

async function cleanUp(store: 'redis' | 'postgres', key: string, schema: string): Promise<void> {
  if (store === 'redis') {
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    await client.del(key);
    client.destroy();
  } else {
    const db = await openDatabase({ url: POSTGRES_URL });
    await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.close();
  }
}

async function measure(store: 'redis' | 'postgres', processes: number, workers: readonly Worker[], serverUrl: string): Promise<FleetQuotaRow> {
  const key = store === 'redis' ? unique('dexcom-bench:fleet-quota') : unique('bucket');
  const schema = unique('bench_fleet_quota');
  const url = store === 'redis' ? REDIS_URL : POSTGRES_URL;
  const starts = await Promise.all(
    workers.slice(0, processes).map((worker, i) =>
      worker.arm({
        store,
        storeUrl: url,
        key,
        schema,
        serverUrl,
        workers: processes,
        ratePerSecond: RATE,
        capacity: CAPACITY,
        concurrency: CONCURRENCY,
        storeTimeoutMs: STORE_TIMEOUT_MS,
        scripted: i === 0,
      }),
    ),
  );
  // Every worker is connected: start them together a moment from now.
  const startAt = Date.now() + 300;
  const steadyStart = startAt + WARM_UP_MS;
  const steadyEnd = steadyStart + STEADY_MS;
  const scriptAt = steadyEnd + 200;
  const stopAt = scriptAt + RETRY_AFTER_MS + 500;
  const reports = Promise.all(starts.map((start) => start({ startAt, stopAt, scriptAt })));
  await sleepUntil(steadyStart);
  await resetQuota(serverUrl);
  await sleepUntil(steadyEnd);
  const steady = await readQuotaStats(serverUrl);
  const all = await reports;
  const total = await readQuotaStats(serverUrl);
  await cleanUp(store, key, schema);

  const scriptedAt = all[0]?.scriptedAt ?? Number.NaN;
  // Waits of the calls sent in the steady phase (the pause phase's waits are the pause).
  const waits = all.flatMap((r) => r.waitsMs.filter((_, i) => r.sentAt[i]! >= steadyStart && r.sentAt[i]! < steadyEnd));
  return {
    store,
    processes,
    admittedRatio: steadyRate(steady.admitted) / RATE,
    busiestSecond: maxInWindow(steady.admitted, 1_000),
    unscripted429s: total.rejected,
    p50WaitMs: percentile(waits, 50),
    p99WaitMs: percentile(waits, 99),
    sentDuringPause: all.flatMap((r) => r.sentAt).filter((at) => at >= scriptedAt + GRACE_MS && at < scriptedAt + RETRY_AFTER_MS).length,
    fallbacks: all.reduce((sum, r) => sum + r.fallbacks, 0),
  };
}

const server = await startServerProcess(new URL('./servers/quota-server.ts', import.meta.url), ['--limit', String(SERVER_LIMIT), '--window-ms', '1000']);
const workers = await Promise.all(Array.from({ length: Math.max(...PROCESSES) }, startWorker));
const rows: FleetQuotaRow[] = [];
const skipped: string[] = [];
try {
  for (const store of ['redis', 'postgres'] as const) {
    if (!(await reachable(store))) {
      skipped.push(store === 'redis' ? `Redis at ${REDIS_URL}` : 'PostgreSQL');
      continue;
    }
    // One unmeasured run first: cold workers (JIT, connections) would slow the first row down.
    if (rows.length === 0) await measure(store, Math.max(...PROCESSES), workers, server.url);
    for (const processes of PROCESSES) {
      const row = await measure(store, processes, workers, server.url);
      console.error(`fleet-quota: ${store} x${processes}: ${JSON.stringify(row)}`);
      rows.push(row);
    }
  }
} finally {
  for (const worker of workers) worker.child.disconnect();
  await server.stop();
}

const result: FleetQuotaResult = {
  serverLimit: SERVER_LIMIT,
  ratePerSecond: RATE,
  capacity: CAPACITY,
  concurrency: CONCURRENCY,
  storeTimeoutMs: STORE_TIMEOUT_MS,
  steadyMs: STEADY_MS,
  retryAfterMs: RETRY_AFTER_MS,
  graceMs: GRACE_MS,
  rows,
  skipped,
};
if (!Number.isFinite(ONLY)) writeRegion(fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url)), 'fleet-quota', renderFleetQuota(result));
emitResult(result, renderFleetQuota);
