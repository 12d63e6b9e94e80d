import { DexcomConfigurationError } from '../src/core/errors.js';
import { isLoopbackHost } from '../src/core/loopback.js';
import { callSignalOf, discardBody, raceAbort } from './abort.js';
import type { CallContext, Middleware } from '../src/core/middleware.js';
import type { AccessTokenProvider, IssuedToken, TokenSource } from '../src/core/token-source.js';

/**
 * Options of {@link bearerAuth}.
 *
 * @example
 * const options: BearerAuthOptions = { accessToken: () => vault.read('dexcom'), requiresAuth: (op) => op !== 'postToken' };
 */
export interface BearerAuthOptions {
  /**
   * The client's own token, used when a call's context carries no `tokenSource`. Default: none, and
   * such a call fails with a `DexcomConfigurationError` (read through `dexcom.forUser(userKey)`).
   */
  accessToken?: AccessTokenProvider;
  /** Whether an operation needs the token (the OAuth login and token calls do not). Default: all do. */
  requiresAuth?: (operationId: string) => boolean;
}

/**
 * Turns an {@link AccessTokenProvider} into a {@link TokenSource} (no renewal: a 401 is final).
 *
 * @example
 * const source = providerTokenSource(() => process.env.DEXCOM_ACCESS_TOKEN ?? '');
 */
export function providerTokenSource(provider: AccessTokenProvider): TokenSource {
  const provide = typeof provider === 'function' ? provider : () => provider;
  return { token: async () => ({ value: await provide() }) };
}

/** Name of the {@link bearerAuth} layer in the pipeline (see `src/client-pipeline.ts`). */
export const AUTH_LAYER = 'auth';

/**
 * Sets `Authorization: Bearer <token>` on every wire attempt of an operation that needs it, and
 * refuses to put a token on a plain-http request to a host that is not loopback.
 *
 * The token comes from the call's `context.tokenSource` (set by `dexcom.forUser(userKey)`), else
 * from the client's `accessToken`. When the source can renew and the server answers 401, the
 * layer asks it once for a newer token and sends the request once more; a second 401 is returned
 * as is (the call fails with `DexcomAuthError`), so a revoked token never loops. The second send is
 * part of the same retry attempt: it carries the same attempt number and passes the rate limiter
 * again (this layer sits above it).
 *
 * @example
 * const auth = bearerAuth({ accessToken: () => tokens.current() });
 */
export function bearerAuth(options: BearerAuthOptions): Middleware {
  const { requiresAuth = () => true } = options;
  const fallback = options.accessToken === undefined ? undefined : providerTokenSource(options.accessToken);
  return (next) => async (request, context) => {
    if (!requiresAuth(context.operationId) || request.headers.has('authorization')) return next(request, context);
    assertSecureTransport(request);
    const source = context.tokenSource ?? fallback;
    if (source === undefined) throw missingSourceError(context);

    // Bodies are one-shot: keep an unsent copy in case a 401 calls for a second send.
    const spare = source.renew ? request.clone() : undefined;
    const issued = await untilAborted(source.token(), request, context);
    request.headers.set('authorization', `Bearer ${checkToken(issued, context)}`);
    const response = await next(request, context);
    if (response.status !== 401 || spare === undefined || source.renew === undefined) return response;

    let renewed: IssuedToken | undefined;
    try {
      renewed = await untilAborted(source.renew(issued), request, context);
    } catch (error) {
      discardBody(response);
      throw error;
    }
    if (renewed === undefined || renewed.value === issued.value) return response;
    discardBody(response);
    spare.headers.set('authorization', `Bearer ${checkToken(renewed, context)}`);
    return next(spare, context);
  };
}

function assertSecureTransport(request: Request): void {
  const url = new URL(request.url);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new DexcomConfigurationError(`Refusing to send an access token over plain http to ${url.hostname}; use https`);
  }
}

function checkToken(issued: IssuedToken, context: CallContext): string {
  const token: unknown = issued?.value;
  if (typeof token !== 'string' || token === '') {
    throw new DexcomConfigurationError(
      `accessToken returned no token for ${context.operationId}; pass a string or a function returning one, e.g. new DexcomApiClient({ accessToken: () => store.get() })`,
    );
  }
  return token;
}

function missingSourceError(context: CallContext): DexcomConfigurationError {
  return new DexcomConfigurationError(
    `${context.operationId} needs an access token but this client has none: read through a user's view, ` +
      `e.g. dexcom.forUser('patient-42').getDevices(), or pass one, e.g. new DexcomApiClient({ accessToken: () => store.get() })`,
  );
}

/** Waits for a token, but no longer than the call may: the caller's abort or the total deadline. */
function untilAborted<T>(work: Promise<T>, request: Request, context: CallContext): Promise<T> {
  return raceAbort(work, callSignalOf(request, context), context);
}
