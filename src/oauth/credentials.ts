import type { AccessTokenProvider } from '../core/token-source.js';
import { DexcomConfigurationError } from '../core/errors.js';
import { type OAuthOptions, resolveOAuthOptions, type ResolvedOAuthOptions } from './oauth-options.js';

/**
 * Checks how a client gets its tokens: `accessToken` (a string or a function), `oauth` (per-user
 * tokens through `forUser()`), or both (`accessToken` then serves the client's own calls). Neither
 * is an error, since every data call needs a token.
 *
 * @returns the validated `oauth` options, or `undefined` without them.
 * @throws DexcomConfigurationError with a correct example.
 * @example
 * const oauth = resolveClientCredentials({ accessToken: 'token' }); // undefined
 */
export function resolveClientCredentials(options: { accessToken?: AccessTokenProvider; oauth?: OAuthOptions }): ResolvedOAuthOptions | undefined {
  const { accessToken, oauth } = options;
  if (accessToken === undefined && oauth === undefined) {
    throw new DexcomConfigurationError(
      `DexcomApiClient needs accessToken or oauth, e.g. new DexcomApiClient({ accessToken: () => tokenStore.get() }) ` +
        `or new DexcomApiClient({ oauth: { clientId, clientSecret, tokenStore: new FileTokenStore({ path: '.dexcom-tokens.json' }) } })`,
    );
  }
  if (accessToken !== undefined && typeof accessToken !== 'string' && typeof accessToken !== 'function') {
    throw new DexcomConfigurationError(
      `accessToken must be a string or a function returning one, e.g. new DexcomApiClient({ accessToken: () => tokenStore.get() })`,
    );
  }
  return oauth === undefined ? undefined : resolveOAuthOptions(oauth);
}
