/**
 * Many users, one app: `forUser()` views share the client's pipeline but never each other's
 * tokens; tokens are bound to the environment that issued them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DexcomApiClient,
  type DexcomApiClientOptions,
  DexcomConfigurationError,
  DexcomEnvironmentMismatchError,
  DexcomReauthorizationRequiredError,
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

function oauthClient(tokenStore: TokenStore, extra: Partial<DexcomApiClientOptions> = {}): DexcomApiClient {
  return new DexcomApiClient({
    baseUrl: server.url,
    rateLimit: { capacity: 1_000, refillPerInterval: 1_000 },
    oauth: { clientId: server.clientId, clientSecret: server.clientSecret, tokenStore, refreshRetry: { initialDelayMs: 5, maxDelayMs: 20 } },
    ...extra,
  });
}

async function seed(store: TokenStore, userKey: string, userId: string, expiresInSeconds: number, overrides: Partial<TokenRecord> = {}): Promise<TokenRecord> {
  const record: TokenRecord = {
    ...server.issueTokens(userId, expiresInSeconds),
    environment: server.url,
    version: 1,
    reauthorizationRequired: false,
    updatedAt: Date.now() - 7_200_000,
    ...overrides,
  };
  await store.compareAndSet(userKey, undefined, record);
  return record;
}

describe('forUser()', () => {
  it("never sends user A's token for user B: interleaved concurrent calls, both refreshing", async () => {
    const store = new InMemoryTokenStore();
    const alice = await seed(store, 'alice', 'dexcom-user-a', -60);
    const bob = await seed(store, 'bob', 'dexcom-user-b', -60);
    const dexcom = oauthClient(store);
    const users = { alice: dexcom.forUser('alice'), bob: dexcom.forUser('bob') };

    const calls = Array.from({ length: 60 }, (_, i) => {
      const who = i % 3 === 0 ? 'bob' : 'alice';
      return users[who].api.getDevicesV3({ headers: { 'x-test-caller': who } }).then((r) => [who, r.data.userId] as const);
    });
    const results = await Promise.all(calls);

    const ownerOf = { alice: 'dexcom-user-a', bob: 'dexcom-user-b' } as const;
    for (const [who, userId] of results) expect(userId).toBe(ownerOf[who]);
    expect(server.dataRequests).toHaveLength(60);
    for (const request of server.dataRequests) expect(request.owner).toBe(ownerOf[request.caller as 'alice' | 'bob']);
    // One refresh per user, each with that user's own refresh token.
    expect(server.tokenRequests).toHaveLength(2);
    expect(new Set(server.tokenRequests.map((r) => r.form.refresh_token))).toEqual(new Set([alice.refreshToken, bob.refreshToken]));
    expect((await store.get('alice'))!.accessToken).not.toBe((await store.get('bob'))!.accessToken);
  });

  it('views share the parent pipeline: one rate limiter, one breaker, one event bus', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 'alice', 'dexcom-user-a', 3_600, { updatedAt: Date.now() });
    await seed(store, 'bob', 'dexcom-user-b', 3_600, { updatedAt: Date.now() });
    const dexcom = oauthClient(store, { rateLimit: { capacity: 3, refillPerInterval: 3, intervalMs: 60_000 } });
    const ends: string[] = [];
    dexcom.events.on('call-end', (event) => ends.push(event.operationId));

    await dexcom.forUser('alice').getDevices();
    await dexcom.forUser('bob').getDevices();
    await dexcom.forUser('alice').getDevices();
    expect(ends).toEqual(['getDevicesV3', 'getDevicesV3', 'getDevicesV3']);
    // The three calls emptied the one shared bucket of 3.
    expect((await dexcom.stats()).rateLimiter!.tokens).toBeLessThan(1);
    expect((await dexcom.forUser('bob').stats()).rateLimiter!.tokens).toBeLessThan(1);
    expect((await dexcom.forUser('bob').stats()).calls).toEqual((await dexcom.stats()).calls);
    expect(dexcom.forUser('bob').userKey).toBe('bob');
    expect(dexcom.userKey).toBeUndefined();
  });

  it('the token request itself goes through the shared pipeline (call-end for postToken)', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 'alice', 'dexcom-user-a', -60);
    const dexcom = oauthClient(store);
    const ends: string[] = [];
    dexcom.events.on('call-end', (event) => ends.push(`${event.operationId} ${event.status}`));
    await dexcom.forUser('alice').getDevices();
    expect(ends).toEqual(['postToken 200', 'getDevicesV3 200']);
  });

  it('a half-open circuit breaker closes again even when every token has expired meanwhile', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 'alice', 'dexcom-user-a', 3_600, { updatedAt: Date.now() });
    const dexcom = oauthClient(store, { retry: false, circuitBreaker: { threshold: 1, halfOpenAfterMs: 30 } });
    server.setDataStatus(503);
    await expect(dexcom.forUser('alice').getDevices()).rejects.toMatchObject({ code: 'server' });
    expect((await dexcom.stats()).circuitBreaker?.state).toBe('open');

    server.setDataStatus(undefined);
    const record = (await store.get('alice'))!;
    await store.compareAndSet('alice', 1, { ...record, expiresAt: Date.now() - 1, version: 2 });
    await new Promise((resolve) => setTimeout(resolve, 40));
    // The refresh runs as its own call (the probe), before the data call reaches the breaker.
    await expect(dexcom.forUser('alice').getDevices()).resolves.toEqual([]);
    expect((await dexcom.stats()).circuitBreaker?.state).toBe('closed');
  });

  it('a client with oauth and no accessToken refuses calls of its own, with an example', async () => {
    const dexcom = oauthClient(new InMemoryTokenStore());
    const error = await dexcom.getDevices().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomConfigurationError);
    expect((error as Error).message).toMatch(/dexcom\.forUser\('patient-42'\)/);
    expect(server.dataRequests).toHaveLength(0);
  });

  it('a client with both accessToken and oauth uses accessToken for its own calls and OAuth for views', async () => {
    const store = new InMemoryTokenStore();
    const record = await seed(store, 'alice', 'dexcom-user-a', 3_600, { updatedAt: Date.now() });
    const own = server.issueTokens('app-owner');
    const dexcom = oauthClient(store, { accessToken: own.accessToken });
    await dexcom.getDevices();
    await dexcom.forUser('alice').getDevices();
    expect(server.dataRequests.map((r) => r.token)).toEqual([own.accessToken, record.accessToken]);
  });

  it('a user without stored tokens gets DexcomReauthorizationRequiredError before anything is sent', async () => {
    await expect(oauthClient(new InMemoryTokenStore()).forUser('nobody').getDevices()).rejects.toBeInstanceOf(DexcomReauthorizationRequiredError);
    expect(server.dataRequests).toHaveLength(0);
    expect(server.tokenRequests).toHaveLength(0);
  });

  it('validates the options and the user key with an example', () => {
    expect(() => new DexcomApiClient({} as never)).toThrow(/needs accessToken or oauth, e\.g\./);
    expect(() => new DexcomApiClient({ accessToken: 't' }).forUser('u')).toThrow(/forUser\(\) needs OAuth options, e\.g\./);
    expect(() => new DexcomApiClient({ accessToken: 't' }).oauth).toThrow(DexcomConfigurationError);
    expect(() => oauthClient(new InMemoryTokenStore()).forUser('')).toThrow(/userKey must be a non-empty string/);
    expect(() => new DexcomApiClient({ oauth: { clientId: 'c', clientSecret: 's' } as never })).toThrow(/oauth\.tokenStore must be a TokenStore/);
    expect(() => new DexcomApiClient({ oauth: { clientId: 'c', clientSecret: '', tokenStore: new InMemoryTokenStore() } })).toThrow(/oauth\.clientSecret must be a non-empty string/);
    expect(() => new DexcomApiClient({ oauth: { clientId: 'c', clientSecret: 's', tokenStore: new InMemoryTokenStore(), tokenPath: 'v4' as never } })).toThrow(/tokenPath/);
    expect(() =>
      new DexcomApiClient({ oauth: { clientId: 'c', clientSecret: 's', tokenStore: new InMemoryTokenStore(), refreshMarginMs: 1_000, refreshJitterMs: 5_000 } }),
    ).toThrow(/refreshJitterMs must be an integer from 0 to 1000/);
  });
});

describe('environments', () => {
  it('tokens issued by another environment throw DexcomEnvironmentMismatchError before anything is sent', async () => {
    const store = new InMemoryTokenStore();
    await seed(store, 'alice', 'dexcom-user-a', -60, { environment: 'https://api.dexcom.eu' });
    const error = await oauthClient(store).forUser('alice').getDevices().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomEnvironmentMismatchError);
    expect(error).toMatchObject({ code: 'environment_mismatch', tokenEnvironment: 'https://api.dexcom.eu', clientEnvironment: server.url });
    expect(server.tokenRequests).toHaveLength(0);
    expect(server.dataRequests).toHaveLength(0);
    expect(await oauthClient(store).oauth.status('alice')).toMatchObject({ connected: false, environment: 'https://api.dexcom.eu' });
  });

  it('a sign-in records the environment of the client that exchanged the code', async () => {
    const store = new InMemoryTokenStore();
    const dexcom = oauthClient(store);
    await dexcom.oauth.exchangeCode({ userKey: 'alice', code: server.issueCode('dexcom-user-a', 'http://127.0.0.1:1/cb'), redirectUri: 'http://127.0.0.1:1/cb' });
    expect((await store.get('alice'))!.environment).toBe(server.url);
  });

  it('still refuses plain http to a host that is not loopback', () => {
    expect(() => oauthClient(new InMemoryTokenStore(), { baseUrl: 'http://api.dexcom.com' })).toThrow(/Refusing plain http/);
  });
});
