import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DexcomApiClient,
  DexcomAuthError,
  DexcomConfigurationError,
  DexcomInvalidResponseError,
  DexcomNetworkError,
  DexcomValidationError,
  InMemoryTokenStore,
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
      // Every response repeats all four records (a server that ignores the window): each is kept
      // only from the request whose window holds its systemTime.
      return egvs([
        { recordId: 'shared', systemTime: '2024-01-15T00:00:00Z', value: n },
        ...[1, 2, 3, 4].map((i) => ({ recordId: `r${i}`, systemTime: `2024-0${5 - i}-01T00:00:00`, value: n })),
      ]);
    });
    const readings = await dexcom.getGlucoseReadings(new Date('2024-01-01Z'), new Date('2024-04-05Z'));
    expect(requests).toHaveLength(4);
    expect(readings.map((r) => [r.recordId, r.value])).toEqual([['r4', 1], ['shared', 1], ['r3', 2], ['r2', 3], ['r1', 4]]);
  });

  it.each([
    ['getGlucoseReadings', 'egv'],
    ['getCalibrations', 'calibration'],
    ['getEvents', 'event'],
    ['getAlerts', 'alert'],
  ] as const)('%s returns only [start, end) although the server sends records outside it', async (method, recordType) => {
    const { dexcom } = scripted(() =>
      new Response(
        JSON.stringify({
          recordType,
          recordVersion: '3.0',
          userId: 'u',
          records: [
            { recordId: 'spec-example-2022', systemTime: '2022-02-06T09:12:35' },
            { recordId: 'before', systemTime: '2024-04-30T23:59:59' },
            { recordId: 'inside', systemTime: '2024-05-02T00:00:00' },
            { recordId: 'at-end', systemTime: '2024-05-08T00:00:00' },
          ],
        }),
        { headers: { 'content-type': 'application/json' } },
      ),
    );
    const records: Array<{ recordId: string }> = await dexcom[method](new Date('2024-05-01Z'), new Date('2024-05-08Z'));
    expect(records.map((r) => r.recordId)).toEqual(['inside']);
  });

  it('sends the caller\'s correlation id with every window request and aborts with its signal', async () => {
    const { dexcom, requests } = scripted(() => egvs([]));
    await dexcom.getEvents(new Date('2024-01-01Z'), new Date('2024-03-01Z'), { correlationId: 'export-7' });
    expect(requests.map((r) => r.headers.get('x-correlation-id'))).toEqual(['export-7', 'export-7']);
    const aborted = AbortSignal.abort();
    await expect(dexcom.getAlerts(new Date('2024-01-01Z'), new Date('2024-03-01Z'), { signal: aborted })).rejects.toMatchObject({ code: 'aborted' });
    expect(requests).toHaveLength(2);
  });

  it('takes options only: a second argument cannot make a forUser() view', () => {
    const dexcom = new DexcomApiClient({ accessToken: 't' });
    // @ts-expect-error the public constructor has one parameter
    const forged = new DexcomApiClient({ accessToken: 't' }, { parent: dexcom, userKey: 'patient-1' });
    expect(forged.userKey).toBeUndefined();
    const oauth = new DexcomApiClient({ oauth: { clientId: 'c', clientSecret: 's', tokenStore: new InMemoryTokenStore() } });
    expect(oauth.forUser('patient-1')).toMatchObject({ userKey: 'patient-1', events: oauth.events, baseUrl: oauth.baseUrl });
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
