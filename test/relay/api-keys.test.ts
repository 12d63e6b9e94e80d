import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createConfig } from '../../generated/relay/client/index.js';
import { getHealth, listConnections, listSubscriptions } from '../../generated/relay/sdk.gen.js';
import { isDexcomError } from '../../src/core/errors.js';
import { createApiKeyCheck } from '../../src/relay/management/api-key.js';
import { constantTimeEqual } from '../../src/relay/management/secrets.js';
import type { Database } from '../../src/stores/postgres/database.js';
import { API_KEY, openHarnessDatabase, type RelayHarness, startRelayHarness } from './api-harness.js';

describe('the management API key', () => {
  let database: Database;
  let h: RelayHarness;
  beforeAll(async () => {
    database = await openHarnessDatabase({ kind: 'pglite' });
    h = await startRelayHarness(database);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await database?.close();
  });

  const withAuthorization = (authorization: string | undefined) =>
    createClient(createConfig({ baseUrl: h.url, ...(authorization === undefined ? {} : { headers: { authorization } }) }));

  it.each([
    ['no header', undefined],
    ['an empty bearer', 'Bearer '],
    ['a wrong key', 'Bearer wrong-key-0123456789abcdef'],
    ['the key without its last character', `Bearer ${API_KEY.slice(0, -1)}`],
    ['the key with one more character', `Bearer ${API_KEY}x`],
    ['the key in another scheme', `Basic ${API_KEY}`],
    ['the key alone', API_KEY],
    ['the key followed by another token', `Bearer ${API_KEY} ${API_KEY}`],
  ])('refuses %s with 401 problem+json and a Bearer challenge', async (_what, authorization) => {
    for (const call of [listConnections, listSubscriptions]) {
      const { response, error } = await call({ client: withAuthorization(authorization) });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(error).toEqual({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Send Authorization: Bearer <DEXCOM_RELAY_API_KEY>' });
    }
  });

  it('refuses before validating, so a request without a key learns nothing about its input', async () => {
    const response = await fetch(`${h.url}/v1/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nonsense":1}' });
    expect(response.status).toBe(401);
    expect((await fetch(`${h.url}/v1/no-such-route`)).status).toBe(401);
    expect((await fetch(`${h.url}/no-such-route`)).status).toBe(401);
  });

  it('accepts the key (the scheme in any case) and leaves the public routes open', async () => {
    expect((await listConnections({ client: h.client })).response.status).toBe(200);
    expect((await listConnections({ client: withAuthorization(`bearer ${API_KEY}`) })).response.status).toBe(200);
    expect((await getHealth({ client: h.anonymous })).data).toEqual({ status: 'ok' });
    expect((await fetch(`${h.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${h.url}/openapi.json`)).status).toBe(200);
  });

  it('compares digests, so keys of any length take the same path (no throw on a length mismatch)', () => {
    const check = createApiKeyCheck(API_KEY);
    expect(check.matches(API_KEY)).toBe(true);
    for (const other of ['', 'x', API_KEY.slice(0, -1), `${API_KEY}x`, API_KEY.repeat(100), API_KEY.toUpperCase()]) expect(check.matches(other)).toBe(false);
    expect(check.authorization(undefined)).toBe(false);
    expect(check.authorization(`Bearer ${API_KEY}`)).toBe(true);
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  });

  it('refuses to run without a key of at least 16 characters', () => {
    for (const key of [undefined, '', 'short-key']) {
      let thrown: unknown;
      try {
        createApiKeyCheck(key);
      } catch (error) {
        thrown = error;
      }
      expect(isDexcomError(thrown) && thrown.code === 'configuration').toBe(true);
      expect(String((thrown as Error).message)).toContain('DEXCOM_RELAY_API_KEY=');
    }
  });
});
