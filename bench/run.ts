/**
 * `npm run bench`: runs every benchmark, each in a child process of its own, one after the other
 * (never two at once: they would measure each other), and writes BENCHMARKS.md at the repository
 * root with the method, the machine and the results.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FidelityResult } from './limiter-fidelity.js';
import type { OverheadResult } from './overhead/measure.js';
import { renderBenchmarks } from './report.js';
import { runBenchProcess } from './support/bench-process.js';
import { machineInfo } from './support/machine.js';
import type { SyncMemoryResult } from './sync/memory-samples.js';
import type { SyncThroughputResult } from './sync-throughput.js';

const started = performance.now();
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
writeFileSync(target, renderBenchmarks({ machine, wallMs, overhead, fidelity, throughput, memory }));
console.log(`bench: wrote BENCHMARKS.md (all benchmarks took ${(wallMs / 1000).toFixed(0)} s)`);
