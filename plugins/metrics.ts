import { createRequire } from 'node:module';
import { operationMetadata } from '../generated/dexcom-spec-metadata.gen.js';
import { DexcomConfigurationError } from '../src/core/errors.js';
import type { CircuitBreakerSnapshot } from './circuit-breaker.js';
import type { PipelineEvents } from '../src/core/events.js';
import type { ObserverDrops } from './observer-drops.js';
import type { RateLimiterStats } from './rate-limiter.js';

/**
 * The part of a prom-client `Registry` this SDK uses, so the type needs no prom-client: a
 * `new Registry()` from prom-client fits. prom-client itself is loaded only when a client is given
 * a registry (it is an optional peer dependency).
 *
 * @example
 * import { Registry } from 'prom-client';
 * const registry: MetricsRegistry = new Registry();
 */
export interface MetricsRegistry {
  /** Adds a metric (prom-client's `registerMetric`). */
  registerMetric(metric: never): void;
  /** The exposition text of every metric (prom-client's `metrics`). */
  metrics(): Promise<string>;
}

/**
 * Metrics settings of a client (`new DexcomApiClient({ metrics })`). Without them no metric is
 * created, prom-client is never loaded, and the global prom-client registry is never touched.
 *
 * @example
 * const registry = new Registry(); // from 'prom-client'
 * new DexcomApiClient({ accessToken, metrics: { registry, clientName: 'backfill' } });
 */
export interface MetricsOptions {
  /** The prom-client Registry to register on. Several clients may share one. */
  registry: MetricsRegistry;
  /**
   * Value of the `client` label that tells clients sharing a registry apart (clients with the same
   * name add up). Pick it from a small fixed set, never a user id.
   * @default 'default'
   */
  clientName?: string;
}

/** Live state the gauges read when scraped. */
export interface MetricsSources {
  breakerState?: () => CircuitBreakerSnapshot | undefined;
  limiterStats?: () => Promise<RateLimiterStats | undefined>;
  /** Where dropped updates are counted (a registry or metric that throws). Default: a counter of its own. */
  drops?: ObserverDrops;
}

const OPERATIONS: ReadonlySet<string> = new Set(Object.keys(operationMetadata));
const METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const BREAKER_STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
const DURATION_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const WAIT_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300];

/** The live state of one attached client, under its `client` label. */
interface AttachedSources extends MetricsSources {
  readonly client: string;
}

type Labels = Record<string, string>;
/** The parts of prom-client's Counter, Histogram and Gauge used here. */
interface CounterLike {
  inc(labels: Labels, value?: number): void;
}
interface HistogramLike {
  observe(labels: Labels, value: number): void;
}
interface GaugeLike {
  reset(): void;
  set(labels: Labels, value: number): void;
}
interface MetricConfig {
  name: string;
  help: string;
  labelNames: readonly string[];
  registers: readonly MetricsRegistry[];
  buckets?: readonly number[];
  collect?: (this: GaugeLike) => void | Promise<void>;
}
/** The constructors this SDK takes from prom-client, loaded on first use. */
interface PromClient {
  Counter: new (config: MetricConfig) => CounterLike;
  Histogram: new (config: MetricConfig) => HistogramLike;
  Gauge: new (config: MetricConfig) => GaugeLike;
}

/** The metrics of one registry, created once and shared by every client that uses it. */
interface RegistryMetrics {
  readonly requests: CounterLike;
  readonly duration: HistogramLike;
  readonly attempts: CounterLike;
  readonly retries: CounterLike;
  readonly limiterWait: HistogramLike;
  readonly throttled: CounterLike;
  readonly storeFallbacks: CounterLike;
  readonly breakerTransitions: CounterLike;
  /** Sources the gauges read at scrape time, one entry per attached client. */
  readonly sources: Set<AttachedSources>;
}

// Keyed by the app's Registry so metrics are created once per registry (prom-client refuses a
// second metric of the same name) and two clients can share one; nothing is ever global.
const byRegistry = new WeakMap<MetricsRegistry, RegistryMetrics>();

let promClient: PromClient | undefined;

/**
 * prom-client, loaded the first time a client is given a registry: an app that passes none never
 * loads it (nor its dependencies) and need not install it. Synchronous (prom-client is CommonJS),
 * so the first call's metrics are not lost while a dynamic import resolves.
 */
function loadPromClient(): PromClient {
  if (promClient) return promClient;
  try {
    promClient = createRequire(import.meta.url)('prom-client') as PromClient;
  } catch (error) {
    throw new DexcomConfigurationError(`metrics need the prom-client package (npm install prom-client): ${(error as Error).message.split('\n')[0]}`);
  }
  return promClient;
}

/**
 * Validates the metrics options once, at construction.
 *
 * @example
 * resolveMetricsOptions({ registry }); // { registry, clientName: 'default' }
 */
export function resolveMetricsOptions(user: MetricsOptions): Required<MetricsOptions> {
  const registry = user?.registry as (MetricsRegistry & { registerMetric?: unknown }) | undefined;
  if (!registry || typeof registry.registerMetric !== 'function' || typeof registry.metrics !== 'function') {
    throw new DexcomConfigurationError(`metrics.registry must be a prom-client Registry, e.g. { metrics: { registry: new Registry() } }`);
  }
  const clientName = user.clientName ?? 'default';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(clientName)) {
    throw new DexcomConfigurationError(`metrics.clientName must be a short fixed name such as 'backfill' (letters, digits, _ . -), never a user id (got ${JSON.stringify(clientName)})`);
  }
  return { registry, clientName };
}

/**
 * Records the pipeline's events as Prometheus metrics on the given registry. Every label comes
 * from a bounded set (operation ids of the spec, HTTP method, status class, error code, retry
 * reason), never a user id or a raw URL, so 1,000 users make no more series than one.
 *
 * - `dexcom_requests_total{client,operation,method,status_class,outcome}` logical calls
 * - `dexcom_request_duration_seconds{client,operation,method,outcome}` call latency
 * - `dexcom_attempts_total{client,operation,status_class}` wire attempts, retries included
 * - `dexcom_retries_total{client,operation,reason}`
 * - `dexcom_rate_limiter_queue_depth{client}`, `dexcom_rate_limiter_wait_seconds{client,operation}`,
 *   `dexcom_rate_limiter_throttled_total{client,reason}`,
 *   `dexcom_rate_limiter_store_transitions_total{client,state}` (`fallback` | `shared`)
 * - `dexcom_circuit_breaker_state{client}` (0 closed, 1 half-open, 2 open),
 *   `dexcom_circuit_breaker_transitions_total{client,to}`
 *
 * A registry or metric that throws never breaks a call: the update is dropped and counted in
 * `sources.drops.metricUpdates`. Returns a function that detaches this client (its gauges stop
 * reporting).
 *
 * @example
 * const detach = attachMetrics(dexcom.events, resolveMetricsOptions({ registry }));
 */
export function attachMetrics(events: PipelineEvents, options: Required<MetricsOptions>, sources: MetricsSources = {}): () => void {
  const metrics = metricsFor(options.registry);
  const client = options.clientName;
  const attached: AttachedSources = { client, ...sources };
  metrics.sources.add(attached);
  const drops = sources.drops ?? { logLines: 0, metricUpdates: 0 };
  // A registry or metric that throws never breaks a call: the update is dropped and counted.
  const guarded = <T>(update: (event: T) => void) => (event: T): void => {
    try {
      update(event);
    } catch {
      drops.metricUpdates += 1;
    }
  };

  const offs = [
    events.on('call-end', guarded((e) => {
      const operation = operationLabel(e.operationId);
      const method = methodLabel(e.method);
      const outcome = e.errorCode ?? (e.error ? 'error' : 'success');
      metrics.requests.inc({ client, operation, method, status_class: statusClass(e.status), outcome });
      metrics.duration.observe({ client, operation, method, outcome }, e.durationMs / 1000);
    })),
    events.on('attempt-end', guarded((e) => {
      metrics.attempts.inc({ client, operation: operationLabel(e.operationId), status_class: statusClass(e.status) });
    })),
    events.on('retry', guarded((e) => {
      // Retried statuses come from the retry options' small fixed set, so `status_503` stays bounded.
      const reason = e.reason === 'status' ? `status_${e.status ?? 'unknown'}` : e.reason;
      metrics.retries.inc({ client, operation: operationLabel(e.operationId), reason });
    })),
    events.on('attempt', guarded((e) => {
      if (e.limiterWaitMs === undefined) return;
      metrics.limiterWait.observe({ client, operation: operationLabel(e.operationId) }, e.limiterWaitMs / 1000);
    })),
    events.on('throttled', guarded((e) => metrics.throttled.inc({ client, reason: e.reason }))),
    events.on('rate-limit-store', guarded((e) => metrics.storeFallbacks.inc({ client, state: e.state }))),
    events.on('break', guarded(() => metrics.breakerTransitions.inc({ client, to: 'open' }))),
    events.on('half-open', guarded(() => metrics.breakerTransitions.inc({ client, to: 'half-open' }))),
    events.on('reset', guarded(() => metrics.breakerTransitions.inc({ client, to: 'closed' }))),
  ];
  return () => {
    for (const off of offs) off();
    metrics.sources.delete(attached);
  };
}

function metricsFor(registry: MetricsRegistry): RegistryMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const { Counter, Gauge, Histogram } = loadPromClient();
  const registers = [registry];
  const sources = new Set<AttachedSources>();
  const metrics: RegistryMetrics = {
    requests: new Counter({ name: 'dexcom_requests_total', help: 'Logical Dexcom API calls, by outcome', labelNames: ['client', 'operation', 'method', 'status_class', 'outcome'], registers }),
    duration: new Histogram({ name: 'dexcom_request_duration_seconds', help: 'Duration of logical Dexcom API calls, retries and waits included', labelNames: ['client', 'operation', 'method', 'outcome'], buckets: DURATION_BUCKETS, registers }),
    attempts: new Counter({ name: 'dexcom_attempts_total', help: 'Wire attempts (retries included)', labelNames: ['client', 'operation', 'status_class'], registers }),
    retries: new Counter({ name: 'dexcom_retries_total', help: 'Retries scheduled, by reason', labelNames: ['client', 'operation', 'reason'], registers }),
    limiterWait: new Histogram({ name: 'dexcom_rate_limiter_wait_seconds', help: 'Time each wire attempt waited in the rate limiter (for a token or a 429 pause)', labelNames: ['client', 'operation'], buckets: WAIT_BUCKETS, registers }),
    throttled: new Counter({ name: 'dexcom_rate_limiter_throttled_total', help: 'Rate limiter waits for a token (bucket-empty) and 429 pauses (cool-down)', labelNames: ['client', 'reason'], registers }),
    storeFallbacks: new Counter({ name: 'dexcom_rate_limiter_store_transitions_total', help: 'Rate limiter switches to its local share (fallback) and back to the shared store (shared)', labelNames: ['client', 'state'], registers }),
    breakerTransitions: new Counter({ name: 'dexcom_circuit_breaker_transitions_total', help: 'Circuit breaker transitions', labelNames: ['client', 'to'], registers }),
    sources,
  };
  new Gauge({
    name: 'dexcom_rate_limiter_queue_depth',
    help: 'Requests waiting for a rate limiter token',
    labelNames: ['client'],
    registers,
    async collect() {
      // Clients sharing a `client` label add up.
      const depth = new Map<string, number>();
      for (const source of sources) {
        const stats = await source.limiterStats?.();
        if (stats) depth.set(source.client, (depth.get(source.client) ?? 0) + stats.queueDepth);
      }
      this.reset();
      for (const [client, value] of depth) this.set({ client }, value);
    },
  });
  new Gauge({
    name: 'dexcom_circuit_breaker_state',
    help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
    labelNames: ['client'],
    registers,
    collect() {
      // Clients sharing a `client` label report the worst state among them.
      const worst = new Map<string, number>();
      for (const source of sources) {
        const state = source.breakerState?.();
        if (state) worst.set(source.client, Math.max(worst.get(source.client) ?? 0, BREAKER_STATE_VALUE[state.state]));
      }
      this.reset();
      for (const [client, value] of worst) this.set({ client }, value);
    },
  });
  byRegistry.set(registry, metrics);
  return metrics;
}

function operationLabel(operationId: string): string {
  return OPERATIONS.has(operationId) ? operationId : 'unknown';
}

function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}

function statusClass(status: number | undefined): string {
  if (status === undefined) return 'none';
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}
