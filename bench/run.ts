/**
 * `npm run bench`: runs every benchmark, each in a child process of its own, one after the other
 * (never two at once: they would measure each other), and writes its region of BENCHMARKS.md at
 * the repository root with the method, the machine and the results (other regions are kept). It
 * builds the package first: the user-facing row is measured from `dist/`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { FidelityResult } from './limiter-fidelity.js';
import type { OverheadResult } from './overhead/measure.js';
import { mergeRegion, REGION, renderBenchmarks } from './report.js';
import { runBenchProcess } from './support/bench-process.js';
import { machineInfo } from './support/machine.js';
import type { SyncMemoryResult } from './sync/memory-samples.js';
import type { SyncThroughputResult } from './sync-throughput.js';

const started = performance.now();
console.log('bench: building dist/ (npm run build)...');
execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'], {
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  stdio: 'inherit',
});
const machine = machineInfo();
const step = async <T>(name: string, script: string, args: string[] = []): Promise<T> => {
  const t = performance.now();
  console.log(`bench: ${name}...`);
  const result = await runBenchProcess<T>(new URL(script, import.meta.url), args);
  console.log(`bench: ${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return result;
};

const overhead = await step<OverheadResult>('per-request overhead', './overhead.ts');
const fidelity = await step<FidelityResult[]>('limiter fidelity', './limiter-fidelity.ts');
const throughput = await step<SyncThroughputResult[]>('sync throughput', './sync-throughput.ts');
const memory = await step<SyncMemoryResult>('sync memory (3 years)', './sync-memory.ts');

const wallMs = performance.now() - started;
const target = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const existing = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
writeFileSync(target, mergeRegion(existing, REGION, renderBenchmarks({ machine, wallMs, loadAverageAtEnd: loadavg()[0] ?? 0, overhead, fidelity, throughput, memory })));
console.log(`bench: wrote BENCHMARKS.md (all benchmarks took ${(wallMs / 1000).toFixed(0)} s)`);
