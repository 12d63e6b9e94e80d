import type { PipelineEvents } from './core/events.js';

/** Totals since a client was created, for `dexcom.stats()`. */
export interface CallCounters {
  /** Logical calls finished. */
  calls: number;
  /** Of those, calls that failed. */
  failed: number;
  /** Wire attempts, retries included. */
  attempts: number;
  /** Retries scheduled. */
  retries: number;
}

/**
 * Counts calls, failures, attempts and retries from a client's events, with no metrics registry
 * needed; returns a function that reads a snapshot.
 *
 * @example
 * const read = countCalls(dexcom.events);
 * read(); // { calls: 0, failed: 0, attempts: 0, retries: 0 }
 */
export function countCalls(events: PipelineEvents): () => CallCounters {
  const totals: CallCounters = { calls: 0, failed: 0, attempts: 0, retries: 0 };
  events.on('call-end', (e) => {
    totals.calls += 1;
    if (e.error !== undefined) totals.failed += 1;
  });
  events.on('attempt-end', () => {
    totals.attempts += 1;
  });
  events.on('retry', () => {
    totals.retries += 1;
  });
  return () => ({ ...totals });
}
