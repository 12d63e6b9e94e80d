import { afterEach, describe, expect, it } from 'vitest';
import { DexcomAbortError, DexcomApiClient, DexcomValidationError, parseDexcomTimestamp, withParsedTimes } from '../../src/index.js';
import { FakeDexcomData, type FakeDexcomServer, type FakeDexcomServerOptions, startFakeDexcomServer } from '../support/fake-dexcom-server.js';

const DAY = 86_400_000;
const END = new Date('2024-06-01T00:00:00Z');
const START = new Date(END.getTime() - 400 * DAY);

const servers: FakeDexcomServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function fake(options: Partial<FakeDexcomServerOptions> = {}) {
  const server = await startFakeDexcomServer({ dataStart: START, dataEnd: END, ...options });
  servers.push(server);
  return { server, dexcom: new DexcomApiClient({ baseUrl: server.url, accessToken: 'fake-token' }) };
}

const timeOf = (record: { systemTime: string }) => parseDexcomTimestamp(record.systemTime)!;

describe('dexcom.iterate', () => {
  it('yields every EGV of a 400-day range once, in time order, in ceil(400/30) = 14 requests', async () => {
    const { server, dexcom } = await fake();
    let count = 0;
    let expected = START.getTime();
    const wrong: string[] = [];
    for await (const egv of dexcom.iterate('egvs', { start: START, end: END })) {
      // Every 5 minutes with no gap and no repeat, although the fake repeats boundary records.
      if (timeOf(egv) !== expected || egv.recordId !== FakeDexcomData.recordIdOf('egvs', expected)) wrong.push(egv.recordId);
      expected += 5 * 60_000;
      count++;
    }
    expect(wrong).toEqual([]);
    expect(count).toBe(400 * 288);
    expect(expected).toBe(END.getTime());
    expect(server.requests.map((r) => r.kind)).toEqual(Array(14).fill('egvs'));
    expect(server.requests.every((r) => r.status === 200)).toBe(true);
    expect(server.requests[0]!.query).toEqual({ startDate: '2023-04-28T00:00:00', endDate: '2023-05-28T00:00:00' });
    expect(server.requests[13]!.query).toEqual({ startDate: '2024-05-22T00:00:00', endDate: '2024-06-01T00:00:00' });
  });

  it('with concurrency 4 keeps time order and never has more than 4 requests in flight', async () => {
    // Long enough that all four requests of a wave reach the server before the first answer, also on a busy machine.
    const { server, dexcom } = await fake({ latencyMs: 150 });
    const ids: string[] = [];
    for await (const egv of dexcom.iterate('egvs', { start: START, end: END, concurrency: 4 })) ids.push(egv.recordId);
    expect(server.maxInFlight).toBe(4);
    expect(server.requests).toHaveLength(14);
    const times = ids.map((id) => Number(id.slice('egvs-'.length)));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(400 * 288);
  });

  it('keeps the bound with a slow consumer: no window is fetched more than `concurrency` ahead', async () => {
    const { server, dexcom } = await fake();
    const requestsSeenAtWindow: number[] = [];
    for await (const batch of dexcom.iterate('egvs', { start: new Date(END.getTime() - 180 * DAY), end: END, concurrency: 3 }).windows()) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      requestsSeenAtWindow.push(server.requests.length);
      expect(server.requests.length).toBeLessThanOrEqual(batch.index + 1 + 3);
    }
    expect(requestsSeenAtWindow.at(-1)).toBe(6);
  });

  it('windows() yields one batch per window with the records whose systemTime lies in it', async () => {
    const { dexcom } = await fake();
    const start = new Date('2024-05-01T00:00:00Z');
    const batches = [];
    for await (const batch of dexcom.iterate('calibrations', { start, end: END }).windows()) batches.push(batch);
    expect(batches.map((b) => [b.index, b.window.start.toISOString(), b.window.end.toISOString()])).toEqual([
      [0, '2024-05-01T00:00:00.000Z', '2024-05-31T00:00:00.000Z'],
      [1, '2024-05-31T00:00:00.000Z', '2024-06-01T00:00:00.000Z'],
    ]);
    expect(batches.map((b) => b.records.length)).toEqual([60, 2]);
    for (const batch of batches) {
      expect(batch.type).toBe('calibrations');
      for (const record of batch.records) {
        expect(timeOf(record)).toBeGreaterThanOrEqual(batch.window.start.getTime());
        expect(timeOf(record)).toBeLessThan(batch.window.end.getTime());
      }
    }
  });

  it('reads events and alerts with their mixed timestamp forms, each once', async () => {
    const { dexcom } = await fake();
    const start = new Date('2024-04-01T00:00:00Z');
    const events = [];
    for await (const event of dexcom.iterate('events', { start, end: END })) events.push(event);
    const alerts = [];
    for await (const alert of dexcom.iterate('alerts', { start, end: END })) alerts.push(alert);
    expect(events).toHaveLength(61 * 4);
    expect(events[0]!.systemTime).toMatch(/Z$/);
    expect(alerts).toHaveLength(61 * 3);
    expect(alerts[0]!.systemTime).toMatch(/\.\d{3}Z$/);
    expect(new Set(alerts.map((a) => a.recordId)).size).toBe(alerts.length);
  });

  it('is lazy and re-readable: nothing is fetched before iterating, each iteration reads again', async () => {
    const { server, dexcom } = await fake();
    const egvs = dexcom.iterate('egvs', { start: new Date('2024-05-31T00:00:00Z'), end: END });
    expect(server.requests).toHaveLength(0);
    let first = 0;
    for await (const _ of egvs) first++;
    let second = 0;
    for await (const _ of egvs) second++;
    expect([first, second]).toEqual([288, 288]);
    expect(server.requests).toHaveLength(2);
  });

  it('breaking out of the loop stops fetching', async () => {
    const { server, dexcom } = await fake({ latencyMs: 5 });
    let taken = 0;
    for await (const _ of dexcom.iterate('egvs', { start: START, end: END, concurrency: 2 })) {
      if (++taken === 10) break;
    }
    // Wait for the server to see the cancelled request end (bounded; a busy machine may take a while).
    for (let i = 0; i < 200 && server.inFlight > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.requests.length).toBeLessThanOrEqual(3);
    expect(server.inFlight).toBe(0);
  });

  it('an AbortSignal stops the read with a DexcomAbortError, also mid-request', async () => {
    const controller = new AbortController();
    const { server, dexcom } = await fake({
      onRequest: async () => {
        if (server.requests.length === 3) {
          controller.abort(new Error('shutdown'));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
    });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const egv of dexcom.iterate('egvs', { start: START, end: END, signal: controller.signal })) seen.push(egv.recordId);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomAbortError);
    expect(seen).toHaveLength(2 * 30 * 288);
    expect(server.requests).toHaveLength(3);
  });

  it('an already aborted signal fails before any request', async () => {
    const { server, dexcom } = await fake();
    const iterable = dexcom.iterate('egvs', { start: START, end: END, signal: AbortSignal.abort() });
    await expect(iterable[Symbol.asyncIterator]().next()).rejects.toThrow(DexcomAbortError);
    expect(server.requests).toHaveLength(0);
  });

  it('rejects bad input with a DexcomValidationError before any request', async () => {
    const { server, dexcom } = await fake();
    const bad: Array<() => unknown> = [
      () => dexcom.iterate('glucose' as never, { start: START, end: END }),
      () => dexcom.iterate('egvs', { start: new Date('nope'), end: END }),
      () => dexcom.iterate('egvs', { start: END, end: START }),
      () => dexcom.iterate('egvs', { start: START, end: START }),
      () => dexcom.iterate('egvs', { start: '2024-01-01' as never, end: END }),
      () => dexcom.iterate('egvs', { start: START, end: END, concurrency: 0 }),
      () => dexcom.iterate('egvs', { start: START, end: END, concurrency: 1.5 }),
      () => dexcom.iterate('egvs', { start: START, end: END, concurrency: 17 }),
      () => dexcom.iterate('egvs', { start: START, end: END, signal: 'stop' as never }),
      () => dexcom.iterate('egvs', undefined as never),
    ];
    for (const call of bad) expect(call).toThrow(DexcomValidationError);
    expect(() => dexcom.iterate('egvs', { start: START, end: END, concurrency: 0 })).toThrow(/concurrency must be an integer from 1 to 16/);
    expect(server.requests).toHaveLength(0);
  });

  it('withParsedTimes adds instants next to the raw strings without mutating the record', async () => {
    const { dexcom } = await fake();
    for await (const egv of dexcom.iterate('egvs', { start: new Date('2024-05-31T23:50:00Z'), end: END })) {
      const parsed = withParsedTimes(egv);
      expect(parsed).toMatchObject({ recordId: egv.recordId, systemTime: egv.systemTime, displayTime: egv.displayTime });
      expect(parsed.systemTimeMs).toBe(Date.parse(`${egv.systemTime}Z`));
      // displayTime carries -05:00: the same instant as systemTime.
      expect(parsed.displayTimeMs).toBe(parsed.systemTimeMs);
      expect(egv).not.toHaveProperty('systemTimeMs');
    }
    expect(withParsedTimes({ systemTime: 'garbage', displayTime: '2022-06-17T03:59:11' })).toEqual({
      systemTime: 'garbage',
      displayTime: '2022-06-17T03:59:11',
      systemTimeMs: undefined,
      displayTimeMs: Date.UTC(2022, 5, 17, 3, 59, 11),
    });
  });

  it('a window longer than the server allows would be a 400: the planner reads maxWindowDays from the spec', async () => {
    const { server, dexcom } = await fake({ maxWindowDays: 29 });
    await expect(async () => {
      for await (const _ of dexcom.iterate('egvs', { start: START, end: END })) break;
    }).rejects.toMatchObject({ status: 400 });
    expect(server.requests[0]!.status).toBe(400);
  });
});
