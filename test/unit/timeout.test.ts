import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compose, type FetchLike } from '../../src/core/middleware.js';
import { retry, resolveRetryOptions } from '../../plugins/retry.js';
import { attemptTimeout, resolveTimeoutOptions, totalDeadline, type TimeoutOptions } from '../../plugins/timeout.js';
import { DexcomAbortError, DexcomConfigurationError, DexcomTimeoutError } from '../../src/core/errors.js';
import { hangingNext, makeContext, makeRequest } from './context.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function stack(timeouts: TimeoutOptions, next: FetchLike): FetchLike {
  const options = resolveTimeoutOptions(timeouts);
  return compose([totalDeadline(options), attemptTimeout(options)])(next);
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('totalDeadline', () => {
  it('fails with DexcomTimeoutError scope total when the call outlives totalMs, and publishes signal and deadline', async () => {
    const calls: string[] = [];
    const context = makeContext();
    const run = totalDeadline(resolveTimeoutOptions({ totalMs: 1_000 }))(hangingNext(calls))(makeRequest(), context);
    const settled = run.catch((e: unknown) => e);

    expect(context.deadline).toBe(NOW + 1_000);
    expect(context.signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(999);
    expect(context.signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);

    const error = await settled;
    expect(error).toBeInstanceOf(DexcomTimeoutError);
    expect(error).toMatchObject({ scope: 'total', timeoutMs: 1_000, retryable: false, invocationId: 'inv-1' });
    expect(calls).toEqual(['GET 1']);
  });

  it('still fails on time when an inner layer ignores the signal', async () => {
    const context = makeContext();
    const run = totalDeadline(resolveTimeoutOptions({ totalMs: 1_000 }))(() => new Promise<Response>(() => {}))(makeRequest(), context);
    const settled = run.catch((e: unknown) => e);

    await vi.advanceTimersByTimeAsync(1_000);

    expect(await settled).toMatchObject({ name: 'DexcomTimeoutError', scope: 'total' });
  });

  it('turns a caller abort into DexcomAbortError with the caller reason as cause', async () => {
    const caller = new AbortController();
    const calls: string[] = [];
    const run = totalDeadline(resolveTimeoutOptions({}))(hangingNext(calls))(makeRequest({ signal: caller.signal }), makeContext());
    const settled = run.catch((e: unknown) => e);

    await vi.advanceTimersByTimeAsync(100);
    caller.abort(new Error('user navigated away'));

    const error = await settled;
    expect(error).toBeInstanceOf(DexcomAbortError);
    expect(error).toMatchObject({ code: 'aborted', retryable: false, cause: new Error('user navigated away') });
    expect(calls).toEqual(['GET 1']);
  });

  it('sends nothing when the caller signal is already aborted', async () => {
    const next = vi.fn<FetchLike>();
    const run = totalDeadline(resolveTimeoutOptions({}))(next)(makeRequest({ signal: AbortSignal.abort() }), makeContext());

    await expect(run).rejects.toBeInstanceOf(DexcomAbortError);
    expect(next).not.toHaveBeenCalled();
  });

  it('releases its timer once the call settles (the transport has already read the body)', async () => {
    let sent: AbortSignal | undefined;
    const next: FetchLike = async (request) => {
      sent = request.signal;
      return new Response('{}');
    };

    const response = await totalDeadline(resolveTimeoutOptions({ totalMs: 5_000 }))(next)(makeRequest(), makeContext());
    expect(response.status).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent?.aborted).toBe(false);
  });

  it('with totalMs off, sets no deadline but still links the caller signal', async () => {
    const caller = new AbortController();
    const context = makeContext();
    const run = totalDeadline(resolveTimeoutOptions(false))(hangingNext())(makeRequest({ signal: caller.signal }), context);
    const settled = run.catch((e: unknown) => e);

    expect(context.deadline).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    caller.abort();
    expect(await settled).toBeInstanceOf(DexcomAbortError);
  });
});

describe('attemptTimeout', () => {
  it('fails with DexcomTimeoutError scope attempt when no response arrives within attemptMs', async () => {
    const calls: string[] = [];
    const context = makeContext({ attempt: 2 });
    const run = attemptTimeout(resolveTimeoutOptions({ attemptMs: 300 }))(hangingNext(calls))(makeRequest(), context);
    const settled = run.catch((e: unknown) => e);

    await vi.advanceTimersByTimeAsync(300);

    const error = await settled;
    expect(error).toBeInstanceOf(DexcomTimeoutError);
    expect(error).toMatchObject({ scope: 'attempt', timeoutMs: 300, retryable: true });
    expect((error as Error).message).toBe('GET /v3/users/self/egvs attempt 2 got no response within 300 ms');
    expect(calls).toEqual(['GET 2']);
  });

  it('stops its timer once the headers arrive, so a body still being read is not cut off', async () => {
    let sent: AbortSignal | undefined;
    const next: FetchLike = async (request) => {
      sent = request.signal;
      return new Response('{}');
    };

    const response = await attemptTimeout(resolveTimeoutOptions({ attemptMs: 300 }))(next)(makeRequest(), makeContext());
    await vi.advanceTimersByTimeAsync(10_000);

    expect(sent?.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(await response.text()).toBe('{}');
  });

  it('passes requests through untouched when attemptMs is off', () => {
    const next = vi.fn<FetchLike>();
    expect(attemptTimeout(resolveTimeoutOptions({ attemptMs: false }))(next)).toBe(next);
  });
});

describe('attempt timeout, total deadline and caller abort together', () => {
  it.each([
    ['the attempt timeout fires first', { attemptMs: 1_000, totalMs: 5_000 }, 1_000, { name: 'DexcomTimeoutError', scope: 'attempt' }],
    ['the total deadline fires first', { attemptMs: 5_000, totalMs: 5_000 }, 5_000, { name: 'DexcomTimeoutError', scope: 'total' }],
  ])('reports which limit ran out when %s', async (_, timeouts, elapse, expected) => {
    const run = stack(timeouts, hangingNext())(makeRequest(), makeContext());
    const settled = run.catch((e: unknown) => e);

    await vi.advanceTimersByTimeAsync(elapse);

    expect(await settled).toMatchObject(expected);
  });

  it('reports a caller abort as DexcomAbortError even while both timers run', async () => {
    const caller = new AbortController();
    const run = stack({ attemptMs: 1_000, totalMs: 5_000 }, hangingNext())(makeRequest({ signal: caller.signal }), makeContext());
    const settled = run.catch((e: unknown) => e);

    await vi.advanceTimersByTimeAsync(500);
    caller.abort();

    expect(await settled).toBeInstanceOf(DexcomAbortError);
  });

  it('retries attempt timeouts but never sleeps past the total deadline', async () => {
    const calls: string[] = [];
    const timeouts = resolveTimeoutOptions({ attemptMs: 1_000, totalMs: 3_000 });
    const retryOptions = resolveRetryOptions({ jitter: false, maxAttempts: 5 });
    if (!retryOptions) throw new Error('unreachable');
    const fetchLike = compose([totalDeadline(timeouts), retry(retryOptions), attemptTimeout(timeouts)])(hangingNext(calls));
    const settled = fetchLike(makeRequest(), makeContext()).catch((e: unknown) => e);

    // attempt 1 times out at 1000, sleeps 500, attempt 2 times out at 2500; a 1000 ms backoff
    // would end past the deadline at 3000, so retry gives up with the last error.
    await vi.advanceTimersByTimeAsync(2_500);

    expect(await settled).toMatchObject({ name: 'DexcomTimeoutError', scope: 'attempt' });
    expect(calls).toEqual(['GET 1', 'GET 2']);
  });
});

describe('resolveTimeoutOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveTimeoutOptions(undefined)).toEqual({ attemptMs: 30_000, totalMs: 120_000 });
  });

  it('shortens the default attempt limit to a shorter totalMs', () => {
    expect(resolveTimeoutOptions({ totalMs: 10_000 })).toEqual({ attemptMs: 10_000, totalMs: 10_000 });
  });

  it('turns each limit, or both, off with false', () => {
    expect(resolveTimeoutOptions({ attemptMs: false })).toEqual({ attemptMs: null, totalMs: 120_000 });
    expect(resolveTimeoutOptions(false)).toEqual({ attemptMs: null, totalMs: null });
  });

  it.each([
    [{ attemptMs: 0 }, 'timeout.attemptMs must be an integer from 1 to 2147483647 (got 0), e.g. { attemptMs: 30_000, totalMs: 120_000 }'],
    [{ totalMs: 3_000_000_000 }, 'timeout.totalMs must be an integer from 1 to 2147483647'],
    [{ attemptMs: '5s' as unknown as number }, 'timeout.attemptMs must be an integer from 1 to 2147483647 (got "5s")'],
    [{ attemptMs: 60_000, totalMs: 10_000 }, 'timeout.attemptMs (60000) must not exceed timeout.totalMs (10000)'],
  ])('rejects %j with a message showing a correct example', (input, message) => {
    expect(() => resolveTimeoutOptions(input)).toThrow(DexcomConfigurationError);
    expect(() => resolveTimeoutOptions(input)).toThrow(message);
  });
});
