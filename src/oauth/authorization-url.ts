import { randomBytes } from 'node:crypto';
import { createClient, createConfig } from '../../generated/client/index.js';
import { operationMetadata } from '../../generated/dexcom-spec-metadata.gen.js';
import type { GetLoginData } from '../../generated/types.gen.js';
import { type DexcomEnvironment, resolveEndpoint } from '../environments.js';
import { DexcomConfigurationError } from '../core/errors.js';

/**
 * Which published OAuth path to use: `/v2/oauth2/...` (Dexcom's guide, the default) or `/v3/oauth2/...`.
 *
 * @example
 * const tokenPath: OAuthPathVersion = 'v3';
 */
export type OAuthPathVersion = 'v2' | 'v3';

/**
 * Options of {@link buildAuthorizationUrl}.
 *
 * @example
 * const options: AuthorizationUrlOptions = { environment: 'us', clientId: 'abc123', redirectUri: 'https://app.example.com/dexcom/callback' };
 */
export interface AuthorizationUrlOptions {
  /** Dexcom environment. Default `'sandbox'`. */
  environment?: DexcomEnvironment;
  /** Overrides `environment` (a local fake server); plain http only for loopback hosts. */
  baseUrl?: string;
  /** The app's client id. */
  clientId: string;
  /** Where Dexcom sends the browser back; must match a redirect URI registered for the app. */
  redirectUri: string;
  /** CSRF value echoed back on the redirect. Default: 32 random bytes, base64url. */
  state?: string;
  /** Login path version. Default `'v2'`. */
  loginPath?: OAuthPathVersion;
}

/**
 * The sign-in URL to send the user's browser to, and the `state` to check on the redirect.
 *
 * @example
 * const { url, state }: AuthorizationRequest = dexcom.oauth.authorizationUrl();
 */
export interface AuthorizationRequest {
  /** Dexcom's sign-in page with `client_id`, `redirect_uri`, `response_type=code`, `scope=offline_access`, `state`. */
  readonly url: string;
  /** Keep it (e.g. in the user's session) and compare it with the redirect's `state`; never log it. */
  readonly state: string;
}

/**
 * Builds the URL of Dexcom's sign-in page (the spec's `getLogin` / `getLoginV3` operation) for
 * the authorization-code flow: `response_type=code`, `scope=offline_access` (the only scope
 * Dexcom accepts) and a `state` that is cryptographically random unless you pass one.
 *
 * @throws DexcomConfigurationError for a missing client id, a redirect URI that is not an absolute
 * URL, an empty state or a bad environment.
 * @example
 * const { url, state } = buildAuthorizationUrl({ environment: 'sandbox', clientId, redirectUri: 'http://127.0.0.1:8787/callback' });
 * session.oauthState = state;
 * response.redirect(url);
 */
export function buildAuthorizationUrl(options: AuthorizationUrlOptions): AuthorizationRequest {
  const { baseUrl } = resolveEndpoint(options);
  if (typeof options.clientId !== 'string' || options.clientId === '') {
    throw new DexcomConfigurationError(`clientId must be your app's client id, e.g. buildAuthorizationUrl({ clientId: 'abc123', redirectUri })`);
  }
  assertRedirectUri(options.redirectUri);
  if (options.state !== undefined && (typeof options.state !== 'string' || options.state === '')) {
    throw new DexcomConfigurationError(`state must be a non-empty string, or left out for a random one`);
  }
  const state = options.state ?? randomBytes(32).toString('base64url');
  const operation = (options.loginPath ?? 'v2') === 'v3' ? operationMetadata.getLoginV3 : operationMetadata.getLogin;
  const query: GetLoginData['query'] = {
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    response_type: 'code',
    scope: 'offline_access',
    state,
  };
  // The generated client serializes the query exactly as the spec describes it.
  const url = createClient(createConfig({ baseUrl })).buildUrl({ url: operation.path, query });
  return { url, state };
}

/**
 * Throws unless `redirectUri` is an absolute http(s) URL without a fragment.
 *
 * @example
 * assertRedirectUri('http://127.0.0.1:8787/callback');
 */
export function assertRedirectUri(redirectUri: unknown): asserts redirectUri is string {
  let url: URL | undefined;
  try {
    url = typeof redirectUri === 'string' ? new URL(redirectUri) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hash !== '') {
    throw new DexcomConfigurationError(
      `redirectUri must be an absolute http(s) URL registered for the app, without a fragment, e.g. 'https://app.example.com/dexcom/callback'`,
    );
  }
}
