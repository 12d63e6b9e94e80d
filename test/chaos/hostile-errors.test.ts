import { afterEach, describe, expect, it } from 'vitest';
import {
  type DexcomAuthError,
  DexcomAuthError as AuthError,
  DexcomBadRequestError,
  DexcomInvalidResponseError,
  DexcomRedirectError,
  DexcomValidationError,
  isDexcomError,
} from '../../src/index.js';
import {
  announceHugeBody,
  echoSecrets,
  type HostileServer,
  observedClient,
  ok,
  redirectTo,
  startHostileServer,
} from '../support/hostile-server.js';

/**
 * Hostile servers on 127.0.0.1 against a real DexcomApiClient: redirects, echoed secrets, header
 * injection through a correlation id and a body too large to read. Each scenario asserts the
 * error's class and code, the exact number of wire requests, what the logs, the metrics,
 * `stats()` and `toJSON()` hold, and that canary values appear in none of them.
 */
const servers: HostileServer[] = [];
async function serve(...args: Parameters<typeof startHostileServer>): Promise<HostileServer> {
  const server = await startHostileServer(...args);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const devices = { recordType: 'device', recordVersion: '3.0', userId: 'u', records: [] };

describe('hostile: redirects are failures, never followed', () => {
  it.each([301, 302, 307, 308] as const)('a %i from getDevices is a DexcomRedirectError; the other host gets nothing', async (status) => {
    const target = await serve(ok(devices));
    const server = await serve(redirectTo(`${target.url}/steal/path-canary?access_token=query-canary-123`, status));
    const { dexcom, lines, requestCounts, outputs } = observedClient(server.url, { accessToken: 'token-canary-redirect' });

    const error = await dexcom.getDevices().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomRedirectError);
    expect(error).toMatchObject({ code: 'redirect', status, retryable: false, locationHost: target.host });
    expect(server.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);
    expect((error as DexcomRedirectError).toJSON()).toMatchObject({ code: 'redirect', status, locationHost: target.host, retryable: false });

    const call = lines.find((line) => line.msg === 'dexcom call failed');
    expect(call).toMatchObject({ outcome: 'redirect', status, err: { name: 'DexcomRedirectError', code: 'redirect' } });
    expect(lines.some((line) => line.msg === 'dexcom call succeeded')).toBe(false);
    expect(await requestCounts()).toEqual([
      { labels: expect.objectContaining({ outcome: 'redirect', status_class: '3xx', operation: 'getDevicesV3' }), value: 1 },
    ]);
    expect((await dexcom.stats()).calls).toMatchObject({ calls: 1, failed: 1, attempts: 1 });

    const text = await outputs(error);
    for (const canary of ['path-canary', 'query-canary-123', 'token-canary-redirect', '/steal']) expect(text).not.toContain(canary);
  });

  it('a 307 to the token POST does not carry the form to the other host', async () => {
    const target = await serve(ok({ access_token: 'a', refresh_token: 'r', expires_in: 7200, token_type: 'Bearer' }));
    const server = await serve(redirectTo(`${target.url}/token`, 307));
    const { dexcom, outputs } = observedClient(server.url);

    const error = await dexcom.api
      .postToken({ body: { grant_type: 'authorization_code', code: 'code-canary-307', redirect_uri: 'http://127.0.0.1:8787/cb', client_id: 'client-id-x', client_secret: 'secret-canary-307' } })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomRedirectError);
    expect(error).toMatchObject({ code: 'redirect', status: 307, locationHost: target.host });
    expect(server.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);
    const text = await outputs(error);
    for (const canary of ['code-canary-307', 'secret-canary-307']) expect(text).not.toContain(canary);
  });
});

describe('hostile: a server that echoes what it was sent', () => {
  it.each([
    ['an opaque token', 'Tok3n-Canary.eyJhbGciOiJIUzI1NiJ9'],
    // Short and lower case, it looks like an error code: only the scrub of sent values stops it.
    ['a code-shaped token', 'tokencanary_42'],
  ])('a 401 echoing %s in error, code and message: typed, and the token appears nowhere', async (_name, token) => {
    const server = await serve(echoSecrets(401));
    const { dexcom, lines, requestCounts, outputs } = observedClient(server.url, { accessToken: token });

    const error = await dexcom.getDevices().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401, retryable: false });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${token}`);
    // The raw body stays readable for whoever asks for it explicitly.
    expect(JSON.stringify((error as DexcomAuthError).body)).toContain(token);
    expect(Object.keys(error as object)).not.toContain('body');

    expect(lines.find((line) => line.msg === 'dexcom call failed')).toMatchObject({ outcome: 'unauthorized', status: 401 });
    expect(await requestCounts()).toEqual([{ labels: expect.objectContaining({ outcome: 'unauthorized', status_class: '4xx' }), value: 1 }]);
    expect((await dexcom.stats()).calls).toMatchObject({ calls: 1, failed: 1, attempts: 1 });
    expect(await outputs(error)).not.toContain(token);
  });

  it('a token POST whose 400 echoes the client secret, the code and every other form field', async () => {
    const server = await serve(echoSecrets(400));
    const { dexcom, lines, outputs } = observedClient(server.url);
    const form = {
      grant_type: 'authorization_code' as const,
      code: 'authcode_canary',
      redirect_uri: 'http://127.0.0.1:8787/callback-canary',
      client_id: 'clientid_canary',
      client_secret: 'Secret-Canary-9f8e7d',
    };

    const error = await dexcom.api.postToken({ body: form }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomBadRequestError);
    expect(error).toMatchObject({ code: 'bad_request', status: 400, retryable: false });
    // A POST that reached the server is never sent again.
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.body).toContain('Secret-Canary-9f8e7d');
    expect(lines.find((line) => line.msg === 'dexcom call failed')).toMatchObject({ outcome: 'bad_request' });
    const text = await outputs(error);
    for (const canary of ['authcode_canary', 'callback-canary', 'clientid_canary', 'Secret-Canary-9f8e7d']) expect(text).not.toContain(canary);
  });
});

describe('hostile: a server that echoes query values', () => {
  it('a 400 to the login GET echoing client_id, state and redirect_uri: none of them appears in any output', async () => {
    const server = await serve(echoSecrets(400));
    const { dexcom, outputs } = observedClient(server.url);
    const query = {
      client_id: 'clientid_q_canary',
      redirect_uri: 'http://127.0.0.1:8787/q-canary-callback',
      response_type: 'code' as const,
      scope: 'offline_access' as const,
      state: 'state_q_canary',
    };

    const error = await dexcom.api.getLogin({ query }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomBadRequestError);
    expect(error).toMatchObject({ code: 'bad_request', status: 400 });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.url).toContain('state_q_canary');
    const text = await outputs(error);
    for (const canary of ['clientid_q_canary', 'q-canary-callback', 'state_q_canary']) expect(text).not.toContain(canary);
  });
});

describe('hostile: header injection through a correlation id', () => {
  it.each(['job\r\nx-injected: 1', 'job\nx-injected: 1', 'job\u0000', 'caf\u00e9', ''])(
    'correlationId %j is a DexcomValidationError and nothing is sent',
    async (correlationId) => {
      const server = await serve(ok(devices));
      const { dexcom, lines, requestCounts, outputs } = observedClient(server.url);

      const reads = [
        await dexcom.getDevices({ correlationId }).catch((e: unknown) => e),
        await dexcom.getGlucoseReadings(new Date('2024-01-01Z'), new Date('2024-01-02Z'), { correlationId }).catch((e: unknown) => e),
      ];

      for (const error of reads) {
        expect(error).toBeInstanceOf(DexcomValidationError);
        expect(isDexcomError(error) && error.code).toBe('validation');
        expect((error as DexcomValidationError).attempts).toEqual([]);
      }
      expect(server.requests).toHaveLength(0);
      expect(lines.filter((line) => String(line.msg).startsWith('dexcom call'))).toEqual([]);
      expect(await requestCounts()).toEqual([]);
      expect((await dexcom.stats()).calls).toMatchObject({ calls: 0, attempts: 0 });
      if (correlationId !== '') expect(await outputs(reads[0])).not.toContain('x-injected');
    },
  );
});

describe('hostile: a body too large to read', () => {
  it('a 200 announcing 600 MB is invalid_response, not network, and is not retried', async () => {
    const server = await serve(announceHugeBody(600 * 1024 * 1024));
    const { dexcom, lines, requestCounts } = observedClient(server.url);

    const error = await dexcom.getDevices().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomInvalidResponseError);
    expect(error).toMatchObject({ code: 'invalid_response', status: 200, retryable: false });
    expect(server.requests).toHaveLength(1);
    expect(lines.find((line) => line.msg === 'dexcom call failed')).toMatchObject({ outcome: 'invalid_response', attempts: 1 });
    expect(lines.some((line) => line.msg === 'dexcom retry scheduled')).toBe(false);
    expect(await requestCounts()).toEqual([{ labels: expect.objectContaining({ outcome: 'invalid_response', status_class: '2xx' }), value: 1 }]);
    expect((await dexcom.stats()).calls).toMatchObject({ calls: 1, failed: 1, attempts: 1, retries: 0 });
  });
});
