/**
 * The transport parses a 2xx JSON body once (to validate it) and the client hands that value to
 * the generated code: one JSON.parse per call, the same data, and a body still readable by anyone
 * who clones the response.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PipelineEvents } from '../../src/core/events.js';
import { ParsedJsonResponse } from '../../plugins/parsed-json-response.js';
import { fetchTransport } from '../../plugins/transport.js';
import { DexcomApiClient } from '../../src/index.js';

const BODY = JSON.stringify({ recordType: 'device', recordVersion: '3.0', userId: 'u', records: [] });

function client(): DexcomApiClient {
  return new DexcomApiClient({
    baseUrl: 'http://127.0.0.1:9',
    accessToken: 'token-1',
    fetch: async () => new Response(BODY, { status: 200, headers: { 'content-type': 'application/json' } }),
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parsed-body handoff', () => {
  it('the transport returns a ParsedJsonResponse whose body can still be read, cloned and parsed', async () => {
    const send = fetchTransport({ fetch: async () => new Response(BODY, { headers: { 'content-type': 'application/json' } }) });
    const context = { invocationId: 'c', operationId: 'getDevicesV3', method: 'GET', pathTemplate: '/v3/users/self/devices', attempt: 1, attempts: [], startedAt: 0, events: new PipelineEvents() };
    const response = await send(new Request('http://127.0.0.1:9/v3/users/self/devices'), context);

    expect(response).toBeInstanceOf(ParsedJsonResponse);
    expect((response as ParsedJsonResponse).parsedBody).toEqual(JSON.parse(BODY));
    expect(await response.clone().text()).toBe(BODY);
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual(JSON.parse(BODY));
    expect(response.bodyUsed).toBe(true);
  });

  it('parses each body once and returns the same data as before', async () => {
    const dexcom = client();
    const parse = vi.spyOn(JSON, 'parse');

    const { data, response } = await dexcom.api.getDevicesV3();
    const parsesOfTheBody = parse.mock.calls.filter(([text]) => text === BODY).length;

    expect(parsesOfTheBody).toBe(1);
    expect(data).toEqual(JSON.parse(BODY));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
  });

  it('lets an interceptor added later read the body through clone()', async () => {
    const dexcom = client();
    const seen: string[] = [];
    dexcom.httpClient.interceptors.response.use(async (response) => {
      seen.push(await response.clone().text());
      return response;
    });

    const { data } = await dexcom.api.getDevicesV3();

    expect(seen).toEqual([BODY]);
    expect(data).toEqual(JSON.parse(BODY));
  });

  it('steps aside when a call asks for another parseAs', async () => {
    const { data } = await client().api.getDevicesV3({ parseAs: 'text' });
    expect(data).toBe(BODY);
  });
});
