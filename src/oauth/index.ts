/**
 * OAuth2 for the Dexcom API: the sign-in URL, code exchange and refresh through a client's
 * pipeline, token stores with compare-and-set, and the per-user lifecycle behind
 * `dexcom.forUser(userKey)`.
 *
 * @example
 * import { DexcomApiClient, FileTokenStore } from 'dexcom-api-client';
 * const dexcom = new DexcomApiClient({ oauth: { clientId, clientSecret, tokenStore: new FileTokenStore({ path: '.dexcom-tokens.json' }) } });
 * const devices = await dexcom.forUser('default').getDevices();
 */
export { type AuthorizationRequest, type AuthorizationUrlOptions, buildAuthorizationUrl, type OAuthPathVersion } from './authorization-url.js';
export { DexcomOAuth, type DexcomOAuthConfig, type ExchangeCodeOptions, type TokenStatus } from './dexcom-oauth.js';
export { FileTokenStore, type FileTokenStoreOptions } from './file-token-store.js';
export { InMemoryTokenStore } from './memory-token-store.js';
export { DEFAULT_OAUTH_TIMING, type OAuthOptions, type OAuthRefreshRetryOptions, resolveOAuthOptions, type ResolvedOAuthOptions } from './oauth-options.js';
export { DexcomRefreshLockTimeoutError, type LockedTokenStore } from './refresh-lock.js';
export { refreshDueAt } from './refresh-schedule.js';
export { createTokenApi, type TokenApiOptions } from './token-pipeline.js';
export { oauthErrorCode } from './token-error.js';
export {
  type CodeExchangeOptions,
  exchangeAuthorizationCode,
  refreshAccessToken,
  type RefreshOptions,
  type TokenRequestOptions,
} from './token-endpoint.js';
export { parseTokenRecord, type TokenRecord, type TokenSet } from './token-record.js';
export { DEFAULT_EXPIRES_IN_SECONDS, parseTokenResponse } from './token-response.js';
export { type TokenStore } from './token-store.js';
export { resolveClientCredentials } from './credentials.js';
