import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DexcomRateLimitError } from '../../src/index.js';
import { devicesBody, json, scriptedClient } from './scripted-client.js';

/** The value of one series in a registry's JSON, or undefined. */
async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  // Histogram series (`_count`, `_sum`, `_bucket`) sit under the histogram's own name.
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name || name.startsWith(`${m.name}_`));
  const match = metric?.values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? metric.name) === name &&
      Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
  );
  return match?.value;
}

async function seriesCount(registry: Registry): Promise<number> {
  return (await registry.getMetricsAsJSON()).reduce((sum, m) => sum + m.values.length, 0);
}

describe('metrics', () => {
  it('records calls, attempts, retries and durations with bounded labels after a retried call', async () => {
    const registry = new Registry();
    const { dexcom } = scriptedClient([json({}, 503), json(devicesBody)], { metrics: { registry } });
    await dexcom.getDevices();
    expect(await value(registry, 'dexcom_requests_total', { client: 'default', operation: 'getDevicesV3', method: 'GET', status_class: '2xx', outcome: 'success' })).toBe(1);
    expect(await value(registry, 'dexcom_attempts_total', { operation: 'getDevicesV3', status_class: '5xx' })).toBe(1);
    expect(await value(registry, 'dexcom_attempts_total', { operation: 'getDevicesV3', status_class: '2xx' })).toBe(1);
    expect(await value(registry, 'dexcom_retries_total', { operation: 'getDevicesV3', reason: 'status_503' })).toBe(1);
    expect(await value(registry, 'dexcom_request_duration_seconds_count', { operation: 'getDevicesV3', outcome: 'success' })).toBe(1);
    expect(await value(registry, 'dexcom_circuit_breaker_state', { client: 'default' })).toBe(0);
    expect(await value(registry, 'dexcom_rate_limiter_queue_depth', { client: 'default' })).toBe(0);
  });

  it('labels failures by error code and counts breaker transitions', async () => {
    const registry = new Registry();
    const { dexcom } = scriptedClient([json({ error: 'quota' }, 429)], { metrics: { registry }, retry: false, rateLimit: { coolDownMs: 1 }, circuitBreaker: { threshold: 1, halfOpenAfterMs: 60_000 } });
    await expect(dexcom.getDevices()).rejects.toThrow(DexcomRateLimitError);
    expect(await value(registry, 'dexcom_requests_total', { status_class: '4xx', outcome: 'rate_limited' })).toBe(1);
    expect(await value(registry, 'dexcom_rate_limiter_throttled_total', { reason: 'cool-down' })).toBe(1);
    expect(await value(registry, 'dexcom_circuit_breaker_transitions_total', { to: 'open' })).toBeUndefined();
  });

  it('lets two clients share one registry, creating each metric once', async () => {
    const registry = new Registry();
    const a = scriptedClient([json(devicesBody)], { metrics: { registry, clientName: 'backfill' } });
    const b = scriptedClient([json(devicesBody)], { metrics: { registry, clientName: 'live' } });
    const c = scriptedClient([json(devicesBody)], { metrics: { registry, clientName: 'live' } });
    await Promise.all([a.dexcom.getDevices(), b.dexcom.getDevices(), c.dexcom.getDevices()]);
    expect(await value(registry, 'dexcom_requests_total', { client: 'backfill' })).toBe(1);
    expect(await value(registry, 'dexcom_requests_total', { client: 'live' })).toBe(2);
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('keeps the number of series bounded after 1,000 calls for 1,000 different users', async () => {
    const registry = new Registry();
    const { dexcom } = scriptedClient([json(devicesBody)], { metrics: { registry }, rateLimit: false });
    await dexcom.getDevices();
    const afterOne = await seriesCount(registry);
    for (let user = 0; user < 1000; user++) {
      await dexcom.getDevices({ correlationId: `user-${user}-call` });
    }
    expect(await seriesCount(registry)).toBe(afterOne);
    const text = await registry.metrics();
    expect(text).not.toMatch(/user-\d+/);
  });

  it('does not touch the global registry and rejects a registry that is not one', async () => {
    const { register } = await import('prom-client');
    const before = (await register.getMetricsAsJSON()).length;
    scriptedClient([json(devicesBody)], { metrics: { registry: new Registry() } });
    expect((await register.getMetricsAsJSON()).length).toBe(before);
    expect(() => scriptedClient([], { metrics: { registry: {} as never } })).toThrow(/prom-client Registry/);
    expect(() => scriptedClient([], { metrics: { registry: new Registry(), clientName: 'user 123 / patient' } })).toThrow(/never a user id/);
  });
});
