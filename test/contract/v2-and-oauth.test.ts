import { describe, expect, it } from 'vitest';
import { DexcomBadRequestError, DexcomRedirectError } from '../../src/index.js';
import { prismClient } from './client.js';

const window = { startDate: '2024-01-01T00:00:00', endDate: '2024-03-01T00:00:00' };

/** The deprecated v2 reads and the OAuth operations, through `dexcom.api` against Prism. */
describe('v2 (deprecated) reads against the Prism mock', () => {
  const { api } = prismClient();

  it('getEstimatedGlucoseValuesV2', async () => {
    const { data } = await api.getEstimatedGlucoseValuesV2({ query: window });
    expect(data.egvs.length).toBeGreaterThan(0);
    expect(data.egvs[0]).toMatchObject({ systemTime: expect.any(String) });
  });

  it('getCalibrationsV2', async () => {
    const { data } = await api.getCalibrationsV2({ query: window });
    expect(data.calibrations.length).toBeGreaterThan(0);
  });

  it('getEventsV2', async () => {
    const { data } = await api.getEventsV2({ query: window });
    expect(data.events.length).toBeGreaterThan(0);
  });

  it('getDevicesV2', async () => {
    const { data } = await api.getDevicesV2({ query: window });
    expect(data.devices.length).toBeGreaterThan(0);
  });

  it('getDataRangeV2', async () => {
    const { data } = await api.getDataRangeV2();
    expect(data.egvs?.start.systemTime).toEqual(expect.any(String));
  });
});

describe('OAuth2 operations against the Prism mock', () => {
  const { api } = prismClient({ accessToken: () => { throw new Error('the OAuth calls must not ask for a bearer token'); } });
  const login = { client_id: 'client-abc', redirect_uri: 'http://127.0.0.1:8787/callback', response_type: 'code', scope: 'offline_access', state: 'state-123' } as const;

  it.each(['getLogin', 'getLoginV3'] as const)('%s answers with a redirect that the SDK does not follow', async (operation) => {
    // The login page is meant for the user's browser (`oauth.authorizationUrl()` builds its URL):
    // the SDK never follows a redirect; it fails the call and keeps only the target's host.
    const error = await api[operation]({ query: login }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomRedirectError);
    expect(error).toMatchObject({ code: 'redirect', status: 302, retryable: false, locationHost: expect.stringMatching(/^127\.0\.0\.1(:\d+)?$/) });
    expect(JSON.stringify(error)).not.toContain('state-123');
  });

  it.each(['postToken', 'postTokenV3'] as const)('%s exchanges an authorization code (form body)', async (operation) => {
    const { data } = await api[operation]({
      body: { grant_type: 'authorization_code', code: 'auth-code', redirect_uri: login.redirect_uri, client_id: 'client-abc', client_secret: 'secret' },
    });
    expect(data).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), expires_in: expect.any(Number) });
  });

  it('postToken accepts the refresh grant', async () => {
    const { data } = await api.postToken({
      body: { grant_type: 'refresh_token', refresh_token: 'refresh', client_id: 'client-abc', client_secret: 'secret' },
    });
    expect(data.token_type).toEqual(expect.any(String));
  });

  it('a token error comes back as a typed error with the OAuth error code', async () => {
    const error = await api
      .postToken({
        body: { grant_type: 'refresh_token', refresh_token: 'refresh', client_id: 'client-abc', client_secret: 'secret' },
        headers: { prefer: 'code=400' },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomBadRequestError);
    expect((error as DexcomBadRequestError).body).toMatchObject({ error: expect.any(String) });
  });
});
