import type { DexcomApi } from '../../generated/sdk.gen.js';
import type { TokenRequestBody } from '../../generated/types.gen.js';
import type { OAuthPathVersion } from './authorization-url.js';
import type { TokenSet } from './token-record.js';
import { tokenRequestError } from './token-error.js';
import { parseTokenResponse } from './token-response.js';

/**
 * What every token request needs.
 *
 * @example
 * const options: TokenRequestOptions = { clientId: 'abc123', clientSecret: process.env.DEXCOM_CLIENT_SECRET!, tokenPath: 'v2' };
 */
export interface TokenRequestOptions {
  /** The app's client id. */
  clientId: string;
  /** The app's client secret (form body, never a header or the URL). */
  clientSecret: string;
  /** `'v2'` posts to `/v2/oauth2/token` (`postToken`), `'v3'` to `/v3/oauth2/token` (`postTokenV3`). Default `'v2'`. */
  tokenPath?: OAuthPathVersion;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/**
 * Options of {@link exchangeAuthorizationCode}.
 *
 * @example
 * const options: CodeExchangeOptions = { clientId, clientSecret, code, redirectUri: 'https://app.example.com/dexcom/callback' };
 */
export interface CodeExchangeOptions extends TokenRequestOptions {
  /** The `code` from the sign-in redirect (single use). */
  code: string;
  /** The same redirect URI the sign-in URL carried. */
  redirectUri: string;
}

/**
 * Options of {@link refreshAccessToken}.
 *
 * @example
 * const options: RefreshOptions = { clientId, clientSecret, refreshToken: record.refreshToken };
 */
export interface RefreshOptions extends TokenRequestOptions {
  /** The newest refresh token; it stops working once used (design for rotation). */
  refreshToken: string;
  /** Sent by older clients; not in Dexcom's swagger. Default: not sent. */
  redirectUri?: string;
}

/**
 * Exchanges a sign-in `code` for tokens: `grant_type=authorization_code` through the spec's token
 * operation on `api` (so the client's rate limiter, breaker, timeouts and metrics apply; the
 * pipeline sends a POST again only when nothing reached the server). Nothing is stored: use
 * `dexcom.oauth.exchangeCode()` for that.
 *
 * @throws DexcomReauthorizationRequiredError for `invalid_grant` (a used or expired code),
 * DexcomAuthError for `invalid_client`, other DexcomErrors as the pipeline raised them; none of
 * them contains the code or the client secret.
 * @example
 * const tokens = await exchangeAuthorizationCode(dexcom.api, { clientId, clientSecret, code, redirectUri });
 */
export function exchangeAuthorizationCode(api: DexcomApi, options: CodeExchangeOptions): Promise<TokenSet> {
  const { clientId, clientSecret, code, redirectUri } = options;
  const body: TokenRequestBody = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, client_secret: clientSecret };
  return postGrant(api, body, options, [clientSecret, code]);
}

/**
 * Gets a new access token (and, with rotation, a new refresh token) with
 * `grant_type=refresh_token`. Persist the returned refresh token before using the access token:
 * the one you sent is dead. Nothing is stored and nothing is retried here beyond what the
 * pipeline does; `dexcom.forUser()` does both.
 *
 * @throws DexcomReauthorizationRequiredError for `invalid_grant`; errors never contain the refresh
 * token or the client secret.
 * @example
 * const tokens = await refreshAccessToken(dexcom.api, { clientId, clientSecret, refreshToken });
 * await saveFirst(tokens);
 */
export function refreshAccessToken(api: DexcomApi, options: RefreshOptions): Promise<TokenSet> {
  const { clientId, clientSecret, refreshToken, redirectUri } = options;
  const body: TokenRequestBody = {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
    client_secret: clientSecret,
    ...(redirectUri === undefined ? {} : { redirect_uri: redirectUri }),
  };
  return postGrant(api, body, options, [clientSecret, refreshToken], refreshToken);
}

async function postGrant(
  api: DexcomApi,
  body: TokenRequestBody,
  options: TokenRequestOptions,
  secrets: readonly string[],
  previousRefreshToken?: string,
): Promise<TokenSet> {
  const v3 = options.tokenPath === 'v3';
  const request = { body, ...(options.signal ? { signal: options.signal } : {}) };
  let data: unknown;
  try {
    ({ data } = v3 ? await api.postTokenV3(request) : await api.postToken(request));
  } catch (error) {
    throw tokenRequestError(error, secrets);
  }
  return parseTokenResponse(data, { operationId: v3 ? 'postTokenV3' : 'postToken', ...(previousRefreshToken ? { previousRefreshToken } : {}) });
}
