/**
 * 2xx bodies of the wrong shape (`{}`, `[1,2,3]`, `null`, an empty body, a 204, `{"records":"abc"}`)
 * reach the caller as DexcomInvalidResponseError from every read, `iterate`, `sync` and every `api.*`
 * operation, checked against the spec's envelope, never as a TypeError or a wrong value.
 */
import { describe, expect, it } from 'vitest';
import { operationMetadata, responseEnvelopes } from '../../generated/dexcom-spec-metadata.gen.js';
import { type DexcomApiClient, DexcomInvalidResponseError, isDexcomError, MemoryCheckpointStore } from '../../src/index.js';
import { json, scriptedClient } from './scripted-client.ts';

const START = new Date('2024-01-01T00:00:00Z');
const END = new Date('2024-01-02T00:00:00Z');
const v3 = (recordType: string, records: unknown) => ({ recordType, recordVersion: '3.0', userId: 'u', records });
const DATA_RANGE = {
  recordType: 'dataRange',
  recordVersion: '3.0',
  userId: 'u',
  egvs: { start: { systemTime: '2024-01-01T00:00:00', displayTime: '2024-01-01T00:00:00' }, end: { systemTime: '2024-01-01T12:00:00', displayTime: '2024-01-01T12:00:00' } },
  calibrations: null,
  events: null,
};

/**
 * The wrong-shape answers of the issue, each a fresh Response, and the operations whose spec admits
 * that body all the same: v2 dataRange requires no property at all, and v3 dataRange has no
 * `records` (an unknown extra property is allowed), so a v3 envelope with broken records is a
 * valid dataRange.
 */
const WRONG_SHAPES: Array<[string, () => Response, readonly string[]]> = [
  ['{}', () => json({}), ['getDataRangeV2']],
  ['[1,2,3]', () => json([1, 2, 3]), []],
  ['null', () => json(null), []],
  ['an empty 200', () => new Response('', { status: 200, headers: { 'content-type': 'application/json' } }), []],
  ['a 204', () => new Response(null, { status: 204 }), []],
  ['{"records":"abc"}', () => json({ records: 'abc' }), ['getDataRangeV2']],
  ['a full envelope with records "abc"', () => json(v3('egv', 'abc')), ['getDataRangeV2', 'getDataRangeV3']],
  ['a full envelope with records [1,2,3]', () => json(v3('egv', [1, 2, 3])), ['getDataRangeV2', 'getDataRangeV3']],
];

/** Every read of the client, each starting a fresh call. */
const READS: Array<[string, (dexcom: DexcomApiClient) => Promise<unknown>]> = [
  ['getGlucoseReadings', (d) => d.getGlucoseReadings(START, END)],
  ['getCalibrations', (d) => d.getCalibrations(START, END)],
  ['getEvents', (d) => d.getEvents(START, END)],
  ['getAlerts', (d) => d.getAlerts(START, END)],
  ['getDevices', (d) => d.getDevices()],
  ['getDataRange', (d) => d.getDataRange()],
  ['iterate', async (d) => {
    const seen: unknown[] = [];
    for await (const record of d.iterate('egvs', { start: START, end: END })) seen.push(record);
    return seen;
  }],
];

/** What a call of each `api.*` operation needs (the scripted wire ignores it; the client needs the shape). */
const API_ARGS: Record<string, unknown> = {
  postToken: { body: { grant_type: 'refresh_token', refresh_token: 'r', client_id: 'c', client_secret: 's' } },
  postTokenV3: { body: { grant_type: 'refresh_token', refresh_token: 'r', client_id: 'c', client_secret: 's' } },
};
const windowQuery = { query: { startDate: '2024-01-01T00:00:00', endDate: '2024-01-02T00:00:00' } };

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    const value = await run();
    return { resolved: value };
  } catch (error) {
    return error;
  }
}

function expectInvalidResponse(error: unknown, operationId?: string): void {
  expect(error, `resolved ${JSON.stringify((error as { resolved?: unknown }).resolved)}`).toBeInstanceOf(DexcomInvalidResponseError);
  expect(isDexcomError(error) && error.code).toBe('invalid_response');
  expect((error as DexcomInvalidResponseError).retryable).toBe(false);
  if (operationId) expect((error as DexcomInvalidResponseError).operationId).toBe(operationId);
}

describe('wrong-shape 2xx bodies', () => {
  describe.each(WRONG_SHAPES)('%s', (_name, answer, admittedBy) => {
    const reads = READS.filter(([name]) => !(name === 'getDataRange' && admittedBy.includes('getDataRangeV3')));
    it.each(reads)('%s rejects with DexcomInvalidResponseError after one request, never a TypeError or a value', async (_read, read) => {
      const { dexcom, requests } = scriptedClient([answer]);
      expectInvalidResponse(await failure(() => read(dexcom)));
      // Not retryable: the same request would get the same body.
      expect(requests).toHaveLength(1);
    });

    it('sync rejects with it and moves no checkpoint', async () => {
      const { dexcom } = scriptedClient([(request) => (request.url.includes('/dataRange') ? json(DATA_RANGE) : answer())]);
      const checkpointStore = new MemoryCheckpointStore();
      const delivered: unknown[] = [];
      const error = await failure(() => dexcom.sync({ types: ['egvs'], start: START, checkpointStore, handler: (batch) => void delivered.push(batch), now: () => END }));
      expectInvalidResponse(error, 'getEstimatedGlucoseValuesV3');
      expect(delivered).toEqual([]);
      expect(await checkpointStore.get({ userKey: 'self', type: 'egvs' })).toBeUndefined();
    });

    it('every api.* operation with a JSON response rejects with it (unless its spec admits that body)', async () => {
      const operations = Object.keys(responseEnvelopes);
      expect(operations.length).toBe(Object.keys(operationMetadata).length - 2); // all but the two login redirects
      for (const operationId of operations) {
        const { dexcom } = scriptedClient([answer]);
        const method = (dexcom.api as unknown as Record<string, (options?: unknown) => Promise<unknown>>)[operationId]!.bind(dexcom.api);
        const outcome = await failure(() => method(API_ARGS[operationId] ?? windowQuery));
        if (admittedBy.includes(operationId)) expect((outcome as { resolved: { data: unknown } }).resolved.data).toEqual(await answer().json());
        else expectInvalidResponse(outcome, operationId);
      }
    });
  });

  it('getDevices no longer resolves undefined for {} and names the missing property, not a value', async () => {
    const { dexcom } = scriptedClient([json({ secret: 'CANARY-91c2' })]);
    const error = await failure(() => dexcom.getDevices());
    expectInvalidResponse(error, 'getDevicesV3');
    expect((error as Error).message).toBe('GET /v3/users/self/devices returned HTTP 200 with a body that does not match the spec: required property `recordType` is missing');
    expect(JSON.stringify(error)).not.toContain('CANARY-91c2');
  });

  it('a matching envelope passes with lenient records: unknown enum values, unknown fields, missing record fields', async () => {
    const devices = [{ displayDevice: 'watchOS', transmitterGeneration: 'g8', alertSchedules: [], brandNewField: 1 }];
    const { dexcom } = scriptedClient([json(v3('device', devices))]);
    expect(await dexcom.getDevices()).toEqual(devices);

    const egv = { recordId: 'r1', systemTime: '2024-01-01T01:00:00', displayTime: '2024-01-01T01:00:00', value: 5.6, trend: 'tripleUp' };
    const reads = scriptedClient([json(v3('egv', [egv]))]);
    expect(await reads.dexcom.getGlucoseReadings(START, END)).toMatchObject([{ recordId: 'r1', value: 5.6, trend: 'tripleUp' }]);
  });

  it('a call that asks for another parseAs is not checked', async () => {
    const { dexcom } = scriptedClient([json({})]);
    const { data } = await dexcom.api.getDevicesV3({ parseAs: 'text' });
    expect(data).toBe('{}');
  });
});
