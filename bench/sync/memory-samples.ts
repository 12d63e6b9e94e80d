/** The samples `bench/sync-memory.ts` takes, shared with the report (which must not import that script: it runs on import). */

/** Memory after one window. */
export interface Sample {
  window: number;
  records: number;
  rss: number;
  heapUsed: number;
}

/** What one run of `bench/sync-memory.ts` measured (handed to the bench runner, or printed). */
export interface SyncMemoryResult {
  readonly range: string;
  readonly years: number;
  readonly concurrency: number;
  readonly records: number;
  readonly ms: number;
  readonly samples: Sample[];
}

/**
 * The sample at `fraction` (0..1] of the run.
 *
 * @example
 * const half = sampleAt(result.samples, 0.5);
 */
export function sampleAt(samples: readonly Sample[], fraction: number): Sample {
  return samples[Math.max(0, Math.ceil(samples.length * fraction) - 1)]!;
}
