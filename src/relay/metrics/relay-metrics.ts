import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The relay engine's metrics on one prom-client registry. Labels come from bounded sets only
 * (outcomes, reasons, record types), never a user key, subscription id or URL.
 *
 * - `dexcom_relay_deliveries_total{outcome}`: `delivered`, `retry`, `dead`, `refused`, `gone`
 * - `dexcom_relay_delivery_latency_seconds`: "found in Dexcom" to "receiver answered 2xx"
 * - `dexcom_relay_attempt_duration_seconds`: one HTTP attempt
 * - `dexcom_relay_queue_depth`, `dexcom_relay_oldest_undelivered_age_seconds`
 * - `dexcom_relay_polls_total{outcome}`: `data`, `idle`, `error`, `reauthorization_required`
 * - `dexcom_relay_dexcom_calls_total`: Dexcom requests made by polls
 * - `dexcom_relay_events_total{type}`: webhook events written to the outbox
 * - `dexcom_relay_subscriptions_disabled_total{reason}`: `gone`, `failing`
 * - `dexcom_relay_poll_interval_seconds`: the interval the quota planner currently asks for
 *
 * @example
 * const metrics = createRelayMetrics(new Registry());
 * metrics.deliveries.inc({ outcome: 'delivered' });
 */
export interface RelayMetrics {
  readonly registry: Registry;
  readonly deliveries: Counter<'outcome'>;
  readonly deliveryLatency: Histogram<string>;
  readonly attemptDuration: Histogram<string>;
  readonly queueDepth: Gauge<string>;
  readonly oldestUndeliveredAge: Gauge<string>;
  readonly polls: Counter<'outcome'>;
  readonly dexcomCalls: Counter<string>;
  readonly events: Counter<'type'>;
  readonly subscriptionsDisabled: Counter<'reason'>;
  readonly pollInterval: Gauge<string>;
}

/**
 * Creates the relay's metrics on `registry` (never the global one).
 *
 * @example
 * const registry = new Registry();
 * const metrics = createRelayMetrics(registry);
 * console.log(await registry.metrics());
 */
export function createRelayMetrics(registry: Registry): RelayMetrics {
  const registers = [registry];
  return {
    registry,
    deliveries: new Counter({ name: 'dexcom_relay_deliveries_total', help: 'Webhook delivery attempts by outcome', labelNames: ['outcome'], registers }),
    deliveryLatency: new Histogram({
      name: 'dexcom_relay_delivery_latency_seconds',
      help: 'From the poll that found an event to its successful delivery',
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 1800, 7200, 36_000, 100_000],
      registers,
    }),
    attemptDuration: new Histogram({
      name: 'dexcom_relay_attempt_duration_seconds',
      help: 'Duration of one webhook HTTP attempt',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers,
    }),
    queueDepth: new Gauge({ name: 'dexcom_relay_queue_depth', help: 'Deliveries waiting to be sent', registers }),
    oldestUndeliveredAge: new Gauge({ name: 'dexcom_relay_oldest_undelivered_age_seconds', help: 'Age of the oldest pending delivery', registers }),
    polls: new Counter({ name: 'dexcom_relay_polls_total', help: 'Dexcom polls by outcome', labelNames: ['outcome'], registers }),
    dexcomCalls: new Counter({ name: 'dexcom_relay_dexcom_calls_total', help: 'Dexcom API requests made by polls', registers }),
    events: new Counter({ name: 'dexcom_relay_events_total', help: 'Webhook events written to the outbox', labelNames: ['type'], registers }),
    subscriptionsDisabled: new Counter({
      name: 'dexcom_relay_subscriptions_disabled_total',
      help: 'Subscriptions the relay disabled, by reason',
      labelNames: ['reason'],
      registers,
    }),
    pollInterval: new Gauge({ name: 'dexcom_relay_poll_interval_seconds', help: 'Poll interval the quota planner asks for', registers }),
  };
}
