import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PipelineEvents } from '../../src/core/events.js';
import type { CallContext, FetchLike } from '../../src/core/middleware.js';
import { attachMetrics, resolveMetricsOptions } from '../../plugins/metrics.js';
import { InMemoryRateLimitStore, type RateLimitStore } from '../../plugins/rate-limit-store.js';
import { createRateLimiter, resolveRateLimitOptions, type RateLimitOptions } from '../../plugins/rate-limiter.js';
import { makeContext, makeRequest, recordEvents } from './context.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const CANARY = 'redis://:canary-secret-7f3a@10.0.0.9:6379';

/** A shared store that can be switched off (every call rejects, or never answers) and on again. */
function flakyStore() {
  const memory = new InMemoryRateLimitStore();
  const state = { mode: 'up' as 'up' | 'refused' | 'hanging', calls: [] as string[] };
  const gate = <T>(op: string, run: () => T): Promise<T> => {
    state.calls.push(`${op}@${Date.now() - NOW}`);
    if (state.mode === 'refused') return Promise.reject(new Error(`connect ECONNREFUSED ${CANARY}`));
    if (state.mode === 'hanging') return new Promise<T>(() => {});
    return Promise.resolve(run());
  };
  const store: RateLimitStore = {
    reserve: (bucket, now) => gate('reserve', () => memory.reserve(bucket, now)),
    pause: (bucket, until, now) => gate('pause', () => memory.pause(bucket, until, now)),
    snapshot: (bucket, now) => gate('snapshot', () => memory.snapshot(bucket, now)),
  };
  return { store, memory, state };
}

function setup(overrides: RateLimitOptions, answer: (context: CallContext) => Response = () => new Response(null)) {
  const options = resolveRateLimitOptions(overrides);
  if (!options) throw new Error('unreachable');
  const events = new PipelineEvents();
  const log = recordEvents(events, ['rate-limit-store']);
  const limiter = createRateLimiter(options, events);
  const sent: string[] = [];
  const next: FetchLike = async (_request, context) => {
    sent.push(`${context.invocationId}@${Date.now() - NOW}`);
    return answer(context);
  };
  const fetchLike = limiter.middleware(next);
  const send = (id: string) => fetchLike(makeRequest(), makeContext({ invocationId: id }));
  return { events, log, sent, send, limiter };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('rate limiter with an unreachable store', () => {
  it('falls back to rate / expectedWorkers on its own when the store refuses, and says so once', async () => {
    const { store, state } = flakyStore();
    state.mode = 'refused';
    const { log, sent, send } = setup({ capacity: 4, refillPerInterval: 4, intervalMs: 1_000, store, expectedWorkers: 2, rejoinIntervalMs: 60_000 });

    const runs = ['A', 'B', 'C', 'D', 'E'].map((id) => send(id));
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all(runs);

    // Local share: a burst of 4 / 2 = 2, then 4 / 2 = 2 tokens a second.
    expect(sent).toEqual(['A@0', 'B@0', 'C@500', 'D@1000', 'E@1500']);
    expect(log).toEqual([['rate-limit-store', { state: 'fallback', error: 'Error' }]]);
    expect(JSON.stringify(log)).not.toContain('canary-secret');
  });

  it('treats a store that does not answer within storeTimeoutMs as unreachable', async () => {
    const { store, state } = flakyStore();
    state.mode = 'hanging';
    const { log, sent, send } = setup({ capacity: 2, refillPerInterval: 2, intervalMs: 1_000, store, expectedWorkers: 2, storeTimeoutMs: 300 });

    const run = send('A');
    await vi.advanceTimersByTimeAsync(299);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await run;

    expect(sent).toEqual(['A@300']);
    expect(log).toEqual([['rate-limit-store', { state: 'fallback', error: 'Error' }]]);
  });

  it('keeps a 429 pause while the store is down, and hands it to the store before rejoining it', async () => {
    const { store, memory, state } = flakyStore();
    state.mode = 'refused';
    const bucket = { capacity: 2, refillPerInterval: 2, intervalMs: 1_000 };
    const answer = (context: CallContext) =>
      new Response(null, context.invocationId === 'A' ? { status: 429, headers: { 'retry-after': '10' } } : {});
    const { log, sent, send } = setup({ ...bucket, store, expectedWorkers: 2, rejoinIntervalMs: 1_000 }, answer);

    expect((await send('A')).status).toBe(429);
    await vi.advanceTimersByTimeAsync(2_000);
    state.mode = 'up';
    const c = send('C');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(memory.snapshot(bucket, Date.now()).pausedUntil).toBe(NOW + 10_000);
    await vi.advanceTimersByTimeAsync(6_000);
    await c;

    // C's reservation came from the store, which had learnt of the pause first: the store's first
    // slot after it (one interval of the full rate later), not the store's full bucket.
    expect(sent).toEqual(['A@0', 'C@10500']);
    expect(log.map(([, e]) => e.state)).toEqual(['fallback', 'shared']);
    expect(state.calls.filter((call) => call.startsWith('pause'))).toEqual(['pause@0', 'pause@2000']);
  });

  it('counts the switches in dexcom_rate_limiter_store_transitions_total', async () => {
    const { store, state } = flakyStore();
    state.mode = 'refused';
    const registry = new Registry();
    const { events, send } = setup({ capacity: 2, refillPerInterval: 2, intervalMs: 1_000, store, expectedWorkers: 2, rejoinIntervalMs: 100 });
    attachMetrics(events, resolveMetricsOptions({ registry, clientName: 'fleet' }));

    await send('A');
    state.mode = 'up';
    await vi.advanceTimersByTimeAsync(200);
    await send('B');

    const text = await registry.metrics();
    expect(text).toContain('dexcom_rate_limiter_store_transitions_total{client="fleet",state="fallback"} 1');
    expect(text).toContain('dexcom_rate_limiter_store_transitions_total{client="fleet",state="shared"} 1');
  });
});

describe('resolveRateLimitOptions: fleet settings', () => {
  it.each([
    [{ expectedWorkers: 0 }, 'rateLimit.expectedWorkers must be an integer from 1 to 10000 (got 0), e.g. { store, expectedWorkers: 8 }'],
    [{ storeTimeoutMs: 0 }, 'rateLimit.storeTimeoutMs must be an integer from 1 to 60000 (got 0), e.g. { storeTimeoutMs: 1_000 }'],
    [{ rejoinIntervalMs: 1.5 }, 'rateLimit.rejoinIntervalMs must be an integer'],
  ])('rejects %j with a message showing a correct example', (input, message) => {
    expect(() => resolveRateLimitOptions(input)).toThrow(message);
  });
});
