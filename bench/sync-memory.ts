/**
 * Memory of a long backfill: iterates years of EGVs (one every 5 minutes) from the fake Dexcom
 * server with a consumer that discards them, samples `process.memoryUsage()` after every window,
 * and prints the peak and the values at 10%, 50% and 100% of the run, so flatness can be judged: a
 * streaming read should hold the same memory after 3 years as after 3 months.
 *
 * The fake server runs in a child process, so the numbers are the SDK's alone.
 *
 *   npx tsx bench/sync-memory.ts                      # 3 years, concurrency 1
 *   npx tsx bench/sync-memory.ts --years 5 --concurrency 4
 *
 * `npm run bench` runs it too (3 years, concurrency 1) and puts the numbers in BENCHMARKS.md.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DexcomApiClient } from '../src/index.js';
import { startFakeDexcomServer } from '../test/support/fake-dexcom-server.js';
import { emitResult } from './support/bench-process.js';
import { type Sample, sampleAt, type SyncMemoryResult } from './sync/memory-samples.js';

const DAY = 86_400_000;
const END = new Date('2024-06-01T00:00:00Z');

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index === -1 ? fallback : Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

/** Child process: serve the fake and report its URL to the parent. */
async function serve(start: Date): Promise<void> {
  const server = await startFakeDexcomServer({ dataStart: start, dataEnd: END });
  process.send?.({ url: server.url });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
}

async function measure(start: Date, concurrency: number): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', '--years', String(option('years', 3))], { stdio: 'inherit' });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { url: string }).url));
    child.once('error', reject);
  });
  try {
    const dexcom = new DexcomApiClient({ baseUrl: url, accessToken: 'bench' });
    const samples: Sample[] = [];
    let records = 0;
    const began = performance.now();
    for await (const batch of dexcom.iterate('egvs', { start, end: END, concurrency }).windows()) {
      // The consumer discards the records: all memory left is the SDK's own.
      records += batch.records.length;
      const { rss, heapUsed } = process.memoryUsage();
      samples.push({ window: batch.index + 1, records, rss, heapUsed });
    }
    const range = `${start.toISOString().slice(0, 10)}..${END.toISOString().slice(0, 10)}`;
    const years = option('years', 3);
    emitResult({ range, years, concurrency, records, ms: performance.now() - began, samples }, report);
  } finally {
    child.disconnect();
  }
}

function report({ range, records, samples, concurrency, ms }: SyncMemoryResult): string {
  const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;
  const peakRss = Math.max(...samples.map((s) => s.rss));
  const peakHeap = Math.max(...samples.map((s) => s.heapUsed));
  const lines = [
    `egvs ${range}: ${records} records in ${samples.length} windows, concurrency ${concurrency}, ${(ms / 1000).toFixed(1)} s`,
    `peak RSS ${mb(peakRss)}, peak heapUsed ${mb(peakHeap)}`,
    'progress  window  records   RSS        heapUsed',
  ];
  for (const fraction of [0.1, 0.5, 1]) {
    const s = sampleAt(samples, fraction);
    lines.push(`${String(fraction * 100).padStart(6)}%  ${String(s.window).padStart(6)}  ${String(s.records).padStart(7)}   ${mb(s.rss).padEnd(9)}  ${mb(s.heapUsed)}`);
  }
  return lines.join('\n');
}

const start = new Date(END.getTime() - option('years', 3) * 365 * DAY);
if (process.argv.includes('--serve')) await serve(start);
else await measure(start, option('concurrency', 1));
