/**
 * Interleaved measurement: every round runs every contender, in an order rotated by one each
 * round, so drift on a shared machine (another job, thermal, GC) is spread over all of them
 * instead of landing on whoever ran last.
 */
import { median, percentile } from '../support/stats.js';
import type { Contender } from './contender.js';

/** Shape of one measurement run. */
export interface MeasureOptions {
  /** Rounds; each runs every contender once per mode. */
  readonly rounds: number;
  /** Sequential requests per contender per round. */
  readonly sequential: number;
  /** Concurrent requests per contender per round. */
  readonly concurrent: number;
  /** Requests in flight in the concurrent mode. */
  readonly inFlight: number;
  /** Sequential requests per contender before measuring (JIT, connection pool). */
  readonly warmup: number;
  /** Called between blocks (a full GC and a pause for the GC's background threads). */
  readonly settle: () => Promise<void>;
}

/** Numbers of one contender in one mode; times in microseconds per request. */
export interface ModeResult {
  /** Sequential: median latency of one request. Concurrent: median over blocks of wall time ÷ requests. */
  readonly medianUs: number;
  /** The 90th percentile of the same samples. */
  readonly p90Us: number;
  /** Median over rounds of this process's CPU time (user + system) ÷ requests: the client's own cost. */
  readonly cpuUs: number;
  /** How many samples the median and p90 come from. */
  readonly samples: number;
}

/** Both modes of one contender. */
export interface ContenderResult {
  readonly name: string;
  readonly config: string;
  readonly sequential: ModeResult;
  readonly concurrent: ModeResult;
}

/** What the overhead benchmark reports. */
export interface OverheadResult {
  readonly rounds: number;
  readonly sequential: number;
  readonly concurrent: number;
  readonly inFlight: number;
  readonly pageBytes: number;
  readonly records: number;
  readonly contenders: ContenderResult[];
  /** The commit measured as "before", and why it is missing when it is. */
  readonly baseline: { readonly ref: string; readonly unavailable?: string };
}

/** Requests per timed block in the concurrent mode (each block is one wall-time sample). */
const CONCURRENT_BLOCK = 64;

/**
 * Warms every contender up, then measures them in interleaved rounds, sequentially (one request at
 * a time, each timed) and concurrently (`inFlight` at once, blocks timed as a whole).
 *
 * @example
 * const results = await measure(contenders, { rounds: 7, sequential: 150, concurrent: 320, inFlight: 16, warmup: 100, settle: gc });
 */
export async function measure(contenders: readonly Contender[], options: MeasureOptions): Promise<ContenderResult[]> {
  for (const contender of contenders) {
    for (let i = 0; i < options.warmup; i++) await contender.request();
    await concurrentBlock(contender, options.inFlight * 4, options.inFlight);
  }
  const latency = contenders.map((): number[] => []);
  const blocks = contenders.map((): number[] => []);
  const cpuSequential = contenders.map((): number[] => []);
  const cpuConcurrent = contenders.map((): number[] => []);

  for (let round = 0; round < options.rounds; round++) {
    const order = contenders.map((_, i) => (i + round) % contenders.length);
    for (const i of order) {
      await options.settle();
      const cpu = process.cpuUsage();
      for (let n = 0; n < options.sequential; n++) {
        const started = performance.now();
        await contenders[i]!.request();
        latency[i]!.push((performance.now() - started) * 1000);
      }
      cpuSequential[i]!.push(cpuMicros(cpu) / options.sequential);
    }
    for (const i of order) {
      await options.settle();
      const cpu = process.cpuUsage();
      for (let done = 0; done < options.concurrent; done += CONCURRENT_BLOCK) {
        const count = Math.min(CONCURRENT_BLOCK, options.concurrent - done);
        const started = performance.now();
        await concurrentBlock(contenders[i]!, count, options.inFlight);
        blocks[i]!.push(((performance.now() - started) * 1000) / count);
      }
      cpuConcurrent[i]!.push(cpuMicros(cpu) / options.concurrent);
    }
  }

  return contenders.map((contender, i) => ({
    name: contender.name,
    config: contender.config,
    sequential: modeResult(latency[i]!, cpuSequential[i]!),
    concurrent: modeResult(blocks[i]!, cpuConcurrent[i]!),
  }));
}

/** Sends `count` requests with at most `inFlight` at a time. */
async function concurrentBlock(contender: Contender, count: number, inFlight: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      await contender.request();
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return user + system;
}

function modeResult(samples: readonly number[], cpu: readonly number[]): ModeResult {
  return { medianUs: median(samples), p90Us: percentile(samples, 90), cpuUs: median(cpu), samples: samples.length };
}
