import { describe, expect, it } from 'vitest';
import { DexcomServerError, type PipelineEventMap } from '../../src/index.js';
import { chaosClient, faults, outcomesOf, recordOutcomes, useFaultProxy } from '../support/fault-proxy.js';

const DEVICES = '/v3/users/self/devices';

const chaos = useFaultProxy();

/** Server errors through the whole pipeline: the retry layer resends GETs, counted at the wire. */
describe('chaos: 5xx and retries', () => {
  it.each([1, 2, 3])('%i x 503 then success: the data arrives after exactly N+1 wire requests', async (n) => {
    chaos.proxy.script(...faults.times(n, faults.status(503)));
    const dexcom = chaosClient(chaos.proxy, { retry: { maxAttempts: 4, initialDelayMs: 5, maxDelayMs: 50 } });
    const attempts = recordOutcomes(dexcom);
    const retries: Array<PipelineEventMap['retry']> = [];
    dexcom.events.on('retry', (e) => retries.push(e));

    await expect(dexcom.getDevices()).resolves.toEqual(chaos.expected);

    expect(chaos.proxy.count(DEVICES)).toBe(n + 1);
    expect(chaos.proxy.count()).toBe(n + 1);
    expect(attempts).toEqual([...Array<number>(n).fill(503), 200]);
    expect(retries.map((r) => [r.attempt, r.reason, r.status])).toEqual(Array.from({ length: n }, (_, i) => [i + 1, 'status', 503]));
  });

  it('a burst of 503s longer than maxAttempts fails with DexcomServerError after exactly maxAttempts requests', async () => {
    chaos.proxy.script(...faults.times(5, faults.status(503)));
    const dexcom = chaosClient(chaos.proxy, { retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 50 } });
    const giveUps: Array<PipelineEventMap['give-up']> = [];
    dexcom.events.on('give-up', (e) => giveUps.push(e));

    const error = await dexcom.getDevices().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomServerError);
    expect(error).toMatchObject({ code: 'server', status: 503, retryable: true, body: { error: 'status_503' } });
    expect(outcomesOf((error as DexcomServerError).attempts)).toEqual([503, 503, 503]);
    expect(chaos.proxy.count(DEVICES)).toBe(3);
    // The rest of the burst was never asked for.
    expect(chaos.proxy.pending()).toBe(2);
    expect(giveUps).toEqual([expect.objectContaining({ attempts: 3, reason: 'max-attempts', status: 503 })]);
  });

  it('a 503 with Retry-After is retried no earlier than the server asked', async () => {
    chaos.proxy.script(faults.status(503, { headers: { 'retry-after': '0.3' } }));
    const dexcom = chaosClient(chaos.proxy);
    const attempts = recordOutcomes(dexcom);

    await expect(dexcom.getDevices()).resolves.toEqual(chaos.expected);

    expect(attempts).toEqual([503, 200]);
    const [first, second] = chaos.proxy.requests;
    expect(chaos.proxy.count()).toBe(2);
    expect(second!.arrivedAt - first!.respondedAt!).toBeGreaterThanOrEqual(300);
  });
});
