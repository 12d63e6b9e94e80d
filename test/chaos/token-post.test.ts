import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { DexcomInvalidResponseError, DexcomNetworkError, DexcomServerError, type DexcomError, type PipelineEventMap } from '../../src/index.js';
import {
  chaosClient,
  faults,
  outcomesOf,
  recordOutcomes,
  startFaultProxy,
  TOKEN_EXCHANGE,
  unusedPort,
  type Fault,
  type FaultProxy,
} from '../support/fault-proxy.js';

const TOKEN = '/v2/oauth2/token';

let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy({ upstream: inject('prismUrl') });
});
beforeEach(() => proxy.reset());
afterAll(() => proxy.close());

/**
 * The OAuth token POST is not idempotent (an authorization code is single-use): the retry layer
 * may resend it only when the connection was refused, i.e. nothing reached a server.
 */
describe('chaos: the token POST', () => {
  it('a 503 is not retried: DexcomServerError after exactly 1 request', async () => {
    proxy.setDefault(faults.status(503));
    const dexcom = chaosClient(proxy);
    const giveUps: Array<PipelineEventMap['give-up']> = [];
    dexcom.events.on('give-up', (e) => giveUps.push(e));

    const error = await dexcom.api.postToken(TOKEN_EXCHANGE).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomServerError);
    expect(error).toMatchObject({ code: 'server', status: 503, operationId: 'postToken' });
    expect(outcomesOf((error as DexcomServerError).attempts)).toEqual([503]);
    expect(giveUps).toEqual([expect.objectContaining({ attempts: 1, reason: 'not-idempotent', status: 503 })]);
    expect(proxy.count(TOKEN)).toBe(1);
  });

  it.each<{ name: string; fault: Fault; error: new (...args: never[]) => DexcomError }>([
    { name: 'connection closed before any response', fault: faults.closeBeforeResponse(), error: DexcomNetworkError },
    { name: 'connection dropped mid-response', fault: faults.dropMidBody(), error: DexcomNetworkError },
    { name: '200 with truncated JSON', fault: faults.truncatedJson(), error: DexcomInvalidResponseError },
  ])('$name after the request was sent: not retried, 1 request', async ({ fault, error }) => {
    proxy.setDefault(fault);
    const dexcom = chaosClient(proxy);

    const failure = await dexcom.api.postToken(TOKEN_EXCHANGE).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(error);
    expect(outcomesOf((failure as DexcomError).attempts)).toEqual([error.name]);
    if (failure instanceof DexcomNetworkError) expect(failure.requestSent).toBe(true);
    expect(proxy.count(TOKEN)).toBe(1);
  });

  it('a refused connection is retried up to maxAttempts, since nothing was sent', async () => {
    const dexcom = chaosClient({ url: `http://127.0.0.1:${await unusedPort()}` });
    const retries: Array<PipelineEventMap['retry']> = [];
    dexcom.events.on('retry', (e) => retries.push(e));

    const error = await dexcom.api.postToken(TOKEN_EXCHANGE).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomNetworkError);
    expect(error).toMatchObject({ code: 'network', requestSent: false, retryable: true });
    expect(outcomesOf((error as DexcomNetworkError).attempts)).toEqual(Array(3).fill('DexcomNetworkError'));
    expect(retries.map((r) => [r.attempt, r.reason])).toEqual([
      [1, 'network'],
      [2, 'network'],
    ]);
  });

  it('refused, then the server comes up during the backoff: the retried POST gets the token (1 request on the wire)', async () => {
    const port = await unusedPort();
    const dexcom = chaosClient({ url: `http://127.0.0.1:${port}` }, { retry: { maxAttempts: 3, initialDelayMs: 300, maxDelayMs: 300, jitter: false } });
    const attempts = recordOutcomes(dexcom);
    let late: Promise<FaultProxy> | undefined;
    // Starting to listen takes a millisecond or two; the 300 ms backoff leaves plenty of room.
    dexcom.events.on('attempt-end', () => void (late ??= startFaultProxy({ upstream: inject('prismUrl'), port })));

    try {
      const { data } = await dexcom.api.postToken(TOKEN_EXCHANGE);
      expect(data).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String) });
      expect(attempts).toEqual(['DexcomNetworkError', 200]);
      // Prism validated the form body of the resent request: it was rebuilt intact.
      expect((await late)!.count(TOKEN)).toBe(1);
    } finally {
      await (await late)?.close();
    }
  });
});
