import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DexcomApiClient,
  DexcomAuthError,
  DexcomConfigurationError,
  DexcomInvalidResponseError,
  DexcomNetworkError,
  DexcomValidationError,
  VERSION,
} from '../../src/index.js';

const egvs = (records: object[]) =>
  new Response(JSON.stringify({ recordType: 'egv', recordVersion: '3.0', userId: 'u', records }), { headers: { 'content-type': 'application/json' } });

/** A client whose wire is a scripted function: each request is recorded and answered by `answer`. */
function scripted(answer: (request: Request) => Response | Promise<Response>, accessToken: string | (() => string) = 'token-1') {
  const requests: Request[] = [];
  const dexcom = new DexcomApiClient({
    baseUrl: 'http://127.0.0.1:9/base',
    accessToken,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      requests.push(request);
      return answer(request);
    },
  });
  return { dexcom, requests };
}

describe('DexcomApiClient', () => {
  it('keeps VERSION in step with package.json', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });

  it('validates options at construction with an example in the message', () => {
    expect(() => new DexcomApiClient(undefined as never)).toThrow(/new DexcomApiClient\(\{ environment: 'sandbox'/);
    expect(() => new DexcomApiClient({ accessToken: 42 as never })).toThrow(DexcomConfigurationError);
    expect(() => new DexcomApiClient({ accessToken: 't', baseUrl: 'http://api.dexcom.com' })).toThrow(/Refusing plain http/);
    expect(new DexcomApiClient({ accessToken: 't' })).toMatchObject({ environment: 'sandbox', baseUrl: 'https://sandbox-api.dexcom.com' });
    expect(new DexcomApiClient({ accessToken: 't', environment: 'jp' }).baseUrl).toBe('https://api.dexcom.jp');
  });

  it('sends the exact Dexcom date format, the bearer token and a user agent, under the base path', async () => {
    let calls = 0;
    const { dexcom, requests } = scripted(() => egvs([]), () => `token-${++calls}`);
    await dexcom.getGlucoseReadings(new Date('2024-01-01T10:00:00.123+02:00'), new Date('2024-01-02T08:00:00Z'));
    expect(requests).toHaveLength(1);
    const url = new URL(requests[0]!.url);
    expect(url.pathname).toBe('/base/v3/users/self/egvs');
    expect(url.search).toBe('?startDate=2024-01-01T08%3A00%3A00&endDate=2024-01-02T08%3A00%3A00');
    expect(requests[0]!.headers.get('authorization')).toBe('Bearer token-1');
    expect(requests[0]!.headers.get('user-agent')).toBe(`dexcom-api-client/${VERSION}`);
  });

  it('rejects bad input before any request', async () => {
    const { dexcom, requests } = scripted(() => egvs([]));
    await expect(dexcom.getGlucoseReadings(new Date('2024-02-01Z'), new Date('2024-01-01Z'))).rejects.toThrow(DexcomValidationError);
    await expect(dexcom.getEvents(new Date('bad'), new Date())).rejects.toThrow(DexcomValidationError);
    await expect(dexcom.getDataRange({ lastSyncTime: new Date('bad') })).rejects.toThrow(DexcomValidationError);
    expect(requests).toHaveLength(0);
  });

  it('merges windows: every recordId once, sorted by systemTime, across a 95-day range (4 requests)', async () => {
    let n = 0;
    const { dexcom, requests } = scripted(() => {
      n++;
      return egvs([
        { recordId: 'shared', systemTime: '2024-01-15T00:00:00Z', value: n },
        { recordId: `r${n}`, systemTime: `2024-0${5 - n}-01T00:00:00` },
      ]);
    });
    const readings = await dexcom.getGlucoseReadings(new Date('2024-01-01Z'), new Date('2024-04-05Z'));
    expect(requests).toHaveLength(4);
    expect(readings.map((r) => r.recordId)).toEqual(['r4', 'shared', 'r3', 'r2', 'r1']);
    expect(readings.find((r) => r.recordId === 'shared')!.value).toBe(4); // the latest copy wins
  });

  it('sends no token to the OAuth operations', async () => {
    const { dexcom, requests } = scripted(
      () => new Response('{"access_token":"a","refresh_token":"r","expires_in":7200,"token_type":"Bearer"}', { headers: { 'content-type': 'application/json' } }),
    );
    await dexcom.api.postToken({ body: { grant_type: 'refresh_token', refresh_token: 'r0', client_id: 'c', client_secret: 's' } });
    expect(requests[0]!.headers.get('authorization')).toBeNull();
    expect(requests[0]!.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
  });

  it('maps a 401 to DexcomAuthError carrying the attempts and the raw body', async () => {
    const { dexcom } = scripted(() => new Response('{"error":"unauthorized"}', { status: 401, headers: { 'content-type': 'application/json' } }));
    const error = (await dexcom.getDevices().catch((e: unknown) => e)) as DexcomAuthError;
    expect(error).toBeInstanceOf(DexcomAuthError);
    expect(error).toMatchObject({ status: 401, body: { error: 'unauthorized' }, operationId: 'getDevicesV3' });
    expect(error.attempts).toEqual([expect.objectContaining({ attempt: 1, status: 401 })]);
    expect(error.invocationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('maps a failed connection to DexcomNetworkError and a broken 200 body to DexcomInvalidResponseError', async () => {
    const down = scripted(() => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })));
    await expect(down.dexcom.getDevices()).rejects.toThrow(DexcomNetworkError);
    const broken = scripted(() => new Response('{"records":[', { headers: { 'content-type': 'application/json' } }));
    await expect(broken.dexcom.getDevices()).rejects.toThrow(DexcomInvalidResponseError);
  });

  it('emits attempt and call-end events with bounded labels', async () => {
    const { dexcom } = scripted(() => egvs([]));
    const seen: string[] = [];
    dexcom.events.on('attempt', (e) => seen.push(`attempt ${e.operationId} ${e.pathTemplate} #${e.attempt}`));
    dexcom.events.on('call-end', (e) => seen.push(`call-end ${e.operationId} ${e.status} attempts=${e.attempts}`));
    await dexcom.getDevices();
    await dexcom.httpClient.get({ url: '/v3/users/self/something-new' }).catch(() => undefined);
    expect(seen).toEqual([
      'attempt getDevicesV3 /v3/users/self/devices #1',
      'call-end getDevicesV3 200 attempts=1',
      'attempt unknown unknown #1',
      'call-end unknown 200 attempts=1',
    ]);
  });
});
