import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { operationMetadata } from '../generated/dexcom-spec-metadata.gen.js';
import { DexcomConfigurationError } from '../src/core/errors.js';
import type { CircuitBreakerSnapshot } from './circuit-breaker.js';
import type { PipelineEvents } from '../src/core/events.js';
import type { RateLimiterStats } from './rate-limiter.js';

/**
 * Metrics settings of a client (`new DexcomApiClient({ metrics })`). Without them no metric is
 * created, and the global prom-client registry is never touched.
 *
 * @example
 * const registry = new Registry();
 * new DexcomApiClient({ accessToken, metrics: { registry, clientName: 'backfill' } });
 */
export interface MetricsOptions {
  /** The prom-client Registry to register on. Several clients may share one. */
  registry: Registry;
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

/** The metrics of one registry, created once and shared by every client that uses it. */
interface RegistryMetrics {
  readonly requests: Counter<'client' | 'operation' | 'method' | 'status_class' | 'outcome'>;
  readonly duration: Histogram<'client' | 'operation' | 'method' | 'outcome'>;
  readonly attempts: Counter<'client' | 'operation' | 'status_class'>;
  readonly retries: Counter<'client' | 'operation' | 'reason'>;
  readonly limiterWait: Histogram<'client' | 'operation'>;
  readonly throttled: Counter<'client' | 'reason'>;
  readonly breakerTransitions: Counter<'client' | 'to'>;
  /** Sources the gauges read at scrape time, one entry per attached client. */
  readonly sources: Set<AttachedSources>;
}

// Keyed by the app's Registry so metrics are created once per registry (prom-client refuses a
// second metric of the same name) and two clients can share one; nothing is ever global.
const byRegistry = new WeakMap<Registry, RegistryMetrics>();

/**
 * Validates the metrics options once, at construction.
 *
 * @example
 * resolveMetricsOptions({ registry }); // { registry, clientName: 'default' }
 */
export function resolveMetricsOptions(user: MetricsOptions): Required<MetricsOptions> {
  const registry = user?.registry as Registry | undefined;
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
 *   `dexcom_rate_limiter_throttled_total{client,reason}`
 * - `dexcom_circuit_breaker_state{client}` (0 closed, 1 half-open, 2 open),
 *   `dexcom_circuit_breaker_transitions_total{client,to}`
 *
 * Returns a function that detaches this client (its gauges stop reporting).
 *
 * @example
 * const detach = attachMetrics(dexcom.events, resolveMetricsOptions({ registry }));
 */
export function attachMetrics(events: PipelineEvents, options: Required<MetricsOptions>, sources: MetricsSources = {}): () => void {
  const metrics = metricsFor(options.registry);
  const client = options.clientName;
  const attached: AttachedSources = { client, ...sources };
  metrics.sources.add(attached);
  const queuedAt = new Map<string, number>();

  const offs = [
    events.on('call-end', (e) => {
      queuedAt.delete(e.invocationId);
      const labels = { client, operation: operationLabel(e.operationId), method: methodLabel(e.method), outcome: e.errorCode ?? (e.error ? 'error' : 'success') };
      metrics.requests.inc({ ...labels, status_class: statusClass(e.status) });
      metrics.duration.observe(labels, e.durationMs / 1000);
    }),
    events.on('attempt-end', (e) => {
      metrics.attempts.inc({ client, operation: operationLabel(e.operationId), status_class: statusClass(e.status) });
    }),
    events.on('retry', (e) => {
      // Retried statuses come from the retry options' small fixed set, so `status_503` stays bounded.
      const reason = e.reason === 'status' ? `status_${e.status ?? 'unknown'}` : e.reason;
      metrics.retries.inc({ client, operation: operationLabel(e.operationId), reason });
    }),
    events.on('queued', (e) => {
      queuedAt.set(e.invocationId, performance.now());
    }),
    events.on('attempt', (e) => {
      const since = queuedAt.get(e.invocationId);
      if (since === undefined) return;
      queuedAt.delete(e.invocationId);
      metrics.limiterWait.observe({ client, operation: operationLabel(e.operationId) }, (performance.now() - since) / 1000);
    }),
    events.on('throttled', (e) => metrics.throttled.inc({ client, reason: e.reason })),
    events.on('break', () => metrics.breakerTransitions.inc({ client, to: 'open' })),
    events.on('half-open', () => metrics.breakerTransitions.inc({ client, to: 'half-open' })),
    events.on('reset', () => metrics.breakerTransitions.inc({ client, to: 'closed' })),
  ];
  return () => {
    for (const off of offs) off();
    metrics.sources.delete(attached);
  };
}

function metricsFor(registry: Registry): RegistryMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const sources = new Set<AttachedSources>();
  const metrics: RegistryMetrics = {
    requests: new Counter({ name: 'dexcom_requests_total', help: 'Logical Dexcom API calls, by outcome', labelNames: ['client', 'operation', 'method', 'status_class', 'outcome'], registers }),
    duration: new Histogram({ name: 'dexcom_request_duration_seconds', help: 'Duration of logical Dexcom API calls, retries and waits included', labelNames: ['client', 'operation', 'method', 'outcome'], buckets: DURATION_BUCKETS, registers }),
    attempts: new Counter({ name: 'dexcom_attempts_total', help: 'Wire attempts (retries included)', labelNames: ['client', 'operation', 'status_class'], registers }),
    retries: new Counter({ name: 'dexcom_retries_total', help: 'Retries scheduled, by reason', labelNames: ['client', 'operation', 'reason'], registers }),
    limiterWait: new Histogram({ name: 'dexcom_rate_limiter_wait_seconds', help: 'Time requests waited in the rate limiter queue', labelNames: ['client', 'operation'], buckets: WAIT_BUCKETS, registers }),
    throttled: new Counter({ name: 'dexcom_rate_limiter_throttled_total', help: 'Rate limiter waits for a token (bucket-empty) and 429 pauses (cool-down)', labelNames: ['client', 'reason'], registers }),
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
