/**
 * When a token request may be sent again, against the local fake authorization server with its
 * rotating refresh tokens: never after it may have reached the server (a reset, a 5xx or a garbled
 * answer after the server rotated the token), only when nothing reached it (connection refused).
 * A lost answer is reported as such (`refreshAnswerLostAt`, reason `refresh_answer_lost`), and a
 * server that answers 401 to everything does not make every call rotate the tokens.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DexcomApiClient,
  type DexcomApiClientOptions,
  DexcomAuthError,
  DexcomInvalidResponseError,
  DexcomNetworkError,
  DexcomReauthorizationRequiredError,
  DexcomServerError,
  InMemoryTokenStore,
  type TokenRecord,
  type TokenStore,
} from '../../src/index.js';
import { type FakeAuthServer, startFakeAuthServer, type TokenFailure } from '../support/fake-auth-server.js';

let server: FakeAuthServer;
beforeEach(async () => {
  server = await startFakeAuthServer();
});
afterEach(async () => {
  await server.close();
});

/** How long a failed refresh is held off (`refreshRetry.maxDelayMs`): long enough never to end inside a test. */
const HOLD_OFF_MS = 10_000;

function oauthClient(tokenStore: TokenStore, extra: Partial<DexcomApiClientOptions> = {}, oauth: Partial<DexcomApiClientOptions['oauth']> = {}): DexcomApiClient {
  return new DexcomApiClient({
    baseUrl: server.url,
    rateLimit: { capacity: 1_000, refillPerInterval: 1_000 },
    oauth: {
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      tokenStore,
      refreshRetry: { initialDelayMs: 5, maxDelayMs: HOLD_OFF_MS },
      ...oauth,
    },
    ...extra,
  });
}

async function seed(store: TokenStore, expiresInSeconds: number, overrides: Partial<TokenRecord> = {}): Promise<TokenRecord> {
  const record: TokenRecord = {
    ...server.issueTokens('SandboxUser7', expiresInSeconds),
    environment: server.url,
    version: 1,
    reauthorizationRequired: false,
    updatedAt: Date.now() - 7_200_000,
    ...overrides,
  };
  expect(await store.compareAndSet('u1', undefined, record)).toBe(true);
  return record;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a refresh answer lost after the server rotated the token', () => {
  it.each<{ name: string; failure: TokenFailure; error: new (...args: never[]) => Error }>([
    { name: 'a 502', failure: { status: 502, body: '<html>Bad gateway</html>', contentType: 'text/html', afterRotation: true }, error: DexcomServerError },
    { name: 'a reset', failure: 'drop-after-rotation', error: DexcomNetworkError },
    { name: 'a truncated 200', failure: { status: 200, body: '{"access_token":"at-', afterRotation: true }, error: DexcomInvalidResponseError },
  ])('$name is not re-sent: 1 token request, the user is not marked, status() says the answer was lost', async ({ failure, error }) => {
    const store = new InMemoryTokenStore();
    const seeded = await seed(store, -60);
    server.failTokenRequests(failure);
    // Data calls retry up to 5 times: their retries must not re-send the token request either.
    const dexcom = oauthClient(store, { retry: { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 2 } });

    const failed = await dexcom.forUser('u1').getDevices().catch((e: unknown) => e);

    expect(failed).toBeInstanceOf(error);
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.refreshTokenState(seeded.refreshToken)).toBe('used');
    expect(server.dataRequests).toHaveLength(0);
    const status = await dexcom.oauth.status('u1');
    expect(status).toMatchObject({ reauthorizationRequired: false, reauthorizationReason: undefined, connected: true });
    expect(status.refreshAnswerLostAt).toBeInstanceOf(Date);
  });

  it('the next refresh (here: another process) finds out: invalid_grant then means refresh_answer_lost, on the error and in status()', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, -60);
    server.failTokenRequests({ status: 502, afterRotation: true });
    const dexcom = oauthClient(store);
    await expect(dexcom.forUser('u1').getDevices()).rejects.toBeInstanceOf(DexcomServerError);
    // Within the hold-off the same failure comes back without a token request.
    await expect(dexcom.forUser('u1').getDevices()).rejects.toBeInstanceOf(DexcomServerError);
    expect(server.tokenRequests).toHaveLength(1);

    // The note is in the store, so a process that never saw the failure reads it too.
    const next = oauthClient(store);
    const error = await next.forUser('u1').getDevices().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DexcomReauthorizationRequiredError);
    expect(error).toMatchObject({ reason: 'refresh_answer_lost', retryable: false });
    expect((error as DexcomReauthorizationRequiredError).toJSON()).toMatchObject({ reason: 'refresh_answer_lost' });
    expect(server.tokenRequests.map((r) => r.status)).toEqual([502, 400]);
    expect(await dexcom.oauth.status('u1')).toMatchObject({ reauthorizationRequired: true, reauthorizationReason: 'refresh_answer_lost' });
    // Marked users fail fast with the same reason.
    await expect(dexcom.forUser('u1').getDevices()).rejects.toMatchObject({ reason: 'refresh_answer_lost' });
    expect(server.tokenRequests).toHaveLength(2);
  });

  it('a lost answer the server never acted on: the next refresh succeeds and clears the note', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, -60);
    server.failTokenRequests({ status: 502 });
    await expect(oauthClient(store).forUser('u1').getDevices()).rejects.toBeInstanceOf(DexcomServerError);
    expect((await oauthClient(store).oauth.status('u1')).refreshAnswerLostAt).toBeInstanceOf(Date);

    const next = oauthClient(store);
    await expect(next.forUser('u1').getDevices()).resolves.toEqual([]);

    expect(server.tokenRequests.map((r) => r.status)).toEqual([502, 200]);
    const status = await next.oauth.status('u1');
    expect(status).toMatchObject({ connected: true, reauthorizationRequired: false, refreshAnswerLostAt: undefined });
  });

  it('an early refresh whose answer is lost keeps the still-valid token, and is not repeated by the next calls', async () => {
    const store = new InMemoryTokenStore();
    const seeded = await seed(store, 60);
    server.failTokenRequests({ status: 503, afterRotation: true });
    const user = oauthClient(store).forUser('u1');

    for (let i = 0; i < 5; i += 1) await expect(user.getDevices()).resolves.toEqual([]);

    expect(server.tokenRequests).toHaveLength(1);
    expect(server.dataRequests.map((r) => r.token)).toEqual(Array(5).fill(seeded.accessToken));
  });

  it('a revoked refresh token says invalid_grant', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, -60, { refreshToken: 'rt-revoked' });
    const dexcom = oauthClient(store);
    await expect(dexcom.forUser('u1').getDevices()).rejects.toMatchObject({ code: 'reauthorization_required', reason: 'invalid_grant' });
    expect(await dexcom.oauth.status('u1')).toMatchObject({ reauthorizationRequired: true, reauthorizationReason: 'invalid_grant', refreshAnswerLostAt: undefined });
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('a user without tokens: reason no_tokens, nothing sent', async () => {
    await expect(oauthClient(new InMemoryTokenStore()).forUser('nobody').getDevices()).rejects.toMatchObject({ reason: 'no_tokens' });
    expect(server.tokenRequests).toHaveLength(0);
  });
});

describe('re-sent only when nothing reached the server', () => {
  it('a refused connection is re-sent by the retry engine: 1 request reaches the server and succeeds', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, -60);
    let refused = 0;
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const request = new Request(input, init);
      if (request.method === 'POST' && refused === 0) {
        refused += 1;
        throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1'), { code: 'ECONNREFUSED' }) });
      }
      return globalThis.fetch(request);
    };
    const dexcom = oauthClient(store, { fetch });
    const retries: string[] = [];
    dexcom.events.on('retry', (event) => retries.push(`${event.operationId} ${event.reason}`));

    await expect(dexcom.forUser('u1').getDevices()).resolves.toEqual([]);

    expect(refused).toBe(1);
    expect(retries).toEqual(['postToken network']);
    expect(server.tokenRequests.map((r) => r.status)).toEqual([200]);
  });

  it('an abort while waiting for the token ends the wait with DexcomAbortError (accessToken())', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, -60);
    const release = server.holdTokenResponses();
    const controller = new AbortController();
    const dexcom = oauthClient(store);
    const waiting = dexcom.oauth.accessToken('u1', { signal: controller.signal });
    while (server.tokenRequests.length < 1) await pause(2);
    controller.abort('gave up');
    await expect(waiting).rejects.toMatchObject({ code: 'aborted', operationId: 'postToken', cause: 'gave up' });
    release();
  });
});

describe('a server that answers 401 to everything', () => {
  it('10 calls make 1 token request: a 401 right after a refresh does not refresh again', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 3_600, { updatedAt: Date.now() });
    server.setDataStatus(401);
    const user = oauthClient(store).forUser('u1');

    for (let i = 0; i < 10; i += 1) await expect(user.getDevices()).rejects.toBeInstanceOf(DexcomAuthError);

    expect(server.tokenRequests).toHaveLength(1);
    expect(server.dataRequests).toHaveLength(11);
  });

  it('refreshCooldownMs is configurable: 0 brings back one refresh per 401, and the cooldown ends', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 3_600, { updatedAt: Date.now() });
    server.setDataStatus(401);
    const eager = oauthClient(store, {}, { refreshCooldownMs: 0 }).forUser('u1');
    for (let i = 0; i < 3; i += 1) await expect(eager.getDevices()).rejects.toBeInstanceOf(DexcomAuthError);
    expect(server.tokenRequests).toHaveLength(3);

    // A record a refresh wrote 61 s ago is past the default cooldown: its 401 refreshes once.
    const latest = (await store.get('u1'))!;
    expect(latest.grant).toBe('refresh_token');
    await store.compareAndSet('u1', latest.version, { ...latest, version: latest.version + 1, updatedAt: Date.now() - 61_000 });
    const user = oauthClient(store).forUser('u1');
    for (let i = 0; i < 3; i += 1) await expect(user.getDevices()).rejects.toBeInstanceOf(DexcomAuthError);
    expect(server.tokenRequests).toHaveLength(4);
  });

  it('rejects a bad refreshCooldownMs with an example', () => {
    expect(() => oauthClient(new InMemoryTokenStore(), {}, { refreshCooldownMs: -1 })).toThrow(/oauth\.refreshCooldownMs.*refreshCooldownMs: 60_000/);
  });
});

describe('several clients sharing one store', () => {
  it('refresh a user once: the in-process refresh lock makes the waiter re-read the new token', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, -60);
    const clients = Array.from({ length: 4 }, () => oauthClient(store));

    await Promise.all(clients.map((client) => client.forUser('u1').getDevices()));

    expect(server.tokenRequests).toHaveLength(1);
    expect(new Set(server.dataRequests.map((r) => r.token)).size).toBe(1);
    expect((await store.get('u1'))!.version).toBe(2);
  });
});
