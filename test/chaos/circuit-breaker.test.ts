import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DexcomCircuitOpenError, DexcomServerError, type DexcomApiClient, type PipelineEventMap } from '../../src/index.js';
import { chaosClient, faults, outcomesOf, useFaultProxy } from '../support/fault-proxy.js';

const THRESHOLD = 5;
const HALF_OPEN_AFTER_MS = 500;

const chaos = useFaultProxy();

/** One attempt per call (so wire requests = calls that passed the breaker) and no limiter in the way. */
function breakerClient(): { dexcom: DexcomApiClient; log: Array<keyof PipelineEventMap>; breaks: Array<PipelineEventMap['break']> } {
  const dexcom = chaosClient(chaos.proxy, {
    retry: { maxAttempts: 1 },
    rateLimit: false,
    circuitBreaker: { threshold: THRESHOLD, halfOpenAfterMs: HALF_OPEN_AFTER_MS },
  });
  const log: Array<keyof PipelineEventMap> = [];
  const breaks: Array<PipelineEventMap['break']> = [];
  dexcom.events.on('break', (e) => {
    log.push('break');
    breaks.push(e);
  });
  dexcom.events.on('half-open', () => log.push('half-open'));
  dexcom.events.on('reset', () => log.push('reset'));
  return { dexcom, log, breaks };
}

const settle = <T>(calls: Array<Promise<T>>): Promise<Array<T | unknown>> => Promise.all(calls.map((c) => c.catch((e: unknown) => e)));
const times = <T>(n: number, make: () => Promise<T>): Array<Promise<T>> => Array.from({ length: n }, make);

/**
 * The breaker under concurrency, against an upstream that always answers 503.
 *
 * How many requests reach the wire depends on when calls pass the breaker, not on how many there
 * are: a call is checked once, when it enters, and a failure is counted when its answer returns.
 * Calls issued one after another see the breaker open after exactly `threshold` failures. Calls
 * issued together all pass the closed breaker before the first answer can return (the check runs
 * in the same tick, an answer needs I/O), so all of them reach the wire, and the breaker opens
 * once, on the `threshold`-th failure. The chaos.proxy holds every answer until all 50 requests arrived,
 * so that second count is exact by construction, not by scheduling luck.
 */
describe('chaos: circuit breaker under concurrency', () => {
  it('calls issued one after another: exactly threshold requests, then every call fails fast', async () => {
    chaos.proxy.setDefault(faults.status(503));
    const { dexcom, log } = breakerClient();

    const results: unknown[] = [];
    for (let i = 0; i < 50; i += 1) results.push(await dexcom.getDevices().catch((e: unknown) => e));

    expect(chaos.proxy.count()).toBe(THRESHOLD);
    expect(results.slice(0, THRESHOLD).every((r) => r instanceof DexcomServerError)).toBe(true);
    expect(results.slice(THRESHOLD).every((r) => r instanceof DexcomCircuitOpenError)).toBe(true);
    expect(log).toEqual(['break']);
  });

  it('50 concurrent calls open it exactly once; then it fails fast, lets exactly one probe through, and resets', async () => {
    chaos.proxy.setDefault(faults.hold(chaos.proxy.waitForRequests(50), faults.status(503)));
    const { dexcom, log, breaks } = breakerClient();

    // Wave 1: fifty calls together, all past the closed breaker, all answered 503.
    const wave1 = await settle(times(50, () => dexcom.getDevices()));
    expect(chaos.proxy.count()).toBe(50);
    expect(wave1.every((r) => r instanceof DexcomServerError && r.status === 503)).toBe(true);
    expect(outcomesOf((wave1[0] as DexcomServerError).attempts)).toEqual([503]);
    expect(log).toEqual(['break']);
    const [opened] = breaks;
    expect(opened).toMatchObject({ reason: 'status-503' });
    expect(await dexcom.stats()).toMatchObject({ circuitBreaker: { state: 'open', retryAt: new Date(opened!.retryAt) } });

    // Wave 2: while open, fifty more calls fail fast with retryAt and send nothing.
    const wave2 = await settle(times(50, () => dexcom.getDevices()));
    expect(chaos.proxy.count()).toBe(50);
    for (const error of wave2) {
      expect(error).toBeInstanceOf(DexcomCircuitOpenError);
      expect(error).toMatchObject({ code: 'circuit_open', retryable: true, attempts: [], retryAt: new Date(opened!.retryAt) });
    }

    // Half-open: of twenty calls together, exactly one probe reaches the chaos.proxy, which holds it.
    await delay(Math.max(0, opened!.retryAt - Date.now()) + 10);
    let release!: () => void;
    chaos.proxy.setDefault(faults.hold(new Promise<void>((resolve) => (release = resolve))));
    const wave3 = settle(times(20, () => dexcom.getDevices()));
    await chaos.proxy.waitForRequests(51);
    expect(await dexcom.stats()).toMatchObject({ circuitBreaker: { state: 'half-open' } });
    expect(log).toEqual(['break', 'half-open']);
    release();
    const probed = await wave3;

    expect(chaos.proxy.count()).toBe(51);
    expect(probed.filter((r) => Array.isArray(r))).toEqual([chaos.expected]);
    const rejected = probed.filter((r) => r instanceof DexcomCircuitOpenError);
    expect(rejected).toHaveLength(19);
    for (const error of rejected) expect((error as DexcomCircuitOpenError).retryAt).toBeInstanceOf(Date);
    expect(log).toEqual(['break', 'half-open', 'reset']);
    expect((await dexcom.stats()).circuitBreaker).toEqual({ state: 'closed' });

    // Closed again: calls flow.
    chaos.proxy.setDefault(faults.pass());
    const wave4 = await Promise.all(times(10, () => dexcom.getDevices()));
    expect(wave4).toEqual(Array(10).fill(chaos.expected));
    expect(chaos.proxy.count()).toBe(61);
    expect(log).toEqual(['break', 'half-open', 'reset']);
  });

  it('a probe the caller aborts proves nothing: the circuit opens again instead of closing', async () => {
    chaos.proxy.setDefault(faults.status(503));
    const { dexcom, log, breaks } = breakerClient();
    for (let i = 0; i < THRESHOLD; i += 1) await dexcom.getDevices().catch(() => undefined);
    await delay(Math.max(0, breaks[0]!.retryAt - Date.now()) + 10);

    chaos.proxy.setDefault(faults.slow(5_000));
    const controller = new AbortController();
    const probe = dexcom.getDevices({ signal: controller.signal }).catch((e: unknown) => e);
    await chaos.proxy.waitForRequests(THRESHOLD + 1);
    controller.abort();

    expect(await probe).toMatchObject({ code: 'aborted' });
    expect(log).toEqual(['break', 'half-open', 'break']);
    expect(breaks[1]).toMatchObject({ reason: 'probe-abandoned' });
    const next = await dexcom.getDevices().catch((e: unknown) => e);
    expect(next).toBeInstanceOf(DexcomCircuitOpenError);
    expect(next).toMatchObject({ retryAt: new Date(breaks[1]!.retryAt) });
    expect(chaos.proxy.count()).toBe(THRESHOLD + 1);
  });
});

describe('chaos: circuit breaker behind a rate-limiter queue', () => {
  it('requests still queued when the circuit opens are not sent, and a half-open circuit lets only its probe out', async () => {
    chaos.proxy.setDefault(faults.status(503));
    // A burst of 5, then one token every 100 ms: 25 of the 30 calls wait in the queue.
    const dexcom = chaosClient(chaos.proxy, {
      retry: { maxAttempts: 1 },
      rateLimit: { capacity: THRESHOLD, refillPerInterval: 1, intervalMs: 100 },
      circuitBreaker: { threshold: THRESHOLD, halfOpenAfterMs: HALF_OPEN_AFTER_MS },
    });
    const breaks: unknown[] = [];
    dexcom.events.on('break', (e) => breaks.push(e));

    const results = await settle(times(30, () => dexcom.getDevices()));
    // The five that got a token opened the circuit; the queued ones came out to a closed gate.
    expect(chaos.proxy.count()).toBe(THRESHOLD);
    expect(results.filter((r) => r instanceof DexcomServerError)).toHaveLength(THRESHOLD);
    expect(results.filter((r) => r instanceof DexcomCircuitOpenError)).toHaveLength(30 - THRESHOLD);
    expect(breaks).toHaveLength(1);

    // Half-open: the probe is the only request out, even with calls queued behind it.
    await delay(HALF_OPEN_AFTER_MS + 50);
    chaos.proxy.setDefault(faults.pass());
    const probeWave = await settle(times(10, () => dexcom.getDevices()));
    expect(chaos.proxy.count()).toBe(THRESHOLD + 1);
    expect(probeWave.filter((r) => Array.isArray(r))).toHaveLength(1);
    expect(probeWave.filter((r) => r instanceof DexcomCircuitOpenError)).toHaveLength(9);
    expect(await dexcom.stats()).toMatchObject({ circuitBreaker: { state: 'closed' } });
  });
});
