/**
 * The OAuth requests this SDK builds, validated by Prism against the spec (form body, required
 * fields, query of the login URL), on both published paths, and the spec's example token
 * response read by the lenient parser.
 */
import { describe, expect, inject, it } from 'vitest';
import {
  buildAuthorizationUrl,
  exchangeAuthorizationCode,
  InMemoryTokenStore,
  type OAuthPathVersion,
  refreshAccessToken,
} from '../../src/index.js';
import { prismClient } from './client.js';

const credentials = { clientId: 'client-abc', clientSecret: 'contract-secret' };
const redirectUri = 'http://127.0.0.1:8787/callback';

describe.each(['v2', 'v3'] as const)('OAuth against the Prism mock (%s paths)', (tokenPath: OAuthPathVersion) => {
  it('exchangeAuthorizationCode sends a request the spec accepts and parses the example response', async () => {
    const before = Date.now();
    const tokens = await exchangeAuthorizationCode(prismClient().api, { ...credentials, code: 'auth-code', redirectUri, tokenPath });
    expect(tokens).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresAt: expect.any(Number) });
    expect(tokens.expiresAt).toBeGreaterThan(before);
  });

  it('refreshAccessToken sends a request the spec accepts', async () => {
    const tokens = await refreshAccessToken(prismClient().api, { ...credentials, refreshToken: 'refresh-token', tokenPath });
    expect(tokens.accessToken).toEqual(expect.any(String));
  });

  it('the sign-in URL is a valid login request (Prism answers with the redirect)', async () => {
    const { url, state } = buildAuthorizationUrl({ baseUrl: inject('prismUrl'), clientId: credentials.clientId, redirectUri, loginPath: tokenPath });
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(new URL(url).searchParams.get('state')).toBe(state);
  });

  it('exchangeCode stores the tokens and a forUser() view reads with them', async () => {
    const tokenStore = new InMemoryTokenStore();
    const dexcom = prismClient({ accessToken: undefined, oauth: { ...credentials, redirectUri, tokenStore, tokenPath } });
    const status = await dexcom.oauth.exchangeCode({ userKey: 'patient-1', code: 'auth-code' });
    expect(status).toMatchObject({ connected: true, version: 1, environment: inject('prismUrl') });
    const devices = await dexcom.forUser('patient-1').getDevices();
    expect(devices.length).toBeGreaterThan(0);
  });
});
