import { DexcomConfigurationError } from '../src/errors.js';
import { isLoopbackHost } from '../src/environments.js';
import type { Middleware } from './middleware.js';

/**
 * Supplies the access token: a fixed string, or a function called for every wire attempt (so a
 * token refreshed between retries is picked up).
 *
 * @example
 * const fromEnv: AccessTokenProvider = () => process.env.DEXCOM_ACCESS_TOKEN ?? '';
 */
export type AccessTokenProvider = string | (() => string | Promise<string>);

/** Options of {@link bearerAuth}. */
export interface BearerAuthOptions {
  /** Where the token comes from. */
  accessToken: AccessTokenProvider;
  /** Whether an operation needs the token (the OAuth login and token calls do not). Default: all do. */
  requiresAuth?: (operationId: string) => boolean;
}

/**
 * Sets `Authorization: Bearer <token>` on every wire attempt of an operation that needs it, and
 * refuses to put a token on a plain-http request to a host that is not loopback.
 *
 * @example
 * const auth = bearerAuth({ accessToken: () => tokens.current() });
 */
export function bearerAuth(options: BearerAuthOptions): Middleware {
  const { accessToken, requiresAuth = () => true } = options;
  const provide = typeof accessToken === 'function' ? accessToken : () => accessToken;
  return (next) => async (request, context) => {
    if (!requiresAuth(context.operationId) || request.headers.has('authorization')) return next(request, context);
    const url = new URL(request.url);
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      throw new DexcomConfigurationError(`Refusing to send an access token over plain http to ${url.hostname}; use https`);
    }
    const token = await provide();
    if (typeof token !== 'string' || token === '') {
      throw new DexcomConfigurationError(
        `accessToken returned no token for ${context.operationId}; pass a string or a function returning one, e.g. new DexcomApiClient({ accessToken: () => store.get() })`,
      );
    }
    // Each attempt is a fresh clone (see the retry layer), so setting the header in place is safe.
    request.headers.set('authorization', `Bearer ${token}`);
    return next(request, context);
  };
}
