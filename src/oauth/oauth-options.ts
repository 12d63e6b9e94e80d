import { checkInteger, checkObject } from '../../plugins/option-checks.js';
import { DexcomConfigurationError } from '../core/errors.js';
import { DAY_MS } from '../dates.js';
import { assertRedirectUri, type OAuthPathVersion } from './authorization-url.js';
import { assertTokenStore, type TokenStore } from './token-store.js';

/**
 * How a token request that never reached the server (connection refused, DNS failure) is sent
 * again, by the client's retry engine. Nothing else is re-sent: a reset, a timeout, a 5xx or a
 * garbled answer may come after the server rotated the refresh token, and a 429 fails the refresh
 * at once (an early refresh then keeps the still-valid token).
 *
 * @example
 * new DexcomApiClient({ oauth: { clientId, clientSecret, tokenStore, refreshRetry: { maxAttempts: 5 } } });
 */
export interface OAuthRefreshRetryOptions {
  /**
   * Token requests per refresh, the first one included (1 to 10).
   * @default 3
   */
  maxAttempts?: number;
  /**
   * Median delay before the second request, in ms; later delays double, with jitter.
   * @default 1_000
   */
  initialDelayMs?: number;
  /**
   * Cap on one delay, in ms.
   * @default 10_000
   */
  maxDelayMs?: number;
}

/**
 * OAuth settings of a client (`new DexcomApiClient({ oauth })`): the app's credentials, where
 * each user's tokens live, and when they are refreshed. With `oauth`, `accessToken` is optional and
 * data calls go through `dexcom.forUser(userKey)`.
 *
 * @example
 * new DexcomApiClient({
 *   environment: 'us',
 *   oauth: {
 *     clientId: process.env.DEXCOM_CLIENT_ID!,
 *     clientSecret: process.env.DEXCOM_CLIENT_SECRET!,
 *     redirectUri: 'https://app.example.com/dexcom/callback',
 *     tokenStore: new FileTokenStore({ path: '.dexcom-tokens.json' }),
 *   },
 * });
 */
export interface OAuthOptions {
  /** The app's client id (per regional server). */
  clientId: string;
  /** The app's client secret; sent in the token request's form body only, never logged. */
  clientSecret: string;
  /** Default redirect URI for `dexcom.oauth.authorizationUrl()` and `exchangeCode()`. Default none. */
  redirectUri?: string;
  /** Where every user's tokens are kept. */
  tokenStore: TokenStore;
  /**
   * Token (and login) path: `'v2'` is `/v2/oauth2/token` from Dexcom's guide; `'v3'` the v3 swagger's.
   * @default 'v2'
   */
  tokenPath?: OAuthPathVersion;
  /**
   * Refresh this long before the access token expires, in ms, so no request goes out with a token
   * that dies on the way (capped at half the token's lifetime).
   * @default 300_000 (5 minutes)
   */
  refreshMarginMs?: number;
  /**
   * Spread of the margin, in ms: each user's token refreshes at `margin ± jitter`, fixed per token,
   * so thousands of users signed in together do not all refresh in the same minute.
   * @default 30_000
   */
  refreshJitterMs?: number;
  /** Re-sends of a token request that never reached the server. Default 3 requests, 1 s initial delay, 10 s cap. */
  refreshRetry?: OAuthRefreshRetryOptions;
  /**
   * After a refresh, a 401 for the new token within this many ms does not refresh again: the 401
   * reaches the caller as `DexcomAuthError`. Without it, a server that answers 401 to everything
   * would make every call rotate the user's tokens. Read from the stored record, so it holds across
   * processes sharing a store. `0` turns it off.
   * @default 60_000
   */
  refreshCooldownMs?: number;
}

/**
 * Validated {@link OAuthOptions}, every default applied.
 *
 * @example
 * const resolved: ResolvedOAuthOptions = resolveOAuthOptions({ clientId, clientSecret, tokenStore });
 */
export interface ResolvedOAuthOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string | undefined;
  readonly tokenStore: TokenStore;
  readonly tokenPath: OAuthPathVersion;
  readonly refreshMarginMs: number;
  readonly refreshJitterMs: number;
  readonly refreshRetry: Readonly<Required<OAuthRefreshRetryOptions>>;
  readonly refreshCooldownMs: number;
}

/**
 * Defaults applied by {@link resolveOAuthOptions}: `/v2` paths, refresh 5 min ± 30 s before expiry,
 * up to 3 token requests per refresh (only while none reached the server) starting 1 s apart, at
 * most 10 s; no refresh on a 401 within 60 s of a refresh.
 *
 * @example
 * DEFAULT_OAUTH_TIMING.refreshMarginMs; // 300_000
 */
export const DEFAULT_OAUTH_TIMING = {
  tokenPath: 'v2',
  refreshMarginMs: 300_000,
  refreshJitterMs: 30_000,
  refreshRetry: { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 10_000 },
  refreshCooldownMs: 60_000,
} as const;

const EXAMPLE = `{ oauth: { clientId: 'abc123', clientSecret: process.env.DEXCOM_CLIENT_SECRET, tokenStore: new FileTokenStore({ path: '.dexcom-tokens.json' }) } }`;

/**
 * Validates `oauth` options once, at client construction.
 *
 * @throws DexcomConfigurationError whose message shows a correct example (and never the secret).
 * @example
 * const oauth = resolveOAuthOptions({ clientId, clientSecret, tokenStore: new InMemoryTokenStore() });
 * oauth.refreshMarginMs; // 300_000
 */
export function resolveOAuthOptions(input: OAuthOptions): ResolvedOAuthOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DexcomConfigurationError(`oauth must be an options object, e.g. new DexcomApiClient(${EXAMPLE})`);
  }
  for (const field of ['clientId', 'clientSecret'] as const) {
    if (typeof input[field] !== 'string' || input[field] === '') {
      throw new DexcomConfigurationError(`oauth.${field} must be a non-empty string, e.g. new DexcomApiClient(${EXAMPLE})`);
    }
  }
  if (input.redirectUri !== undefined) assertRedirectUri(input.redirectUri);
  assertTokenStore(input.tokenStore, 'oauth.tokenStore');
  const tokenPath = input.tokenPath ?? DEFAULT_OAUTH_TIMING.tokenPath;
  if (tokenPath !== 'v2' && tokenPath !== 'v3') {
    throw new DexcomConfigurationError(`oauth.tokenPath must be 'v2' (/v2/oauth2/token, the default) or 'v3', e.g. { tokenPath: 'v3' }`);
  }
  const refreshMarginMs = checkInteger(input.refreshMarginMs ?? DEFAULT_OAUTH_TIMING.refreshMarginMs, 'oauth.refreshMarginMs', 0, DAY_MS, '{ refreshMarginMs: 300_000 }');
  const refreshJitterMs = checkInteger(
    input.refreshJitterMs ?? Math.min(DEFAULT_OAUTH_TIMING.refreshJitterMs, refreshMarginMs),
    'oauth.refreshJitterMs',
    0,
    refreshMarginMs,
    '{ refreshMarginMs: 300_000, refreshJitterMs: 30_000 }',
  );
  return {
    clientId: input.clientId,
    clientSecret: input.clientSecret,
    redirectUri: input.redirectUri,
    tokenStore: input.tokenStore,
    tokenPath,
    refreshMarginMs,
    refreshJitterMs,
    refreshRetry: resolveRefreshRetry(input.refreshRetry),
    refreshCooldownMs: checkInteger(input.refreshCooldownMs ?? DEFAULT_OAUTH_TIMING.refreshCooldownMs, 'oauth.refreshCooldownMs', 0, DAY_MS, '{ refreshCooldownMs: 60_000 }'),
  };
}

function resolveRefreshRetry(input: OAuthRefreshRetryOptions | undefined): Required<OAuthRefreshRetryOptions> {
  const example = '{ refreshRetry: { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 10_000 } }';
  const user = checkObject(input, 'oauth.refreshRetry', example);
  const d = DEFAULT_OAUTH_TIMING.refreshRetry;
  const maxAttempts = checkInteger(user.maxAttempts ?? d.maxAttempts, 'oauth.refreshRetry.maxAttempts', 1, 10, example);
  const initialDelayMs = checkInteger(user.initialDelayMs ?? d.initialDelayMs, 'oauth.refreshRetry.initialDelayMs', 1, DAY_MS, example);
  const maxDelayMs = checkInteger(
    user.maxDelayMs ?? Math.max(d.maxDelayMs, initialDelayMs),
    'oauth.refreshRetry.maxDelayMs',
    initialDelayMs,
    DAY_MS,
    example,
  );
  return { maxAttempts, initialDelayMs, maxDelayMs };
}
