import { describe, expect, it } from 'vitest';
import { RETRY_AFTER_MARGIN_MS } from '../../plugins/retry.js';
import { DexcomAbortError, DexcomRateLimitError, type Device, type PipelineEventMap } from '../../src/index.js';
import { chaosClient, faults, outcomesOf, recordOutcomes, useFaultProxy } from '../support/fault-proxy.js';

const chaos = useFaultProxy();

/** The next whole second at least `minMs` from now, as an IMF-fixdate (HTTP-dates have no milliseconds). */
function httpDateAtLeast(minMs: number): string {
  return new Date(Math.ceil((Date.now() + minMs) / 1_000) * 1_000).toUTCString();
}

/**
 * 429s through the whole pipeline: the retry layer waits as long as the server asks, the rate
 * limiter pauses its whole bucket, and a wait the call cannot afford fails at once. Lower bounds
 * come from the chaos.proxy's own clock: a response left the chaos.proxy before the client could read it.
 */
describe('chaos: 429 and Retry-After', () => {
  it('Retry-After in seconds: one retry, sent no earlier than 1 s after the 429 left the chaos.proxy', async () => {
    chaos.proxy.script(faults.tooManyRequests('1'));
    const dexcom = chaosClient(chaos.proxy);
    const attempts = recordOutcomes(dexcom);
    const retries: Array<PipelineEventMap['retry']> = [];
    dexcom.events.on('retry', (e) => retries.push(e));

    await expect(dexcom.getDevices()).resolves.toEqual(chaos.expected);

    expect(chaos.proxy.count()).toBe(2);
    expect(attempts).toEqual([429, 200]);
    expect(retries).toEqual([expect.objectContaining({ attempt: 1, reason: 'status', status: 429, delayMs: 1_000 + RETRY_AFTER_MARGIN_MS })]);
    const [first, second] = chaos.proxy.requests;
    expect(second!.arrivedAt - first!.respondedAt!).toBeGreaterThanOrEqual(1_000);
  });

  it('Retry-After as an HTTP-date: the retry arrives no earlier than that date', async () => {
    const retryAfter = httpDateAtLeast(100);
    chaos.proxy.script(faults.tooManyRequests(retryAfter));
    const dexcom = chaosClient(chaos.proxy);
    const attempts = recordOutcomes(dexcom);

    await expect(dexcom.getDevices()).resolves.toEqual(chaos.expected);

    expect(chaos.proxy.count()).toBe(2);
    expect(attempts).toEqual([429, 200]);
    expect(chaos.proxy.requests[1]!.arrivedAt).toBeGreaterThanOrEqual(Date.parse(retryAfter));
  });

  it('no Retry-After: backoff, and the cool-down pauses the whole bucket, so even a new call waits', async () => {
    const coolDownMs = 300;
    chaos.proxy.script(faults.tooManyRequests());
    const dexcom = chaosClient(chaos.proxy, { rateLimit: { capacity: 10, refillPerInterval: 10, intervalMs: 100, coolDownMs } });
    const retries: Array<PipelineEventMap['retry']> = [];
    dexcom.events.on('retry', (e) => retries.push(e));
    const throttled: Array<PipelineEventMap['throttled']> = [];
    let second: Promise<Device[]> | undefined;
    let pausedUntil: Promise<number | undefined> | undefined;
    dexcom.events.on('throttled', (e) => {
      throttled.push(e);
      if (second) return;
      // Fired while the bucket is paused: this call never saw the 429 but must wait all the same.
      second = dexcom.getDevices();
      pausedUntil = dexcom.stats().then((s) => s.rateLimiter?.pausedUntil);
    });

    await expect(dexcom.getDevices()).resolves.toEqual(chaos.expected);
    await expect(second).resolves.toEqual(chaos.expected);

    expect(chaos.proxy.count()).toBe(3);
    // No Retry-After, so the retry layer fell back to its own backoff (5 to 50 ms) ...
    expect(retries).toEqual([expect.objectContaining({ status: 429, delayMs: expect.any(Number) })]);
    expect(retries[0]!.delayMs).toBeLessThanOrEqual(50);
    // ... and the limiter's cool-down is what held both the retry and the new call back.
    expect(throttled[0]).toMatchObject({ reason: 'cool-down', waitMs: coolDownMs });
    const rejectedAt = chaos.proxy.requests[0]!.respondedAt!;
    expect(await pausedUntil).toBeGreaterThanOrEqual(rejectedAt + coolDownMs);
    for (const later of chaos.proxy.requests.slice(1)) expect(later.arrivedAt - rejectedAt).toBeGreaterThanOrEqual(coolDownMs);
  });

  it.each([
    { why: 'beyond the total deadline', retryAfter: '5', options: { timeout: { attemptMs: 1_000, totalMs: 2_000 } }, reason: 'retry-after-exceeds-deadline' },
    { why: 'beyond retry.maxRetryAfterMs', retryAfter: '1', options: { retry: { maxRetryAfterMs: 500 } }, reason: 'retry-after-too-long' },
  ])('Retry-After $why: DexcomRateLimitError with retryAt at once, after 1 request', async ({ retryAfter, options, reason }) => {
    chaos.proxy.script(faults.tooManyRequests(retryAfter));
    const dexcom = chaosClient(chaos.proxy, options);
    const giveUps: Array<PipelineEventMap['give-up']> = [];
    dexcom.events.on('give-up', (e) => giveUps.push(e));

    const error = await dexcom.getDevices().catch((e: unknown) => e);
    const failedAt = Date.now();

    expect(error).toBeInstanceOf(DexcomRateLimitError);
    const limited = error as DexcomRateLimitError;
    const waitMs = Number(retryAfter) * 1_000;
    expect(limited).toMatchObject({ code: 'rate_limited', status: 429, retryable: true, retryAfterMs: waitMs });
    // retryAt is counted from when the client read the 429: after it left the chaos.proxy, before the call failed.
    expect(limited.retryAt!.getTime()).toBeGreaterThanOrEqual(chaos.proxy.requests[0]!.respondedAt! + waitMs);
    expect(limited.retryAt!.getTime()).toBeLessThanOrEqual(failedAt + waitMs);
    // Nothing was slept: the only attempt has no delay after it.
    expect(outcomesOf(limited.attempts)).toEqual([429]);
    expect(limited.attempts[0]!.delayMs).toBeUndefined();
    expect(giveUps).toEqual([expect.objectContaining({ attempts: 1, reason, status: 429 })]);
    expect(chaos.proxy.count()).toBe(1);
  });

  it('stats() shows the queue of calls waiting for a token; aborting them empties it without a request', async () => {
    // Two tokens and one more a minute: three of five calls must wait, and nothing refills meanwhile.
    const dexcom = chaosClient(chaos.proxy, { rateLimit: { capacity: 2, refillPerInterval: 1, intervalMs: 60_000 } });
    const queued: Array<PipelineEventMap['queued']> = [];
    const allQueued = new Promise<void>((resolve) =>
      dexcom.events.on('queued', (e) => {
        queued.push(e);
        if (queued.length === 3) resolve();
      }),
    );
    let ended = 0;
    const twoServed = new Promise<void>((resolve) =>
      dexcom.events.on('call-end', () => {
        if (++ended === 2) resolve();
      }),
    );
    const controller = new AbortController();
    const calls = Array.from({ length: 5 }, () => dexcom.getDevices({ signal: controller.signal }).catch((e: unknown) => e));

    await allQueued;
    await twoServed;
    const waiting = await dexcom.stats();
    expect(waiting.rateLimiter).toMatchObject({ queueDepth: 3, pausedUntil: undefined });
    expect(waiting.rateLimiter!.tokens).toBeLessThan(1);
    expect(waiting.circuitBreaker).toEqual({ state: 'closed' });

    controller.abort();
    const results = await Promise.all(calls);

    expect(results.filter((r) => r instanceof DexcomAbortError)).toHaveLength(3);
    expect(results.filter((r) => Array.isArray(r))).toHaveLength(2);
    expect((await dexcom.stats()).rateLimiter?.queueDepth).toBe(0);
    expect(chaos.proxy.count()).toBe(2);
  });
});
