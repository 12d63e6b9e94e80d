import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PipelineEvents } from '../../src/core/events.js';
import { compose, type CallContext, type FetchLike } from '../../src/core/middleware.js';
import { InMemoryRateLimitStore, type RateLimitStore } from '../../plugins/rate-limit-store.js';
import { createRateLimiter, resolveRateLimitOptions, type RateLimitOptions } from '../../plugins/rate-limiter.js';
import { retry, resolveRetryOptions } from '../../plugins/retry.js';
import {
  DexcomAbortError,
  DexcomConfigurationError,
  DexcomQueueFullError,
  DexcomRateLimitError,
  DexcomTimeoutError,
} from '../../src/core/errors.js';
import { makeContext, makeRequest, recordEvents } from './context.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

/** Sends every request through the limiter to a scripted `next` that logs `<invocationId>@<ms since start>`. */
function setup(overrides: RateLimitOptions = {}, answer: (context: CallContext) => Response = () => new Response(null)) {
  const options = resolveRateLimitOptions(overrides);
  if (!options) throw new Error('unreachable');
  const events = new PipelineEvents();
  const log = recordEvents(events, ['queued', 'throttled']);
  const limiter = createRateLimiter(options, events);
  const calls: string[] = [];
  const next: FetchLike = async (_request, context) => {
    calls.push(`${context.invocationId}@${Date.now() - NOW}`);
    return answer(context);
  };
  const fetchLike = limiter.middleware(next);
  const send = (id: string, extra: Partial<CallContext> = {}, init: RequestInit = {}) =>
    fetchLike(makeRequest(init), makeContext({ invocationId: id, ...extra }));
  return { limiter, log, calls, send };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('rate limiter', () => {
  it('sends a burst up to capacity at once, then one request per refill step, in FIFO order', async () => {
    const { log, calls, send } = setup({ capacity: 2, refillPerInterval: 1, intervalMs: 1_000 });

    const runs = ['A', 'B', 'C', 'D', 'E'].map((id) => send(id));
    await vi.advanceTimersByTimeAsync(3_000);
    await Promise.all(runs);

    expect(calls).toEqual(['A@0', 'B@0', 'C@1000', 'D@2000', 'E@3000']);
    expect(log.filter(([name]) => name === 'queued')).toEqual([
      ['queued', { invocationId: 'C', operationId: 'getEgvs', queueDepth: 1 }],
      ['queued', { invocationId: 'D', operationId: 'getEgvs', queueDepth: 2 }],
      ['queued', { invocationId: 'E', operationId: 'getEgvs', queueDepth: 3 }],
    ]);
    expect(log.filter(([name]) => name === 'throttled')).toEqual(
      ['C', 'D', 'E'].map((id) => ['throttled', { invocationId: id, operationId: 'getEgvs', waitMs: 1_000, reason: 'bucket-empty' }]),
    );
  });

  it('rejects at once with DexcomQueueFullError when maxQueue requests already wait', async () => {
    const { limiter, calls, send } = setup({ capacity: 1, refillPerInterval: 1, intervalMs: 1_000, maxQueue: 2 });

    const runs = ['A', 'B', 'C'].map((id) => send(id));
    const rejected = await send('D').catch((e: unknown) => e);

    expect(rejected).toBeInstanceOf(DexcomQueueFullError);
    expect(rejected).toMatchObject({ maxQueue: 2, invocationId: 'D', retryable: true });
    expect((await limiter.stats()).queueDepth).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all(runs);
    expect(calls).toEqual(['A@0', 'B@1000', 'C@2000']);
  });

  it('lets an aborted waiter leave the queue at once, so the one behind it moves up', async () => {
    const { limiter, calls, send } = setup({ capacity: 1, refillPerInterval: 1, intervalMs: 1_000 });
    const caller = new AbortController();

    const a = send('A');
    const b = send('B', {}, { signal: caller.signal }).catch((e: unknown) => e);
    const c = send('C');
    await vi.advanceTimersByTimeAsync(500);
    caller.abort();

    expect(await b).toBeInstanceOf(DexcomAbortError);
    expect((await limiter.stats()).queueDepth).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    await Promise.all([a, c]);
    expect(calls).toEqual(['A@0', 'C@1000']);
  });

  it('rejects a waiter with the total-deadline error when the call signal fires, and stops waiting', async () => {
    const { limiter, calls, send } = setup({ capacity: 1, refillPerInterval: 1, intervalMs: 60_000 });
    const deadline = new AbortController();
    const late = new DexcomTimeoutError('late', { scope: 'total', timeoutMs: 5_000 });

    await send('A');
    const b = send('B', { signal: deadline.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5_000);
    deadline.abort(late);

    expect(await b).toBe(late);
    expect(await limiter.stats()).toMatchObject({ queueDepth: 0 });
    expect(vi.getTimerCount()).toBe(0);
    expect(calls).toEqual(['A@0']);
  });

  it('rejects a request whose signal is already aborted without queueing it', async () => {
    const { calls, send } = setup();

    await expect(send('A', {}, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(DexcomAbortError);
    expect(calls).toEqual([]);
  });

  it('pauses and empties the whole bucket for Retry-After when a 429 arrives', async () => {
    const answer = (context: CallContext) =>
      new Response(null, context.invocationId === 'A' ? { status: 429, headers: { 'retry-after': '5' } } : {});
    const { limiter, log, calls, send } = setup({ capacity: 10, refillPerInterval: 10, intervalMs: 1_000 }, answer);

    expect((await send('A')).status).toBe(429);
    expect(await limiter.stats()).toEqual({ queueDepth: 0, tokens: 0, pausedUntil: NOW + 5_000 });
    const runs = ['B', 'C', 'D'].map((id) => send(id));
    await vi.advanceTimersByTimeAsync(5_300);
    await Promise.all(runs);

    // The bucket restarts empty after the pause: one token per 100 ms, no burst into the wall.
    expect(calls).toEqual(['A@0', 'B@5100', 'C@5200', 'D@5300']);
    expect(log.find(([name]) => name === 'throttled')).toEqual([
      'throttled',
      { invocationId: 'A', operationId: 'getEgvs', waitMs: 5_000, reason: 'cool-down' },
    ]);
  });

  it('uses coolDownMs when a 429 carries no Retry-After', async () => {
    let first = true;
    const answer = () => {
      const response = new Response(null, { status: first ? 429 : 200 });
      first = false;
      return response;
    };
    const { calls, send } = setup({ capacity: 5, refillPerInterval: 5, intervalMs: 1_000, coolDownMs: 10_000 }, answer);

    await send('A');
    const b = send('B');
    await vi.advanceTimersByTimeAsync(10_199);
    expect(calls).toEqual(['A@0']);
    await vi.advanceTimersByTimeAsync(1);
    await b;
    expect(calls).toEqual(['A@0', 'B@10200']);
  });

  it('fails calls whose deadline falls inside the pause at once, with DexcomRateLimitError and retryAt', async () => {
    const answer = (context: CallContext) =>
      new Response(null, context.invocationId === 'A' ? { status: 429, headers: { 'retry-after': '60' } } : {});
    const { calls, send } = setup({ capacity: 1, refillPerInterval: 1, intervalMs: 1_000 }, answer);

    const a = send('A');
    const waiting = send('B', { deadline: NOW + 30_000 }).catch((e: unknown) => e);
    await a;
    const arriving = await send('C', { deadline: NOW + 30_000 }).catch((e: unknown) => e);

    for (const error of [await waiting, arriving]) {
      expect(error).toBeInstanceOf(DexcomRateLimitError);
      expect(error).toMatchObject({ retryAt: new Date(NOW + 60_000), retryAfterMs: 60_000 });
    }
    expect(calls).toEqual(['A@0']);
  });

  it('makes every retry take a token', async () => {
    const retryOptions = resolveRetryOptions({ jitter: false });
    const limiterOptions = resolveRateLimitOptions({ capacity: 2, refillPerInterval: 1, intervalMs: 10_000 });
    if (!retryOptions || !limiterOptions) throw new Error('unreachable');
    const limiter = createRateLimiter(limiterOptions, new PipelineEvents());
    const statuses = [503, 503, 200];
    const calls: string[] = [];
    const next: FetchLike = async (request, context) => {
      calls.push(`${request.method} ${context.attempt}@${Date.now() - NOW}`);
      return new Response(null, { status: statuses.shift() });
    };
    const run = compose([retry(retryOptions), limiter.middleware])(next)(makeRequest(), makeContext());

    await vi.advanceTimersByTimeAsync(10_000);

    expect((await run).status).toBe(200);
    expect(calls).toEqual(['GET 1@0', 'GET 2@500', 'GET 3@10000']);
  });

  it('keeps FIFO order with an asynchronous store', async () => {
    const memory = new InMemoryRateLimitStore();
    const asyncStore: RateLimitStore = {
      reserve: async (bucket, now) => memory.reserve(bucket, now),
      pause: async (bucket, until, now) => memory.pause(bucket, until, now),
      snapshot: async (bucket, now) => memory.snapshot(bucket, now),
    };
    const { calls, send } = setup({ capacity: 1, refillPerInterval: 1, intervalMs: 1_000, store: asyncStore });

    const runs = ['A', 'B', 'C'].map((id) => send(id));
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all(runs);

    expect(calls).toEqual(['A@0', 'B@1000', 'C@2000']);
  });

  it('shares one quota between limiters that share a store', async () => {
    const store = new InMemoryRateLimitStore();
    const one = setup({ capacity: 1, refillPerInterval: 1, intervalMs: 1_000, store });
    const two = setup({ capacity: 1, refillPerInterval: 1, intervalMs: 1_000, store });

    const a = one.send('A');
    const b = two.send('B');
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all([a, b]);

    expect([...one.calls, ...two.calls]).toEqual(['A@0', 'B@1000']);
  });

  it('never grants more than capacity + elapsed * rate tokens over any window', async () => {
    const arrivals = fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 60 });
    const shape = fc.record({
      capacity: fc.integer({ min: 1, max: 5 }),
      refillPerInterval: fc.integer({ min: 1, max: 4 }),
      intervalMs: fc.integer({ min: 50, max: 2_000 }),
    });
    await fc.assert(
      fc.asyncProperty(shape, arrivals, async (bucket, offsets) => {
        vi.setSystemTime(NOW);
        const { calls, send } = setup({ ...bucket, maxQueue: 100 });
        const runs = offsets.map((offset, i) => new Promise((resolve) => setTimeout(() => resolve(send(`r${i}`)), offset)));
        await vi.advanceTimersByTimeAsync(5_000 + offsets.length * bucket.intervalMs);
        await Promise.all(runs);

        const granted = calls.map((entry) => Number(entry.split('@')[1]));
        expect(granted).toHaveLength(offsets.length);
        for (let i = 0; i < granted.length; i += 1) {
          for (let j = i; j < granted.length; j += 1) {
            const window = (granted[j] ?? 0) - (granted[i] ?? 0);
            expect(j - i + 1).toBeLessThanOrEqual(bucket.capacity + Math.floor((window * bucket.refillPerInterval) / bucket.intervalMs));
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('resolveRateLimitOptions', () => {
  it('fills in the defaults (100 calls per minute)', () => {
    expect(resolveRateLimitOptions(undefined)).toEqual({
      capacity: 100,
      refillPerInterval: 100,
      intervalMs: 60_000,
      maxQueue: 1_000,
      coolDownMs: 60_000,
      maxCoolDownMs: 3_600_000,
      expectedWorkers: 1,
      storeTimeoutMs: 1_000,
      rejoinIntervalMs: 1_000,
      store: null,
    });
  });

  it("accepts Dexcom's full app quota of 60,000 calls per hour", () => {
    expect(resolveRateLimitOptions({ capacity: 1_000, refillPerInterval: 60_000, intervalMs: 3_600_000 })).toMatchObject({
      refillPerInterval: 60_000,
      intervalMs: 3_600_000,
    });
  });

  it('returns null for false (no limiter)', () => {
    expect(resolveRateLimitOptions(false)).toBeNull();
  });

  it.each([
    [{ capacity: 0 }, 'rateLimit.capacity must be an integer from 1 to 1000000 (got 0), e.g. { capacity: 100, refillPerInterval: 100, intervalMs: 60_000 }'],
    [{ refillPerInterval: 0.5 }, 'rateLimit.refillPerInterval must be an integer'],
    [{ intervalMs: -60_000 }, 'rateLimit.intervalMs must be an integer'],
    [{ maxQueue: 0 }, 'rateLimit.maxQueue must be an integer from 1 to 1000000 (got 0), e.g. { maxQueue: 1_000 }'],
    [{ coolDownMs: 7_200_000 }, 'rateLimit.coolDownMs must be an integer from 1 to 3600000'],
    [{ store: {} as RateLimitStore }, 'rateLimit.store must implement RateLimitStore'],
  ])('rejects %j with a message showing a correct example', (input, message) => {
    expect(() => resolveRateLimitOptions(input)).toThrow(DexcomConfigurationError);
    expect(() => resolveRateLimitOptions(input)).toThrow(message);
  });
});
