import { describe, expect, it } from 'vitest';
import { DexcomInvalidResponseError, DexcomNetworkError, type DexcomError } from '../../src/index.js';
import { chaosClient, faults, outcomesOf, recordOutcomes, useFaultProxy, type Fault } from '../support/fault-proxy.js';

const chaos = useFaultProxy();

interface BrokenWire {
  readonly name: string;
  readonly fault: Fault;
  readonly error: new (...args: never[]) => DexcomError;
  readonly code: string;
  /** The final error's status: the 200 whose body was unusable, or none when no answer was complete. */
  readonly status: number | undefined;
}

const cases: BrokenWire[] = [
  { name: 'connection dropped mid-response', fault: faults.dropMidBody(), error: DexcomNetworkError, code: 'network', status: undefined },
  { name: 'connection closed before any response', fault: faults.closeBeforeResponse(), error: DexcomNetworkError, code: 'network', status: undefined },
  { name: '200 with truncated JSON', fault: faults.truncatedJson(), error: DexcomInvalidResponseError, code: 'invalid_response', status: 200 },
  { name: '200 with an HTML page', fault: faults.html(), error: DexcomInvalidResponseError, code: 'invalid_response', status: 200 },
];

/**
 * Broken connections and unusable 2xx bodies through the whole pipeline. The transport reads each
 * body in full, so a break or a garbled body fails the attempt that received it and a GET is sent
 * again; the exact number of wire requests shows nothing was resent by anyone else (undici included).
 */
describe('chaos: broken connections and bodies', () => {
  it.each(cases)('$name once: a typed $code failure, retried, then the data (2 requests)', async ({ fault, error }) => {
    chaos.proxy.script(fault);
    const dexcom = chaosClient(chaos.proxy);
    const attempts = recordOutcomes(dexcom);

    await expect(dexcom.getDevices()).resolves.toEqual(chaos.expected);

    expect(attempts).toEqual([error.name, 200]);
    expect(chaos.proxy.count()).toBe(2);
  });

  it.each(cases)('$name on every attempt: $code error after exactly maxAttempts requests', async ({ fault, error, code, status }) => {
    chaos.proxy.setDefault(fault);
    const dexcom = chaosClient(chaos.proxy, { retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 50 } });

    const failure = await dexcom.getDevices().catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(error);
    expect(failure).toMatchObject({ code, status, retryable: true });
    expect(outcomesOf((failure as DexcomError).attempts)).toEqual(Array(3).fill(error.name));
    expect(chaos.proxy.count()).toBe(3);
    // Something reached the server each time, so a non-idempotent request could not be resent.
    if (failure instanceof DexcomNetworkError) expect(failure.requestSent).toBe(true);
  });
});
