import { beforeAll, describe, inject, it } from 'vitest';
import {
  DexcomInvalidResponseError,
  DexcomNetworkError,
  DexcomNotFoundError,
  DexcomRateLimitError,
  DexcomServerError,
  DexcomTimeoutError,
  type DexcomError,
  type Device,
} from '../../src/index.js';
import { chaosClient, faults, sendTagged, startFaultProxy, type Fault, type TaggedMethod } from '../support/fault-proxy.js';

let expected: Device[];

beforeAll(async () => {
  expected = await chaosClient({ url: inject('prismUrl') }).getDevices();
});

interface FaultCase {
  readonly name: string;
  readonly fault: Fault;
  readonly error: new (...args: never[]) => DexcomError;
  /** Whether the retry layer may resend a GET after this fault (never a POST whose request was sent). */
  readonly retryable: boolean;
  readonly methods: readonly TaggedMethod[];
}

const cases: FaultCase[] = [
  { name: '503', fault: faults.status(503), error: DexcomServerError, retryable: true, methods: ['GET', 'POST'] },
  { name: '500 + Retry-After', fault: faults.status(500, { headers: { 'retry-after': '0.02' } }), error: DexcomServerError, retryable: true, methods: ['GET'] },
  { name: '429 + Retry-After', fault: faults.tooManyRequests('0.02'), error: DexcomRateLimitError, retryable: true, methods: ['GET', 'POST'] },
  { name: '429 alone', fault: faults.tooManyRequests(), error: DexcomRateLimitError, retryable: true, methods: ['GET'] },
  { name: 'slow response', fault: faults.slow(5_000), error: DexcomTimeoutError, retryable: true, methods: ['GET'] },
  { name: 'drop mid-body', fault: faults.dropMidBody(), error: DexcomNetworkError, retryable: true, methods: ['GET', 'POST'] },
  { name: 'close before response', fault: faults.closeBeforeResponse(), error: DexcomNetworkError, retryable: true, methods: ['GET', 'POST'] },
  { name: 'truncated JSON', fault: faults.truncatedJson(), error: DexcomInvalidResponseError, retryable: true, methods: ['GET', 'POST'] },
  { name: 'HTML 200', fault: faults.html(), error: DexcomInvalidResponseError, retryable: true, methods: ['GET'] },
  { name: '404', fault: faults.status(404), error: DexcomNotFoundError, retryable: false, methods: ['GET'] },
];

const rows = cases.flatMap((c) =>
  c.methods.flatMap((method) => (['every attempt', 'the first attempt'] as const).map((when) => ({ ...c, method, when }))),
);

/**
 * The invariant behind every chaos scenario: one logical call never puts more than `maxAttempts`
 * requests on the wire, whatever the fault. Each row predicts the exact count (a GET is resent
 * while the fault is retryable; a POST that reached the server never is) and checks it at the
 * proxy for 1, 2 and 4 attempts. Rows are independent (a proxy and a client each), so they run
 * concurrently.
 */
describe.concurrent('chaos invariant: wire requests per call <= maxAttempts', () => {
  it.for(rows)('$method, $name on $when', async ({ method, fault, error, retryable, when }, { expect }) => {
    const proxy = await startFaultProxy({ upstream: inject('prismUrl') });
    try {
      for (const maxAttempts of [1, 2, 4]) {
        proxy.reset();
        if (when === 'every attempt') proxy.setDefault(fault);
        else proxy.script(fault);
        const dexcom = chaosClient(proxy, {
          retry: { maxAttempts, initialDelayMs: 5, maxDelayMs: 20 },
          // 1 s per attempt: long enough for a loopback round trip on a busy machine, far below the 5 s slow fault.
          timeout: { attemptMs: 1_000, totalMs: 15_000 },
        });
        const resent = method === 'GET' && retryable;
        const faulted = when === 'every attempt' ? maxAttempts : 1;
        const expectedWire = resent ? Math.min(maxAttempts, faulted + 1) : 1;
        const recovers = resent && maxAttempts > faulted;

        const outcome = await sendTagged(dexcom, method, `attempts-${maxAttempts}`).catch((e: unknown) => e);

        const label = `maxAttempts ${maxAttempts}`;
        expect(proxy.count(), label).toBe(expectedWire);
        expect(proxy.count(), label).toBeLessThanOrEqual(maxAttempts);
        if (recovers) {
          expect(outcome, label).toEqual(method === 'GET' ? expected : expect.objectContaining({ access_token: expect.any(String) }));
        } else {
          expect(outcome, label).toBeInstanceOf(error);
          expect((outcome as DexcomError).attempts, label).toHaveLength(expectedWire);
        }
      }
    } finally {
      await proxy.close();
    }
  });
});
