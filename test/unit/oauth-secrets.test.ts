/**
 * No secret in any error this OAuth code produces: refresh and access tokens, the client secret,
 * authorization codes and states never appear in a message, in `toJSON()`, or anywhere
 * `util.inspect` reaches (body, cause chain, stack), even when the server echoes them back.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DexcomApiClient,
  type DexcomApiClientOptions,
  DexcomAuthError,
  DexcomEnvironmentMismatchError,
  DexcomInvalidResponseError,
  DexcomNetworkError,
  DexcomReauthorizationRequiredError,
  DexcomServerError,
  DexcomTokenStoreError,
  InMemoryTokenStore,
  isDexcomError,
  type TokenRecord,
  type TokenStore,
} from '../../src/index.js';
import { type FakeAuthServer, startFakeAuthServer } from '../support/fake-auth-server.js';

let server: FakeAuthServer;
beforeAll(async () => {
  server = await startFakeAuthServer({ clientSecret: 'client-secret-4f9a2c7e' });
});
afterAll(async () => {
  await server.close();
});

const REDIRECT = 'http://127.0.0.1:8787/callback';
const WRONG_SECRET = 'wrong-secret-b81d0e3a';
const errors: unknown[] = [];
const states: string[] = [];

function oauthClient(tokenStore: TokenStore, oauth: Partial<DexcomApiClientOptions['oauth']> = {}, extra: Partial<DexcomApiClientOptions> = {}): DexcomApiClient {
  return new DexcomApiClient({
    baseUrl: server.url,
    retry: false,
    oauth: { clientId: server.clientId, clientSecret: server.clientSecret, redirectUri: REDIRECT, tokenStore, refreshRetry: { maxAttempts: 1 }, ...oauth },
    ...extra,
  });
}

async function seeded(expiresInSeconds = -60, overrides: Partial<TokenRecord> = {}): Promise<InMemoryTokenStore> {
  const store = new InMemoryTokenStore();
  await store.compareAndSet('u1', undefined, {
    ...server.issueTokens('SandboxUser7', expiresInSeconds),
    environment: server.url,
    version: 1,
    reauthorizationRequired: false,
    updatedAt: Date.now() - 7_200_000,
    ...overrides,
  });
  return store;
}

/** Runs `work`, expects it to fail with `type`, and keeps the error for the final sweep. */
async function failure(work: () => Promise<unknown>, type: new (...args: never[]) => Error): Promise<void> {
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  errors.push(error);
}

describe('errors carry no secrets', () => {
  it('a reused refresh token (invalid_grant), then the fast failure of a marked user', async () => {
    const store = await seeded();
    const record = (await store.get('u1'))!;
    await oauthClient(await seededWith(record)).forUser('u1').getDevices(); // uses the refresh token first
    const dexcom = oauthClient(store);
    await failure(() => dexcom.forUser('u1').getDevices(), DexcomReauthorizationRequiredError);
    await failure(() => dexcom.forUser('u1').getDevices(), DexcomReauthorizationRequiredError);
  });

  it('invalid_client with a wrong client secret', async () => {
    await failure(async () => oauthClient(await seeded(), { clientSecret: WRONG_SECRET }).forUser('u1').getDevices(), DexcomAuthError);
  });

  it('a 5xx and a 400 whose bodies echo the secrets that were sent', async () => {
    const store = await seeded();
    const record = (await store.get('u1'))!;
    server.failTokenRequests({
      status: 500,
      body: JSON.stringify({ error: 'server_error', detail: `client_secret=${server.clientSecret}&refresh_token=${record.refreshToken}` }),
    });
    await failure(() => oauthClient(store).forUser('u1').getDevices(), DexcomServerError);

    const code = server.issueCode('SandboxUser7', REDIRECT);
    server.failTokenRequests({ status: 400, contentType: 'text/plain', body: `invalid_request: code ${code} with secret ${server.clientSecret}` });
    await failure(() => oauthClient(new InMemoryTokenStore()).oauth.exchangeCode({ userKey: 'u2', code }), Error);
  });

  it('a dropped connection and a 2xx without a refresh token (the body holds a live access token)', async () => {
    server.failTokenRequests('drop');
    await failure(async () => oauthClient(await seeded()).forUser('u1').getDevices(), DexcomNetworkError);

    const code = server.issueCode('SandboxUser7', REDIRECT);
    const live = server.issueTokens('SandboxUser7');
    server.failTokenRequests({ status: 200, body: JSON.stringify({ access_token: live.accessToken, expires_in: 7200 }) });
    await failure(() => oauthClient(new InMemoryTokenStore()).oauth.exchangeCode({ userKey: 'u3', code }), DexcomInvalidResponseError);
  });

  it('a failing store, an environment mismatch, a used code and a second 401', async () => {
    const inner = await seeded();
    const failing: TokenStore = { get: (key) => inner.get(key), compareAndSet: async () => Promise.reject(new Error('disk full')) };
    await failure(() => oauthClient(failing).forUser('u1').getDevices(), DexcomTokenStoreError);

    await failure(async () => oauthClient(await seeded(-60, { environment: 'https://api.dexcom.com' })).forUser('u1').getDevices(), DexcomEnvironmentMismatchError);

    const dexcom = oauthClient(new InMemoryTokenStore());
    const { state } = dexcom.oauth.authorizationUrl();
    states.push(state);
    const code = server.issueCode('SandboxUser7', REDIRECT);
    await dexcom.oauth.exchangeCode({ userKey: 'u4', code });
    await failure(() => dexcom.oauth.exchangeCode({ userKey: 'u4', code }), DexcomReauthorizationRequiredError);

    server.setDataStatus(401);
    await failure(() => dexcom.forUser('u4').getDevices(), DexcomAuthError);
    server.setDataStatus(undefined);
  });

  it('none of the collected errors mentions a token, code, state or client secret', () => {
    const secrets = [...server.issuedSecrets(), server.clientSecret, WRONG_SECRET, ...states];
    expect(errors.length).toBeGreaterThanOrEqual(10);
    expect(secrets.length).toBeGreaterThan(10);
    for (const error of errors) {
      expect(isDexcomError(error)).toBe(true);
      const surfaces = [(error as Error).message, JSON.stringify(error), String(error), inspect(error, { depth: 10 })];
      for (const secret of secrets) for (const surface of surfaces) expect(surface).not.toContain(secret);
    }
  });
});

/** A second store holding the same record (another process with the same refresh token). */
async function seededWith(record: TokenRecord): Promise<InMemoryTokenStore> {
  const store = new InMemoryTokenStore();
  await store.compareAndSet('u1', undefined, record);
  return store;
}
