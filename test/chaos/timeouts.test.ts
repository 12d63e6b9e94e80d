import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DexcomAbortError, DexcomTimeoutError } from '../../src/index.js';
import { chaosClient, faults, outcomesOf, recordOutcomes, useFaultProxy } from '../support/fault-proxy.js';

/** Longer than any attempt timeout below: a held request is only ever ended by the client. */
const HUNG_MS = 5_000;

const chaos = useFaultProxy();

/** Hung responses, the two timeouts, and the caller's own AbortSignal, through the whole pipeline. */
describe('chaos: timeouts and aborts', () => {
  // 300 ms leaves a pass-through to Prism ample time even when other test files load the machine.
  const attemptMs = 300;

  it('a response slower than the attempt timeout is a retried DexcomTimeoutError (scope attempt), then success', async () => {
    chaos.proxy.script(faults.slow(HUNG_MS));
    const dexcom = chaosClient(chaos.proxy, { timeout: { attemptMs, totalMs: 5_000 } });
    const attempts = recordOutcomes(dexcom);

    await expect(dexcom.getDevices()).resolves.toEqual(chaos.expected);

    expect(attempts).toEqual(['DexcomTimeoutError', 200]);
    expect(chaos.proxy.count()).toBe(2);
    // The hung request never got an answer: the client hung up first.
    expect(chaos.proxy.requests[0]!.respondedAt).toBeUndefined();
  });

  it('every attempt too slow: DexcomTimeoutError scope attempt after exactly maxAttempts requests', async () => {
    chaos.proxy.setDefault(faults.slow(HUNG_MS));
    // Nothing here needs an answer in time, so the attempts can be shorter.
    const dexcom = chaosClient(chaos.proxy, { timeout: { attemptMs: 150, totalMs: 5_000 } });

    const error = await dexcom.getDevices().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', scope: 'attempt', timeoutMs: 150, retryable: true, status: undefined });
    expect(outcomesOf((error as DexcomTimeoutError).attempts)).toEqual(Array(3).fill('DexcomTimeoutError'));
    expect(chaos.proxy.count()).toBe(3);
  });

  it('a total deadline shorter than the retries: DexcomTimeoutError scope total, mid-way through attempt 2', async () => {
    chaos.proxy.setDefault(faults.slow(HUNG_MS));
    // Attempt 1 times out at 200 ms, attempt 2 starts 5 ms later (no jitter) and is cut by the
    // 350 ms deadline; a third attempt would need 145 ms of event-loop stall to sneak in.
    const dexcom = chaosClient(chaos.proxy, {
      timeout: { attemptMs: 200, totalMs: 350 },
      retry: { maxAttempts: 5, initialDelayMs: 5, maxDelayMs: 50, jitter: false },
    });

    const error = await dexcom.getDevices().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', scope: 'total', timeoutMs: 350, retryable: false });
    // Attempt 1 ended on its own timeout, attempt 2 on the call's deadline (recorded by the wire observer).
    expect(outcomesOf((error as DexcomTimeoutError).attempts)).toEqual(['DexcomTimeoutError', 'DexcomTimeoutError']);
    expect(chaos.proxy.count()).toBe(2);
  });

  it('a caller abort during the backoff sleep is a DexcomAbortError, and no request follows it', async () => {
    chaos.proxy.setDefault(faults.status(503));
    const dexcom = chaosClient(chaos.proxy, { retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 100, jitter: false } });
    const controller = new AbortController();
    // The retry event fires just before the sleep: aborting there lands mid-retry for sure.
    dexcom.events.on('retry', () => controller.abort(new Error('user navigated away')));

    const error = await dexcom.getDevices({ signal: controller.signal }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomAbortError);
    expect(error).toMatchObject({ code: 'aborted', retryable: false, cause: new Error('user navigated away') });
    expect(outcomesOf((error as DexcomAbortError).attempts)).toEqual([503]);
    // Twice the backoff later, the retry that was planned has still not been sent.
    await delay(200);
    expect(chaos.proxy.count()).toBe(1);
  });

  it('a caller abort while attempt 2 is on the wire is a DexcomAbortError, not a timeout, and nothing more is sent', async () => {
    chaos.proxy.script(faults.status(503));
    chaos.proxy.setDefault(faults.slow(HUNG_MS));
    const dexcom = chaosClient(chaos.proxy, { timeout: { attemptMs, totalMs: 5_000 } });
    const controller = new AbortController();

    const call = dexcom.getDevices({ signal: controller.signal }).catch((e: unknown) => e);
    await chaos.proxy.waitForRequests(2);
    controller.abort();
    const error = await call;

    expect(error).toBeInstanceOf(DexcomAbortError);
    // The wire attempt records the raw abort it died of; the call reports the typed error.
    expect(outcomesOf((error as DexcomAbortError).attempts)).toEqual([503, 'AbortError']);
    // Past the attempt timeout that would have led to a retry, had the call not been aborted.
    await delay(attemptMs + 100);
    expect(chaos.proxy.count()).toBe(2);
  });
});
