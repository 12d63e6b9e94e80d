import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createCircuitBreaker,
  resolveCircuitBreakerOptions,
  type CircuitBreakerOptions,
} from '../../plugins/circuit-breaker.js';
import { PipelineEvents } from '../../src/core/events.js';
import { compose, type FetchLike } from '../../src/core/middleware.js';
import { retry, resolveRetryOptions } from '../../plugins/retry.js';
import {
  DexcomAbortError,
  DexcomCircuitOpenError,
  DexcomConfigurationError,
  DexcomNetworkError,
  DexcomQueueFullError,
  DexcomTimeoutError,
} from '../../src/core/errors.js';
import { makeContext, makeRequest, recordEvents, scriptedNext, type Step } from './context.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function setup(steps: Step[], overrides: CircuitBreakerOptions = {}) {
  const options = resolveCircuitBreakerOptions(overrides);
  if (!options) throw new Error('unreachable');
  const events = new PipelineEvents();
  const log = recordEvents(events, ['break', 'half-open', 'reset']);
  const breaker = createCircuitBreaker(options, events);
  const { next, calls } = scriptedNext(steps);
  const fetchLike = breaker.middleware(next);
  let call = 0;
  // Each call is a separate logical call with its own context, as in real use.
  const send = () => fetchLike(makeRequest(), makeContext({ invocationId: `inv-${++call}` }));
  return { breaker, log, calls, send, next };
}

const status = (code: number): Response => new Response(null, { status: code });
const repeat = <T>(n: number, make: () => T): T[] => Array.from({ length: n }, make);

/** Opens the breaker with five 503s. */
async function open(send: () => Promise<Response>): Promise<void> {
  for (let i = 0; i < 5; i += 1) expect((await send()).status).toBe(503);
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('circuit breaker', () => {
  it('opens after threshold consecutive 5xx attempts and then fails fast with retryAt, sending nothing', async () => {
    const { breaker, log, calls, send } = setup(repeat(5, () => status(503)));

    await open(send);
    const error = await send().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomCircuitOpenError);
    expect(error).toMatchObject({ retryAt: new Date(NOW + 30_000), retryAfterMs: 30_000, invocationId: 'inv-6', retryable: true });
    expect(calls).toHaveLength(5);
    expect(log).toEqual([['break', { reason: 'status-503', retryAt: NOW + 30_000 }]]);
    expect(breaker.state()).toEqual({ state: 'open', retryAt: new Date(NOW + 30_000) });
  });

  it('counts network errors and attempt timeouts as failures', async () => {
    const attemptTimeout = () => new DexcomTimeoutError('slow', { scope: 'attempt', timeoutMs: 1 });
    const network = () => new DexcomNetworkError('reset');
    const { breaker, log, send } = setup([network(), attemptTimeout(), network(), attemptTimeout(), network()]);

    for (let i = 0; i < 5; i += 1) await send().catch(() => undefined);

    expect(breaker.state().state).toBe('open');
    expect(log).toEqual([['break', { reason: 'network', retryAt: NOW + 30_000 }]]);
  });

  it('never opens on 429s (back-pressure, not an outage)', async () => {
    const { breaker, log, calls, send } = setup(repeat(20, () => status(429)));

    for (let i = 0; i < 20; i += 1) expect((await send()).status).toBe(429);

    expect(calls).toHaveLength(20);
    expect(breaker.state()).toEqual({ state: 'closed' });
    expect(log).toEqual([]);
  });

  it('treats other 4xx as a working server (the failure count starts again)', async () => {
    const { breaker, send } = setup([...repeat(4, () => status(500)), status(404), ...repeat(4, () => status(500))]);

    for (let i = 0; i < 9; i += 1) await send();

    expect(breaker.state()).toEqual({ state: 'closed' });
  });

  it('lets caller aborts and other errors count neither way', async () => {
    const { breaker, send } = setup([
      ...repeat(4, () => status(502)),
      new DexcomAbortError('caller left'),
      new DexcomQueueFullError('full', { maxQueue: 1 }),
      status(502),
    ]);

    for (let i = 0; i < 7; i += 1) await send().catch(() => undefined);

    expect(breaker.state().state).toBe('open');
  });

  it('reports open until a call arrives after halfOpenAfterMs (cockatiel#91), then lets exactly one probe through', async () => {
    let answerProbe: (response: Response) => void = () => {};
    const probe = () => new Promise<Response>((resolve) => (answerProbe = resolve));
    const { breaker, log, calls, send } = setup([...repeat(5, () => status(503)), probe, status(200)]);
    await open(send);

    await vi.advanceTimersByTimeAsync(30_000);
    expect(breaker.state()).toEqual({ state: 'open', retryAt: new Date(NOW + 30_000) });

    const first = send();
    const others = await Promise.all([send().catch((e: unknown) => e), send().catch((e: unknown) => e)]);

    expect(calls).toHaveLength(6);
    expect(others).toEqual([expect.any(DexcomCircuitOpenError), expect.any(DexcomCircuitOpenError)]);
    expect(breaker.state()).toEqual({ state: 'half-open' });

    answerProbe(status(200));
    expect((await first).status).toBe(200);
    expect(breaker.state()).toEqual({ state: 'closed' });
    expect((await send()).status).toBe(200);
    expect(calls).toHaveLength(7);
    expect(log.map(([name]) => name)).toEqual(['break', 'half-open', 'reset']);
  });

  it('re-opens for another halfOpenAfterMs when the probe fails', async () => {
    const { breaker, log, send } = setup(repeat(6, () => status(503)));
    await open(send);
    await vi.advanceTimersByTimeAsync(30_000);

    expect((await send()).status).toBe(503);

    expect(breaker.state()).toEqual({ state: 'open', retryAt: new Date(NOW + 60_000) });
    expect(log).toEqual([
      ['break', { reason: 'status-503', retryAt: NOW + 30_000 }],
      ['half-open', {}],
      ['break', { reason: 'status-503', retryAt: NOW + 60_000 }],
    ]);
  });

  it('stays open when the probe is aborted by its caller (an abandoned probe proves nothing)', async () => {
    const abort = new DexcomAbortError('caller left');
    const { breaker, log, send } = setup([...repeat(5, () => status(503)), abort]);
    await open(send);
    await vi.advanceTimersByTimeAsync(30_000);

    await expect(send()).rejects.toBe(abort);

    expect(breaker.state().state).toBe('open');
    expect(log.at(-1)).toEqual(['break', { reason: 'probe-abandoned', retryAt: NOW + 60_000 }]);
  });

  it('answers with the fallback while open', async () => {
    const fallback = vi.fn((context: { invocationId: string }, error: DexcomCircuitOpenError) =>
      Response.json({ cached: true, invocationId: context.invocationId, retryAt: error.retryAt.toISOString() }),
    );
    const { calls, send } = setup(repeat(5, () => status(500)), { fallback });
    for (let i = 0; i < 5; i += 1) await send();

    const response = await send();

    expect(await response.json()).toEqual({ cached: true, invocationId: 'inv-6', retryAt: '2026-01-01T00:00:30.000Z' });
    expect(fallback).toHaveBeenCalledTimes(1);
    expect(calls).toHaveLength(5);
  });

  it('keeps its state per breaker instance (one per client), never shared between instances', async () => {
    const a = setup(repeat(5, () => status(503)));
    const b = setup([status(200)]);
    await open(a.send);

    expect((await b.send()).status).toBe(200);
    expect(b.breaker.state()).toEqual({ state: 'closed' });
  });

  it('supports a failure-ratio window (SamplingBreaker) instead of a consecutive count', async () => {
    const { breaker, send } = setup([...repeat(5, () => status(200)), ...repeat(6, () => status(503))], {
      sampling: { failureRatio: 0.5, durationMs: 10_000, minimumRps: 1 },
    });

    for (let i = 0; i < 11; i += 1) await send();

    expect(breaker.state().state).toBe('open');
  });

  it('under retry, counts every wire attempt and stops retrying once the circuit opens', async () => {
    const retryOptions = resolveRetryOptions({ jitter: false, maxAttempts: 10 });
    const breakerOptions = resolveCircuitBreakerOptions({ threshold: 2 });
    if (!retryOptions || !breakerOptions) throw new Error('unreachable');
    const breaker = createCircuitBreaker(breakerOptions, new PipelineEvents());
    const { next, calls } = scriptedNext(repeat(10, () => status(503)));
    const fetchLike: FetchLike = compose([retry(retryOptions), breaker.middleware])(next);
    const settled = fetchLike(makeRequest(), makeContext()).catch((e: unknown) => e);

    await vi.advanceTimersByTimeAsync(500 + 1_000);

    expect(await settled).toBeInstanceOf(DexcomCircuitOpenError);
    expect(calls).toEqual(['GET 1', 'GET 2']);
  });
});

describe('resolveCircuitBreakerOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveCircuitBreakerOptions(undefined)).toEqual({ threshold: 5, halfOpenAfterMs: 30_000, sampling: null, fallback: null });
  });

  it('returns null for false (no breaker)', () => {
    expect(resolveCircuitBreakerOptions(false)).toBeNull();
  });

  it.each([
    [{ threshold: 0 }, 'circuitBreaker.threshold must be an integer from 1 to 1000 (got 0), e.g. { threshold: 5, halfOpenAfterMs: 30_000 }'],
    [{ halfOpenAfterMs: 1.5 }, 'circuitBreaker.halfOpenAfterMs must be an integer'],
    [{ sampling: { failureRatio: 1, durationMs: 60_000 } }, 'circuitBreaker.sampling.failureRatio must be a number between 0 and 1'],
    [{ sampling: { failureRatio: 0.5, durationMs: 10 } }, 'circuitBreaker.sampling.durationMs must be an integer from 1000'],
    [{ sampling: { failureRatio: 0.5, durationMs: 60_000, minimumRps: -1 } }, 'circuitBreaker.sampling.minimumRps must be a positive number'],
    [{ fallback: 'cache' as unknown as () => Response }, 'circuitBreaker.fallback must be a function returning a Response'],
  ])('rejects %j with a message showing a correct example', (input, message) => {
    expect(() => resolveCircuitBreakerOptions(input)).toThrow(DexcomConfigurationError);
    expect(() => resolveCircuitBreakerOptions(input)).toThrow(message);
  });
});
