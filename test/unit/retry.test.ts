import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { retry, resolveRetryOptions, RETRY_AFTER_MARGIN_MS, type ResolvedRetryOptions, type RetryOptions } from '../../plugins/retry.js';
import {
  DexcomAbortError,
  DexcomCircuitOpenError,
  DexcomConfigurationError,
  DexcomInvalidResponseError,
  DexcomNetworkError,
  DexcomQueueFullError,
  DexcomRateLimitError,
  DexcomServerError,
  DexcomTimeoutError,
} from '../../src/core/errors.js';
import { makeContext, makeRequest, recordEvents, scriptedNext, trackedResponse, type Step } from './context.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function options(overrides: RetryOptions = {}): ResolvedRetryOptions {
  const resolved = resolveRetryOptions({ jitter: false, ...overrides });
  if (!resolved) throw new Error('retry options resolved to null');
  return resolved;
}

function setup(steps: Step[], overrides: RetryOptions = {}, request = makeRequest()) {
  const { next, calls } = scriptedNext(steps);
  const context = makeContext({ method: request.method });
  const events = recordEvents(context.events, ['retry', 'give-up']);
  const run = retry(options(overrides))(next)(request, context);
  return { next, calls, context, events, run };
}

const status = (code: number, headers: Record<string, string> = {}): Response => new Response(null, { status: code, headers });
const networkError = (requestSent: boolean): DexcomNetworkError => new DexcomNetworkError('socket hang up', { requestSent });
const attemptTimeout = (): DexcomTimeoutError => new DexcomTimeoutError('slow', { scope: 'attempt', timeoutMs: 30_000 });

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retry', () => {
  it('retries 5xx, network errors and attempt timeouts with exponential backoff, then returns the success', async () => {
    const { calls, context, events, run } = setup([status(503), networkError(true), attemptTimeout(), status(200)], {
      maxAttempts: 4,
    });

    await vi.advanceTimersByTimeAsync(500 + 1_000 + 2_000);
    const response = await run;

    expect(response.status).toBe(200);
    expect(calls).toEqual(['GET 1', 'GET 2', 'GET 3', 'GET 4']);
    expect(context.attempts.map((a) => a.delayMs)).toEqual([500, 1_000, 2_000, undefined]);
    expect(events).toEqual([
      ['retry', { invocationId: 'inv-1', operationId: 'getEgvs', attempt: 1, delayMs: 500, reason: 'status', status: 503 }],
      ['retry', { invocationId: 'inv-1', operationId: 'getEgvs', attempt: 2, delayMs: 1_000, reason: 'network', status: undefined }],
      ['retry', { invocationId: 'inv-1', operationId: 'getEgvs', attempt: 3, delayMs: 2_000, reason: 'timeout', status: undefined }],
    ]);
  });

  it('retries a GET whose 2xx body arrived truncated, but never such a POST', async () => {
    const truncated = () => new DexcomInvalidResponseError('truncated JSON', { status: 200 });
    const get = setup([truncated(), status(200)]);
    await vi.advanceTimersByTimeAsync(500);
    expect((await get.run).status).toBe(200);
    expect(get.calls).toEqual(['GET 1', 'GET 2']);
    expect(get.events).toEqual([
      ['retry', { invocationId: 'inv-1', operationId: 'getEgvs', attempt: 1, delayMs: 500, reason: 'invalid-response', status: undefined }],
    ]);

    const post = setup([truncated(), status(200)], {}, makeRequest({ method: 'POST', body: 'grant_type=refresh_token' }));
    await expect(post.run).rejects.toBeInstanceOf(DexcomInvalidResponseError);
    expect(post.calls).toEqual(['POST 1']);
  });

  it('never sends the next attempt before the backoff delay has passed', async () => {
    const { calls, run } = setup([status(500), status(200)]);

    await vi.advanceTimersByTimeAsync(499);
    expect(calls).toEqual(['GET 1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['GET 1', 'GET 2']);
    expect((await run).status).toBe(200);
  });

  it('returns the last response after maxAttempts and emits give-up', async () => {
    const { calls, events, run } = setup([status(503), status(502), status(504)]);

    await vi.advanceTimersByTimeAsync(1_500);
    const response = await run;

    expect(response.status).toBe(504);
    expect(calls).toEqual(['GET 1', 'GET 2', 'GET 3']);
    expect(events.at(-1)).toEqual([
      'give-up',
      { invocationId: 'inv-1', operationId: 'getEgvs', attempts: 3, reason: 'max-attempts', status: 504 },
    ]);
  });

  it('rethrows the last error after maxAttempts', async () => {
    const last = networkError(true);
    const { calls, run } = setup([networkError(true), last], { maxAttempts: 2 });
    const settled = run.catch((error: unknown) => error);

    await vi.advanceTimersByTimeAsync(500);

    expect(await settled).toBe(last);
    expect(calls).toEqual(['GET 1', 'GET 2']);
  });

  it('honours Retry-After in seconds (decimals too) and never sends early', async () => {
    const { calls, context, run } = setup([status(429, { 'retry-after': '1.5' }), status(200)]);

    await vi.advanceTimersByTimeAsync(1_500 + RETRY_AFTER_MARGIN_MS - 1);
    expect(calls).toEqual(['GET 1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['GET 1', 'GET 2']);
    expect((await run).status).toBe(200);
    expect(context.attempts[0]?.delayMs).toBe(1_500 + RETRY_AFTER_MARGIN_MS);
  });

  it('honours Retry-After as an HTTP-date and never sends early', async () => {
    const { calls, run } = setup([status(503, { 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), status(200)]);

    await vi.advanceTimersByTimeAsync(3_000 + RETRY_AFTER_MARGIN_MS - 1);
    expect(calls).toEqual(['GET 1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['GET 1', 'GET 2']);
    expect((await run).status).toBe(200);
  });

  it('fails at once with DexcomRateLimitError and retryAt when Retry-After reaches past the deadline', async () => {
    const { response, cancelled } = trackedResponse(429, { 'retry-after': '30' });
    const { next, calls } = scriptedNext([response]);
    const context = makeContext({ deadline: NOW + 10_000 });
    const events = recordEvents(context.events, ['give-up']);

    const error = await retry(options())(next)(makeRequest(), context).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomRateLimitError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 30_000, retryAt: new Date(NOW + 30_000), invocationId: 'inv-1' });
    expect(calls).toEqual(['GET 1']);
    expect(cancelled()).toBe(true);
    expect(events).toEqual([
      ['give-up', { invocationId: 'inv-1', operationId: 'getEgvs', attempts: 1, reason: 'retry-after-exceeds-deadline', status: 429 }],
    ]);
  });

  it('fails at once with DexcomServerError and retryAt when a 503 asks for more than maxRetryAfterMs', async () => {
    const { calls, run } = setup([status(503, { 'retry-after': '600' })], { maxRetryAfterMs: 60_000 });

    const error = await run.catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomServerError);
    expect(error).toMatchObject({ status: 503, retryAfterMs: 600_000, retryAt: new Date(NOW + 600_000) });
    expect(calls).toEqual(['GET 1']);
  });

  it('gives up with the last response when the next backoff would end past the deadline', async () => {
    const { next, calls } = scriptedNext([status(503), status(503)]);
    const context = makeContext({ deadline: NOW + 1_200 });
    const events = recordEvents(context.events, ['give-up']);
    const run = retry(options())(next)(makeRequest(), context);

    await vi.advanceTimersByTimeAsync(500);
    const response = await run;

    expect(response.status).toBe(503);
    expect(calls).toEqual(['GET 1', 'GET 2']);
    expect(events).toEqual([['give-up', { invocationId: 'inv-1', operationId: 'getEgvs', attempts: 2, reason: 'deadline', status: 503 }]]);
  });

  it('does not retry a POST after a response or after a network error once the request was sent', async () => {
    const post = () => makeRequest({ method: 'POST', body: 'code=abc' });
    const afterResponse = setup([status(503)], {}, post());
    const afterSend = setup([networkError(true)], {}, post());

    expect((await afterResponse.run).status).toBe(503);
    await expect(afterSend.run).rejects.toBeInstanceOf(DexcomNetworkError);
    expect(afterResponse.calls).toEqual(['POST 1']);
    expect(afterSend.calls).toEqual(['POST 1']);
    expect(afterResponse.events).toEqual([
      ['give-up', { invocationId: 'inv-1', operationId: 'getEgvs', attempts: 1, reason: 'not-idempotent', status: 503 }],
    ]);
  });

  it('retries a POST when nothing was sent (connection refused), re-sending the full body', async () => {
    const bodies: string[] = [];
    const readBody = async (request: Request) => {
      bodies.push(await request.text());
      return status(200);
    };
    const { calls, run } = setup(
      [networkError(false), readBody],
      {},
      makeRequest({ method: 'POST', body: 'grant_type=authorization_code' }),
    );

    await vi.advanceTimersByTimeAsync(500);

    expect((await run).status).toBe(200);
    expect(calls).toEqual(['POST 1', 'POST 2']);
    expect(bodies).toEqual(['grant_type=authorization_code']);
  });

  it.each([400, 401, 403, 404, 422])('returns a %i at once without retrying', async (code) => {
    const { calls, events, run } = setup([status(code)]);

    expect((await run).status).toBe(code);
    expect(calls).toEqual(['GET 1']);
    expect(events).toEqual([]);
  });

  it.each([
    ['DexcomCircuitOpenError', new DexcomCircuitOpenError('open', { retryAt: new Date(NOW + 30_000) })],
    ['DexcomQueueFullError', new DexcomQueueFullError('full', { maxQueue: 10 })],
    ['DexcomAbortError', new DexcomAbortError('aborted')],
    ['DexcomTimeoutError (total)', new DexcomTimeoutError('late', { scope: 'total', timeoutMs: 120_000 })],
    ['DexcomRateLimitError (thrown by the limiter)', new DexcomRateLimitError('cooling down')],
  ])('rethrows %s at once without retrying', async (_, error) => {
    const { calls, events, run } = setup([error]);

    await expect(run).rejects.toBe(error);
    expect(calls).toEqual(['GET 1']);
    expect(events).toEqual([]);
  });

  it('cancels the body of every discarded response, but not of the one it returns', async () => {
    const first = trackedResponse(503);
    const second = trackedResponse(502);
    const last = trackedResponse(200);
    const { run } = setup([first.response, second.response, last.response]);

    await vi.advanceTimersByTimeAsync(1_500);
    const response = await run;

    expect([first.cancelled(), second.cancelled(), last.cancelled()]).toEqual([true, true, false]);
    expect(await response.text()).toBe('{}');
  });

  it('stops at once with DexcomAbortError when the caller aborts during the backoff sleep', async () => {
    const caller = new AbortController();
    const { next, calls } = scriptedNext([status(503), status(200)]);
    const context = makeContext({ signal: caller.signal });
    const run = retry(options())(next)(makeRequest(), context);
    const settled = run.catch((e: unknown) => e);

    await vi.advanceTimersByTimeAsync(100);
    caller.abort();
    const error = await settled;

    expect(error).toBeInstanceOf(DexcomAbortError);
    expect(error).toMatchObject({ invocationId: 'inv-1', attempts: [{ attempt: 1, status: 503, durationMs: 0, delayMs: 500 }] });
    expect(calls).toEqual(['GET 1']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('surfaces the deadline error, not the attempt error, once the call signal fired during an attempt', async () => {
    const deadline = new AbortController();
    const total = new DexcomTimeoutError('late', { scope: 'total', timeoutMs: 1_000 });
    const { next, calls } = scriptedNext([
      () => {
        deadline.abort(total);
        throw networkError(true);
      },
    ]);

    const run = retry(options())(next)(makeRequest(), makeContext({ signal: deadline.signal }));

    await expect(run).rejects.toBe(total);
    expect(calls).toEqual(['GET 1']);
  });

  it('uses decorrelated jitter by default, keeping every delay within maxDelayMs', async () => {
    const resolved = resolveRetryOptions({ maxAttempts: 10, initialDelayMs: 1_000, maxDelayMs: 4_000 });
    if (!resolved) throw new Error('unreachable');
    const { next } = scriptedNext(Array.from({ length: 10 }, () => status(503)));
    const context = makeContext();
    const delays = recordEvents(context.events, ['retry']);
    const run = retry(resolved)(next)(makeRequest(), context);

    await vi.advanceTimersByTimeAsync(9 * 4_000);
    await run;

    const values = delays.map(([, e]) => e.delayMs);
    expect(values).toHaveLength(9);
    expect(values.every((delay) => delay >= 0 && delay <= 4_000)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(1);
  });
});

describe('retry backoff with jitter', () => {
  it('never waits less than initialDelayMs, even when the jitter draws its lowest value', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const resolved = resolveRetryOptions({ maxAttempts: 6, initialDelayMs: 1_000, maxDelayMs: 8_000 });
      if (!resolved) throw new Error('unreachable');
      const { next } = scriptedNext(Array.from({ length: 6 }, () => status(503)));
      const context = makeContext();
      const delays = recordEvents(context.events, ['retry']);
      const run = retry(resolved)(next)(makeRequest(), context);
      await vi.advanceTimersByTimeAsync(5 * 8_000);
      await run;
      const values = delays.map(([, e]) => e.delayMs);
      expect(values).toHaveLength(5);
      expect(values.every((delay) => delay >= 1_000 && delay <= 8_000)).toBe(true);
    } finally {
      random.mockRestore();
    }
  });
});

describe('resolveRetryOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveRetryOptions(undefined)).toEqual({
      maxAttempts: 3,
      initialDelayMs: 500,
      maxDelayMs: 30_000,
      retryStatuses: new Set([408, 429, 500, 502, 503, 504]),
      jitter: true,
      maxRetryAfterMs: 120_000,
    });
  });

  it('returns null for false (no retry layer)', () => {
    expect(resolveRetryOptions(false)).toBeNull();
  });

  it.each([
    [{ maxAttempts: 0 }, 'retry.maxAttempts must be an integer from 1 to 10 (got 0), e.g. { maxAttempts: 3,'],
    [{ maxAttempts: 2.5 }, 'retry.maxAttempts must be an integer'],
    [{ initialDelayMs: -1 }, 'retry.initialDelayMs must be an integer from 1'],
    [{ initialDelayMs: 1_000, maxDelayMs: 500 }, 'retry.maxDelayMs must be an integer from 1000'],
    [{ retryStatuses: [503, 200] }, 'retry.retryStatuses[1] must be an integer from 400 to 599 (got 200), e.g. { retryStatuses: [429, 503] }'],
    [{ jitter: 'yes' as unknown as boolean }, 'retry.jitter must be true or false'],
    [{ maxRetryAfterMs: Number.NaN }, 'retry.maxRetryAfterMs must be an integer'],
  ])('rejects %j with a message showing a correct example', (input, message) => {
    expect(() => resolveRetryOptions(input)).toThrow(DexcomConfigurationError);
    expect(() => resolveRetryOptions(input)).toThrow(message);
  });

  it('rejects a non-object', () => {
    expect(() => resolveRetryOptions(3 as unknown as RetryOptions)).toThrow('retry must be an options object or false (got 3)');
  });
});
