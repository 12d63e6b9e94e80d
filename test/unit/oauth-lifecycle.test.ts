/**
 * The OAuth token lifecycle end to end against the local fake authorization server: code exchange,
 * single-flight refresh ahead of expiry, 401 handling, retries of the token request, rotation and
 * `invalid_grant`, persist-then-use when the store fails.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DexcomApiClient,
  type DexcomApiClientOptions,
  DexcomAuthError,
  DexcomNetworkError,
  DexcomReauthorizationRequiredError,
  DexcomServerError,
  DexcomTokenStoreError,
  InMemoryTokenStore,
  type TokenRecord,
  type TokenStore,
} from '../../src/index.js';
import { type FakeAuthServer, startFakeAuthServer } from '../support/fake-auth-server.js';

let server: FakeAuthServer;
beforeEach(async () => {
  server = await startFakeAuthServer();
});
afterEach(async () => {
  await server.close();
});

/** A client of the fake server with OAuth, fast refresh retries and a limiter that never queues in tests. */
function oauthClient(tokenStore: TokenStore, extra: Partial<DexcomApiClientOptions> = {}, oauth: Partial<DexcomApiClientOptions['oauth']> = {}): DexcomApiClient {
  return new DexcomApiClient({
    baseUrl: server.url,
    rateLimit: { capacity: 1_000, refillPerInterval: 1_000 },
    oauth: {
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      redirectUri: 'http://127.0.0.1:8787/callback',
      tokenStore,
      refreshRetry: { initialDelayMs: 5, maxDelayMs: 20 },
      ...oauth,
    },
    ...extra,
  });
}

/** Saves tokens the fake server issued to `userId` as version 1 of `userKey`. */
async function seed(store: TokenStore, userKey: string, userId: string, expiresInSeconds: number, overrides: Partial<TokenRecord> = {}): Promise<TokenRecord> {
  const tokens = server.issueTokens(userId, expiresInSeconds);
  const record: TokenRecord = {
    ...tokens,
    environment: server.url,
    version: 1,
    reauthorizationRequired: false,
    updatedAt: Date.now() - 7_200_000,
    ...overrides,
  };
  expect(await store.compareAndSet(userKey, undefined, record)).toBe(true);
  return record;
}

describe('code exchange', () => {
  it('posts the form body with the client secret in it (not in a header) and saves the tokens', async () => {
    const store = new InMemoryTokenStore();
    const dexcom = oauthClient(store);
    const before = Date.now();
    const code = server.issueCode('SandboxUser7', 'http://127.0.0.1:8787/callback');
    const status = await dexcom.oauth.exchangeCode({ userKey: 'u1', code });

    expect(server.tokenRequests).toHaveLength(1);
    const [request] = server.tokenRequests;
    expect(request).toMatchObject({ path: '/v2/oauth2/token', grantType: 'authorization_code', status: 200 });
    expect(request!.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(request!.form).toEqual({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:8787/callback',
      client_id: server.clientId,
      client_secret: server.clientSecret,
    });

    const record = (await store.get('u1'))!;
    expect(record).toMatchObject({ version: 1, environment: server.url, reauthorizationRequired: false });
    expect(record.expiresAt).toBeGreaterThanOrEqual(before + 7_200_000);
    expect(record.expiresAt).toBeLessThanOrEqual(Date.now() + 7_200_000);
    expect(status).toMatchObject({ connected: true, reauthorizationRequired: false, version: 1, environment: server.url });
    expect(JSON.stringify(status)).not.toContain(record.accessToken);

    const devices = await dexcom.forUser('u1').api.getDevicesV3();
    expect(devices.data.userId).toBe('SandboxUser7');
  });

  it('a code used twice gives DexcomReauthorizationRequiredError', async () => {
    const dexcom = oauthClient(new InMemoryTokenStore());
    const code = server.issueCode('SandboxUser7', 'http://127.0.0.1:8787/callback');
    await dexcom.oauth.exchangeCode({ userKey: 'u1', code });
    await expect(dexcom.oauth.exchangeCode({ userKey: 'u1', code })).rejects.toBeInstanceOf(DexcomReauthorizationRequiredError);
  });

  it("uses /v3/oauth2/token with tokenPath 'v3'", async () => {
    const store = new InMemoryTokenStore();
    const dexcom = oauthClient(store, {}, { tokenPath: 'v3' });
    await dexcom.oauth.exchangeCode({ userKey: 'u1', code: server.issueCode('SandboxUser7', 'http://127.0.0.1:8787/callback') });
    await store.compareAndSet('u1', 1, { ...(await store.get('u1'))!, expiresAt: Date.now() - 1, version: 2 });
    await dexcom.forUser('u1').getDevices();
    expect(server.tokenRequests.map((r) => `${r.path} ${r.grantType}`)).toEqual(['/v3/oauth2/token authorization_code', '/v3/oauth2/token refresh_token']);
  });
});

describe('refresh ahead of expiry, single-flight', () => {
  it('100 concurrent calls with an expired token: exactly one token request, all 100 succeed with the new token', async () => {
    const store = new InMemoryTokenStore();
    const old = await seed(store, 'u1', 'SandboxUser7', -60);
    const user = oauthClient(store).forUser('u1');

    const results = await Promise.all(Array.from({ length: 100 }, () => user.api.getDevicesV3()));

    expect(results.every((r) => r.data.userId === 'SandboxUser7')).toBe(true);
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.tokenRequests[0]).toMatchObject({ grantType: 'refresh_token', status: 200 });
    expect(server.tokenRequests[0]!.form.refresh_token).toBe(old.refreshToken);
    const current = (await store.get('u1'))!;
    expect(current.version).toBe(2);
    expect(server.dataRequests).toHaveLength(100);
    expect(new Set(server.dataRequests.map((r) => r.token))).toEqual(new Set([current.accessToken]));
    expect(server.refreshTokenState(old.refreshToken)).toBe('used');
    expect(server.refreshTokenState(current.refreshToken)).toBe('active');
  });

  it('refreshes a token that expires within the margin before sending it, and never sends the old one', async () => {
    const store = new InMemoryTokenStore();
    const old = await seed(store, 'u1', 'SandboxUser7', 60); // valid for 60 s, margin 5 min
    await oauthClient(store).forUser('u1').getDevices();
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.dataRequests.map((r) => r.token)).toEqual([(await store.get('u1'))!.accessToken]);
    expect(server.dataRequests.some((r) => r.token === old.accessToken)).toBe(false);
  });

  it('does not refresh a token outside the margin', async () => {
    const store = new InMemoryTokenStore();
    const record = await seed(store, 'u1', 'SandboxUser7', 3_600, { updatedAt: Date.now() });
    await oauthClient(store).forUser('u1').getDevices();
    expect(server.tokenRequests).toHaveLength(0);
    expect(server.dataRequests.map((r) => r.token)).toEqual([record.accessToken]);
  });

  it('when an early refresh fails with 5xx, the still-valid token is used and the call succeeds', async () => {
    const store = new InMemoryTokenStore();
    const record = await seed(store, 'u1', 'SandboxUser7', 60);
    server.failTokenRequests({ status: 503 }, { status: 503 }, { status: 503 });
    const devices = await oauthClient(store).forUser('u1').api.getDevicesV3();
    expect(devices.data.userId).toBe('SandboxUser7');
    // The 503 may have come after the server acted: not re-sent, and noted on the record.
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.dataRequests.map((r) => r.token)).toEqual([record.accessToken]);
    expect((await store.get('u1'))!).toMatchObject({ version: 2, accessToken: record.accessToken, refreshToken: record.refreshToken, refreshAnswerLostAt: expect.any(Number) });
  });
});

describe('401 on a data call', () => {
  it('refreshes once and sends once more', async () => {
    const store = new InMemoryTokenStore();
    // Valid by the clock, but the server does not know the token (revoked).
    await seed(store, 'u1', 'SandboxUser7', 3_600, { accessToken: 'at-revoked', updatedAt: Date.now() });
    const devices = await oauthClient(store).forUser('u1').api.getDevicesV3();
    expect(devices.data.userId).toBe('SandboxUser7');
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.dataRequests.map((r) => r.status)).toEqual([401, 200]);
    expect(server.dataRequests[1]!.token).toBe((await store.get('u1'))!.accessToken);
  });

  it('a second 401 fails with DexcomAuthError: one refresh, two sends, no loop', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 'u1', 'SandboxUser7', 3_600, { updatedAt: Date.now() });
    server.setDataStatus(401);
    const error = await oauthClient(store).forUser('u1').getDevices().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomAuthError);
    expect(error).toMatchObject({ status: 401, operationId: 'getDevicesV3' });
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.dataRequests).toHaveLength(2);
  });

  it('merges concurrent 401s into one refresh', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 'u1', 'SandboxUser7', 3_600, { accessToken: 'at-revoked', updatedAt: Date.now() });
    const user = oauthClient(store).forUser('u1');
    await Promise.all(Array.from({ length: 20 }, () => user.getDevices()));
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.dataRequests.filter((r) => r.status === 401)).toHaveLength(20);
    expect(server.dataRequests.filter((r) => r.status === 200)).toHaveLength(20);
  });

  it('checks the store first: a newer stored token is used without a token request', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 'u1', 'SandboxUser7', 3_600, { accessToken: 'at-revoked', updatedAt: Date.now() });
    const source = oauthClient(store).oauth.tokenSource('u1');
    const rejected = await source.token();
    // Another process refreshed meanwhile and saved version 2.
    const fresh = server.issueTokens('SandboxUser7');
    await store.compareAndSet('u1', 1, { ...(await store.get('u1'))!, ...fresh, version: 2, updatedAt: Date.now() });
    expect(await source.renew!(rejected)).toEqual({ value: fresh.accessToken, version: 2 });
    expect(server.tokenRequests).toHaveLength(0);
  });

  it('a plain accessToken is never renewed: the 401 is final', async () => {
    const dexcom = new DexcomApiClient({ baseUrl: server.url, accessToken: 'at-unknown' });
    await expect(dexcom.getDevices()).rejects.toBeInstanceOf(DexcomAuthError);
    expect(server.dataRequests).toHaveLength(1);
    expect(server.tokenRequests).toHaveLength(0);
  });
});

describe('failures of the token request', () => {
  it('a 5xx or a dropped connection is not re-sent (the server may have rotated the token): 1 token request', async () => {
    for (const failure of [{ status: 502, body: '<html>Bad gateway</html>', contentType: 'text/html' }, 'drop'] as const) {
      const store = new InMemoryTokenStore();
      await seed(store, 'u1', 'SandboxUser7', -60);
      server.tokenRequests.length = 0;
      server.failTokenRequests(failure);
      const error = await oauthClient(store, { retry: false }).forUser('u1').getDevices().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(failure === 'drop' ? DexcomNetworkError : DexcomServerError);
      expect(server.tokenRequests).toHaveLength(1);
      expect((await store.get('u1'))!).toMatchObject({ version: 2, reauthorizationRequired: false, refreshAnswerLostAt: expect.any(Number) });
    }
  });

  it('the pipeline never sends the token POST again once it may have reached the server', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 'u1', 'SandboxUser7', -60);
    server.failTokenRequests('drop');
    const dexcom = oauthClient(store, { retry: { maxAttempts: 5, initialDelayMs: 1 } }, { refreshRetry: { maxAttempts: 5, maxDelayMs: 10_000 } });
    const error = await dexcom.forUser('u1').getDevices().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomNetworkError);
    expect(error).toMatchObject({ requestSent: true });
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('invalid_grant is not retried', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 'u1', 'SandboxUser7', -60, { refreshToken: 'rt-unknown' });
    await expect(oauthClient(store).forUser('u1').getDevices()).rejects.toBeInstanceOf(DexcomReauthorizationRequiredError);
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('invalid_client becomes a DexcomAuthError that points at the credentials', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 'u1', 'SandboxUser7', -60);
    const error = await oauthClient(store, {}, { clientSecret: 'wrong-secret-value' }).forUser('u1').getDevices().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomAuthError);
    expect((error as Error).message).toMatch(/invalid_client.*oauth\.clientSecret/);
    expect(server.tokenRequests).toHaveLength(1);
  });
});

describe('rotation and invalid_grant', () => {
  it.each(['rfc', 'text', 'bare-401'] as const)('a reused refresh token gives DexcomReauthorizationRequiredError (%s error body)', async (errorStyle) => {
    await server.close();
    server = await startFakeAuthServer({ errorStyle });
    // Two processes with their own stores hold the same refresh token: the second use is a reuse.
    const storeA = new InMemoryTokenStore();
    const storeB = new InMemoryTokenStore();
    const shared = await seed(storeA, 'u1', 'SandboxUser7', -60);
    await storeB.compareAndSet('u1', undefined, shared);

    await oauthClient(storeA).forUser('u1').getDevices();
    const b = oauthClient(storeB);
    const error = await b.forUser('u1').getDevices().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomReauthorizationRequiredError);
    expect(error).toMatchObject({ code: 'reauthorization_required', retryable: false });

    // The user is marked: later calls fail fast, without a token request.
    expect(await b.oauth.status('u1')).toMatchObject({ connected: false, reauthorizationRequired: true });
    const requests = server.tokenRequests.length;
    await expect(b.forUser('u1').getDevices()).rejects.toBeInstanceOf(DexcomReauthorizationRequiredError);
    expect(server.tokenRequests).toHaveLength(requests);

    // A new sign-in clears the mark.
    await b.oauth.exchangeCode({ userKey: 'u1', code: server.issueCode('SandboxUser7', 'http://127.0.0.1:8787/callback') });
    await expect(b.forUser('u1').getDevices()).resolves.toEqual([]);
  });

  it('two processes racing on one store without a refresh lock, and one rotating token, lose no session', async () => {
    const shared = new InMemoryTokenStore();
    // Only get and compareAndSet: the race the compare-and-set alone must survive.
    const store: TokenStore = { get: (key) => shared.get(key), compareAndSet: (key, expected, next) => shared.compareAndSet(key, expected, next) };
    await seed(store, 'u1', 'SandboxUser7', -60);
    const release = server.holdTokenResponses();
    const a = oauthClient(store).forUser('u1').getDevices();
    const b = oauthClient(store).forUser('u1').getDevices();
    while (server.tokenRequests.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    const outcomes = await Promise.allSettled([a, b]);

    expect(server.tokenRequests.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
    // Whatever the interleaving, the store ends with the live refresh token and the user works.
    const record = (await store.get('u1'))!;
    expect(record.reauthorizationRequired).toBe(false);
    expect(server.refreshTokenState(record.refreshToken)).toBe('active');
    await expect(oauthClient(store).forUser('u1').getDevices()).resolves.toEqual([]);
  });
});

describe('persist before use', () => {
  /** A store whose next `compareAndSet` calls throw, as a database outage would. */
  function flakyStore(): TokenStore & { failNextWrites: (n: number) => void } {
    const inner = new InMemoryTokenStore();
    let failures = 0;
    return {
      get: (userKey) => inner.get(userKey),
      compareAndSet: async (userKey, expected, next) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('database unavailable');
        }
        return inner.compareAndSet(userKey, expected, next);
      },
      failNextWrites: (n) => {
        failures = n;
      },
    };
  }

  it('a refresh that cannot be saved fails with DexcomTokenStoreError, keeps the old record, never uses the unsaved token, and saves it on the next call', async () => {
    const store = flakyStore();
    const old = await seed(store, 'u1', 'SandboxUser7', -60);
    const user = oauthClient(store).forUser('u1');

    store.failNextWrites(1);
    const error = await user.getDevices().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomTokenStoreError);
    expect(error).toMatchObject({ code: 'token_store', retryable: true });
    expect(await store.get('u1')).toEqual(old); // the store still holds the old record
    expect(server.refreshTokenState(old.refreshToken)).toBe('used'); // the server rotated it
    expect(server.dataRequests).toHaveLength(0); // the new access token was not used unsaved

    // The store is back: the tokens held in memory are saved first, then used; no new token request.
    await expect(user.api.getDevicesV3()).resolves.toMatchObject({ data: { userId: 'SandboxUser7' } });
    expect(server.tokenRequests).toHaveLength(1);
    const saved = (await store.get('u1'))!;
    expect(saved.version).toBe(2);
    expect(server.refreshTokenState(saved.refreshToken)).toBe('active');
    expect(server.dataRequests.map((r) => r.token)).toEqual([saved.accessToken]);
  });

  it('while the store stays down, calls keep failing with DexcomTokenStoreError and no token is used', async () => {
    const store = flakyStore();
    await seed(store, 'u1', 'SandboxUser7', -60);
    const user = oauthClient(store).forUser('u1');
    store.failNextWrites(3);
    for (let i = 0; i < 3; i++) await expect(user.getDevices()).rejects.toBeInstanceOf(DexcomTokenStoreError);
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.dataRequests).toHaveLength(0);
    await expect(user.getDevices()).resolves.toEqual([]);
  });

  it('a store that fails to read surfaces as DexcomTokenStoreError', async () => {
    const store: TokenStore = { get: async () => Promise.reject(new Error('timeout')), compareAndSet: async () => false };
    await expect(oauthClient(store).forUser('u1').getDevices()).rejects.toBeInstanceOf(DexcomTokenStoreError);
    expect(server.dataRequests).toHaveLength(0);
  });
});

describe('aborts', () => {
  it("a caller that aborts while a shared refresh runs gets DexcomAbortError; the others still succeed", async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 'u1', 'SandboxUser7', -60);
    const user = oauthClient(store).forUser('u1');
    const release = server.holdTokenResponses();
    const controller = new AbortController();
    const aborted = user.getDevices({ signal: controller.signal });
    const others = Promise.all([user.getDevices(), user.getDevices()]);
    while (server.tokenRequests.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'aborted' });
    release();
    await expect(others).resolves.toHaveLength(2);
    expect(server.tokenRequests).toHaveLength(1);
  });
});
