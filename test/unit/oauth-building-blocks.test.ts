import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildAuthorizationUrl,
  DexcomAuthError,
  DexcomBadRequestError,
  DexcomConfigurationError,
  DexcomInvalidResponseError,
  DexcomReauthorizationRequiredError,
  DexcomServerError,
  InMemoryTokenStore,
  type TokenRecord,
} from '../../src/index.js';
import { DEFAULT_EXPIRES_IN_SECONDS, oauthErrorCode, parseTokenResponse, refreshDueAt } from '../../src/oauth/index.js';
import { resolveOAuthOptions } from '../../src/oauth/oauth-options.js';
import { scrubSecrets } from '../../src/oauth/scrub.js';
import { tokenRequestError } from '../../src/oauth/token-error.js';

const NOW = 1_700_000_000_000;

describe('parseTokenResponse', () => {
  const context = { operationId: 'postToken', now: NOW };

  it("reads Dexcom's Keycloak-style response, ignoring extra fields, expires_in in seconds", () => {
    const body = {
      access_token: 'at',
      expires_in: 7200,
      refresh_expires_in: 0,
      refresh_token: 'rt',
      token_type: 'Bearer',
      'not-before-policy': '0',
      session_state: 'c0ffee00-0000-4000-8000-000000000000',
      scope: 'offline_access',
      something_new: { nested: true },
    };
    expect(parseTokenResponse(body, context)).toEqual({ accessToken: 'at', refreshToken: 'rt', expiresAt: NOW + 7_200_000 });
  });

  it('accepts expires_in as a numeric string and falls back to 2 hours when it is missing, zero or junk', () => {
    expect(parseTokenResponse({ access_token: 'a', refresh_token: 'r', expires_in: '3600' }, context).expiresAt).toBe(NOW + 3_600_000);
    for (const expires_in of [undefined, 0, -5, 'soon', null, Number.NaN]) {
      expect(parseTokenResponse({ access_token: 'a', refresh_token: 'r', expires_in }, context).expiresAt).toBe(NOW + DEFAULT_EXPIRES_IN_SECONDS * 1_000);
    }
  });

  it('reads a JSON string body', () => {
    expect(parseTokenResponse('{"access_token":"a","refresh_token":"r","expires_in":60}', context)).toMatchObject({ accessToken: 'a', expiresAt: NOW + 60_000 });
  });

  it('keeps the refresh token that was sent when a refresh answer carries none', () => {
    expect(parseTokenResponse({ access_token: 'a2', expires_in: 60 }, { ...context, previousRefreshToken: 'rt-old' }).refreshToken).toBe('rt-old');
  });

  it('a body without a usable access or refresh token is DexcomInvalidResponseError that never quotes the body', () => {
    for (const body of [{ refresh_token: 'rt-secret' }, { access_token: 'at-secret' }, { access_token: '', refresh_token: 'rt-secret' }, 'not json', null]) {
      const error = (() => {
        try {
          parseTokenResponse(body, context);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(DexcomInvalidResponseError);
      expect(JSON.stringify(error)).not.toMatch(/secret/);
      expect((error as Error).message).not.toMatch(/secret/);
      expect(error).toMatchObject({ retryable: false });
    }
  });
});

describe('oauthErrorCode (lenient)', () => {
  it.each([
    [{ error: 'invalid_grant', error_description: 'Token is not active' }, 'invalid_grant'],
    [{ error: 'INVALID_GRANT' }, 'invalid_grant'],
    ['invalid_grant', 'invalid_grant'],
    ['Error: invalid_grant (refresh token expired)', 'invalid_grant'],
    ['{"error":"invalid_client"}', 'invalid_client'],
    [{ error: { code: 'invalid_grant', message: 'expired' } }, 'invalid_grant'],
    [{ error_code: 'unauthorized_client' }, 'unauthorized_client'],
    [{ error: 'Bad Request', message: 'invalid_grant: code already used' }, 'invalid_grant'],
    [{ fault: { faultstring: 'invalid_grant' } }, 'invalid_grant'],
    [{ error: 'server_error' }, 'server_error'],
    ['<html>502 Bad Gateway</html>', undefined],
    [undefined, undefined],
    [{}, undefined],
  ])('%j → %s', (body, code) => {
    expect(oauthErrorCode(body)).toBe(code);
  });
});

describe('tokenRequestError', () => {
  const secrets = ['client-secret-value', 'rt-the-refresh-token'];

  it.each([
    [400, { error: 'invalid_grant' }],
    [401, { error: 'invalid_grant' }],
    [400, 'invalid_grant'],
  ])('%i %j → DexcomReauthorizationRequiredError', (status, body) => {
    const original = status === 401 ? new DexcomAuthError('postToken failed', { status, body }) : new DexcomBadRequestError('postToken failed', { status, body });
    const error = tokenRequestError(original, secrets);
    expect(error).toBeInstanceOf(DexcomReauthorizationRequiredError);
    expect(error).toMatchObject({ status, retryable: false });
  });

  it('invalid_client → DexcomAuthError about the credentials; 5xx passes through', () => {
    expect(tokenRequestError(new DexcomAuthError('x', { status: 401, body: { error: 'invalid_client' } }), secrets)).toBeInstanceOf(DexcomAuthError);
    const server = new DexcomServerError('postToken failed with HTTP 503', { status: 503, body: 'down' });
    expect(tokenRequestError(server, secrets)).toBe(server);
  });

  it('removes every secret it was given from the message, stack and body', () => {
    const echoed = new DexcomBadRequestError('postToken failed: invalid_request rt-the-refresh-token', {
      status: 400,
      body: { error: 'invalid_request', error_description: 'bad client_secret=client-secret-value', list: ['rt-the-refresh-token'] },
    });
    const error = tokenRequestError(echoed, secrets) as DexcomBadRequestError;
    const everything = `${error.message} ${error.stack} ${JSON.stringify(error)} ${JSON.stringify(error.body)}`;
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(error.body).toEqual({ error: 'invalid_request', error_description: 'bad client_secret=[REDACTED]', list: ['[REDACTED]'] });
  });

  it('scrubSecrets leaves values without secrets and short needles alone', () => {
    expect(scrubSecrets({ a: 'abc', b: [1, 'x'] }, ['zzzz', 'ab'])).toEqual({ a: 'abc', b: [1, 'x'] });
  });
});

describe('buildAuthorizationUrl', () => {
  it("builds the spec's login URL with response_type=code, scope=offline_access and a random state", () => {
    const { url, state } = buildAuthorizationUrl({ environment: 'eu', clientId: 'client-abc', redirectUri: 'http://127.0.0.1:8787/callback' });
    const parsed = new URL(url);
    expect(`${parsed.origin}${parsed.pathname}`).toBe('https://api.dexcom.eu/v2/oauth2/login');
    expect(Object.fromEntries(parsed.searchParams)).toEqual({
      client_id: 'client-abc',
      redirect_uri: 'http://127.0.0.1:8787/callback',
      response_type: 'code',
      scope: 'offline_access',
      state,
    });
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
  });

  it('makes a new state every time and keeps a given one', () => {
    const options = { clientId: 'c', redirectUri: 'https://app.example.com/cb' };
    const states = new Set(Array.from({ length: 100 }, () => buildAuthorizationUrl(options).state));
    expect(states.size).toBe(100);
    expect(buildAuthorizationUrl({ ...options, state: 'mine' }).state).toBe('mine');
  });

  it("uses the v3 login path with loginPath 'v3', the sandbox by default, and a baseUrl override", () => {
    expect(buildAuthorizationUrl({ clientId: 'c', redirectUri: 'https://a.example/cb' }).url).toMatch(/^https:\/\/sandbox-api\.dexcom\.com\/v2\/oauth2\/login\?/);
    expect(buildAuthorizationUrl({ clientId: 'c', redirectUri: 'https://a.example/cb', loginPath: 'v3' }).url).toMatch(/\/v3\/oauth2\/login\?/);
    expect(buildAuthorizationUrl({ baseUrl: 'http://127.0.0.1:4010', clientId: 'c', redirectUri: 'https://a.example/cb' }).url).toMatch(/^http:\/\/127\.0\.0\.1:4010\/v2\//);
  });

  it('rejects bad input with an example', () => {
    expect(() => buildAuthorizationUrl({ clientId: '', redirectUri: 'https://a.example/cb' })).toThrow(/clientId/);
    expect(() => buildAuthorizationUrl({ clientId: 'c', redirectUri: '/callback' })).toThrow(/redirectUri must be an absolute/);
    expect(() => buildAuthorizationUrl({ clientId: 'c', redirectUri: 'https://a.example/cb#x' })).toThrow(DexcomConfigurationError);
    expect(() => buildAuthorizationUrl({ clientId: 'c', redirectUri: 'https://a.example/cb', state: '' })).toThrow(/state/);
    expect(() => buildAuthorizationUrl({ baseUrl: 'http://api.dexcom.com', clientId: 'c', redirectUri: 'https://a.example/cb' })).toThrow(/Refusing plain http/);
  });
});

describe('refreshDueAt', () => {
  const base = (overrides: Partial<TokenRecord> = {}): TokenRecord => ({
    accessToken: 'a',
    refreshToken: 'r',
    expiresAt: NOW + 7_200_000,
    environment: 'https://api.dexcom.com',
    version: 1,
    reauthorizationRequired: false,
    updatedAt: NOW,
    ...overrides,
  });

  it('is margin ± jitter before expiry, fixed per user and version, spread across users (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 1_000_000 }), (userKey, version) => {
        const record = base({ version });
        const due = refreshDueAt(record, userKey, 300_000, 30_000);
        expect(record.expiresAt - due).toBeGreaterThanOrEqual(270_000);
        expect(record.expiresAt - due).toBeLessThanOrEqual(330_000);
        expect(refreshDueAt(record, userKey, 300_000, 30_000)).toBe(due);
      }),
    );
    const spread = new Set(Array.from({ length: 50 }, (_, i) => refreshDueAt(base(), `patient-${i}`, 300_000, 30_000)));
    expect(spread.size).toBeGreaterThan(40);
  });

  it('never refreshes before half the lifetime, and without jitter is exactly the margin', () => {
    expect(refreshDueAt(base({ expiresAt: NOW + 60_000 }), 'u', 300_000, 30_000)).toBe(NOW + 30_000);
    expect(refreshDueAt(base(), 'u', 300_000, 0)).toBe(NOW + 7_200_000 - 300_000);
    expect(refreshDueAt(base(), 'u', 0, 0)).toBe(NOW + 7_200_000);
  });
});

describe('resolveOAuthOptions', () => {
  const tokenStore = new InMemoryTokenStore();

  it('applies the documented defaults', () => {
    expect(resolveOAuthOptions({ clientId: 'c', clientSecret: 's', tokenStore })).toEqual({
      clientId: 'c',
      clientSecret: 's',
      redirectUri: undefined,
      tokenStore,
      tokenPath: 'v2',
      refreshMarginMs: 300_000,
      refreshJitterMs: 30_000,
      refreshRetry: { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 10_000 },
      refreshCooldownMs: 60_000,
    });
    expect(resolveOAuthOptions({ clientId: 'c', clientSecret: 's', tokenStore, refreshMarginMs: 10_000 }).refreshJitterMs).toBe(10_000);
  });

  it('never echoes the client secret in a validation error', () => {
    const bad = [
      { clientId: 'c', clientSecret: 'super-secret-value', tokenStore, refreshMarginMs: -1 },
      { clientId: 'c', clientSecret: 'super-secret-value', tokenStore, redirectUri: 'nope' },
      { clientId: 'c', clientSecret: 'super-secret-value', tokenStore: {} },
      { clientId: 'c', clientSecret: 'super-secret-value', tokenStore, refreshRetry: { maxAttempts: 0 } },
    ];
    for (const options of bad) {
      const error = (() => {
        try {
          resolveOAuthOptions(options as never);
        } catch (e) {
          return e as Error;
        }
        throw new Error('expected a configuration error');
      })();
      expect(error).toBeInstanceOf(DexcomConfigurationError);
      expect(error.message).toMatch(/e\.g\./);
      expect(error.message).not.toContain('super-secret-value');
    }
  });
});
