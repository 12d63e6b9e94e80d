import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { isDexcomError } from '../../src/index.js';
import { chaosClient, faults, sendTagged, startFaultProxy, type FaultProxy, type WireRequest } from '../support/fault-proxy.js';

/** 5 tokens at once, then 5 per 500 ms (one every 100 ms). */
const RATE = { capacity: 5, refillPerInterval: 5, intervalMs: 500 };
const PER_MS = RATE.refillPerInterval / RATE.intervalMs;

/**
 * Arrival times come from the proxy, so they are grant times plus loopback latency, and that
 * latency differs between requests (a new connection, a busy event loop). Each window is widened by
 * this much so the check is about the limiter, not the network: 50 ms is half a token at this
 * rate, so one token too many in any window still shows.
 */
const LATENCY_JITTER_MS = 50;

/**
 * Sliding-window check over every pair of arrivals: how far the number of arrivals in
 * `[t_i, t_j]` exceeds `capacity + rate * (t_j - t_i + jitter)`, at worst. At most 0 means the
 * wire never saw more than the bucket allows.
 */
function worstWindowExcess(arrivals: readonly number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let worst = -Infinity;
  for (let i = 0; i < sorted.length; i += 1) {
    for (let j = i; j < sorted.length; j += 1) {
      const allowed = RATE.capacity + PER_MS * (sorted[j]! - sorted[i]! + LATENCY_JITTER_MS);
      // Rounded to a millionth of a token, so float noise never turns "exactly at the limit" into excess.
      worst = Math.max(worst, Math.round((j - i + 1 - allowed) * 1e6) / 1e6);
    }
  }
  return worst;
}

let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy({ upstream: inject('prismUrl') });
  // Warm-up: load undici and leave one idle keep-alive connection per token of the burst, so the
  // first requests are not held back by connection setup while later grants go straight out.
  const warm = chaosClient(proxy);
  await Promise.all(Array.from({ length: RATE.capacity }, () => warm.getDevices()));
});
beforeEach(() => proxy.reset());
afterAll(() => proxy.close());

/**
 * The limiter sits inside the retry layer, so every wire request takes a token, retries included:
 * a burst of calls meeting faults must still reach the wire at the bucket's pace.
 */
describe('chaos invariant: the rate limit holds on the wire under a burst with faults', () => {
  it('40 calls fired at once: no window exceeds capacity + rate x elapsed; each call <= maxAttempts, typed failures only', async () => {
    const maxAttempts = 3;
    const callCount = 40;
    // Faults among the first arrivals, so retries join the queue behind the burst.
    proxy.script(
      faults.status(503),
      faults.dropMidBody(),
      faults.tooManyRequests('0.05'),
      faults.truncatedJson(),
      faults.closeBeforeResponse(),
      faults.slow(5_000),
      faults.html(),
    );
    // The token comes from an asynchronous store, released once every call has asked for it. The
    // calls then reach the limiter (inside auth) in the same instant: otherwise building 40 requests
    // keeps the event loop busy for tens of ms after the first tokens were granted, and requests
    // granted later would reach the proxy bunched with those first ones, a client stall that no
    // limiter can see or prevent.
    let asked = 0;
    let release!: () => void;
    const everyCallAsked = new Promise<void>((resolve) => (release = resolve));
    const token = everyCallAsked.then(() => 'chaos-test-token');
    const dexcom = chaosClient(proxy, {
      accessToken: () => {
        if (++asked === callCount) release();
        return token;
      },
      rateLimit: { ...RATE, coolDownMs: 100 },
      retry: { maxAttempts, initialDelayMs: 5, maxDelayMs: 50 },
      timeout: { attemptMs: 300, totalMs: 15_000 },
      circuitBreaker: false,
    });
    const callIds = Array.from({ length: callCount }, (_, i) => `call-${i}`);

    const outcomes = await Promise.all(callIds.map((callId) => sendTagged(dexcom, 'GET', callId).catch((e: unknown) => e)));

    for (const outcome of outcomes) {
      if (outcome instanceof Error) expect(isDexcomError(outcome), String(outcome)).toBe(true);
    }
    const byCall = new Map<string, WireRequest[]>();
    for (const request of proxy.requests) byCall.set(request.callId!, [...(byCall.get(request.callId!) ?? []), request]);
    expect([...byCall.keys()].sort()).toEqual([...callIds].sort());
    callIds.forEach((callId, i) => {
      const wire = byCall.get(callId)!.length;
      expect(wire, callId).toBeLessThanOrEqual(maxAttempts);
      const outcome = outcomes[i];
      if (isDexcomError(outcome)) expect(outcome.attempts, callId).toHaveLength(wire);
    });
    // Every scripted fault was met and retried (7 retries), so retries went through the limiter too.
    expect(proxy.pending()).toBe(0);
    expect(proxy.count()).toBe(callCount + 7);

    expect(worstWindowExcess(proxy.requests.map((r) => r.arrivedAt))).toBeLessThanOrEqual(0);
    expect((await dexcom.stats()).rateLimiter?.queueDepth).toBe(0);
  });

  it('the window check has teeth: the same burst without a limiter fails it', async () => {
    const dexcom = chaosClient(proxy, { rateLimit: false });

    await Promise.all(Array.from({ length: 40 }, (_, i) => sendTagged(dexcom, 'GET', `call-${i}`)));

    expect(proxy.count()).toBe(40);
    expect(worstWindowExcess(proxy.requests.map((r) => r.arrivedAt))).toBeGreaterThan(0);
  });
});
