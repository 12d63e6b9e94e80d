/**
 * Counts of what the observers (logging, metrics) dropped because the app's logger or metrics
 * registry threw. A throwing observer must never break a call or the process, so the line or the
 * update is dropped, and counted here, where `dexcom.stats()` reports it.
 */
export interface ObserverDrops {
  /** Log lines dropped because the logger threw. */
  logLines: number;
  /** Metric updates dropped because the registry or a metric threw. */
  metricUpdates: number;
}

/**
 * A fresh set of counters, one per client.
 *
 * @example
 * const drops = createObserverDrops(); // { logLines: 0, metricUpdates: 0 }
 */
export function createObserverDrops(): ObserverDrops {
  return { logLines: 0, metricUpdates: 0 };
}
