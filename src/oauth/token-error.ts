import { DexcomAuthError, DexcomReauthorizationRequiredError, isDexcomError } from '../core/errors.js';
import { scrubError } from './scrub.js';

/** The RFC 6749 error codes a token endpoint answers with. */
const KNOWN_CODES = ['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_request', 'unsupported_grant_type', 'invalid_scope'] as const;
const KNOWN_PATTERN = new RegExp(`\\b(${KNOWN_CODES.join('|')})\\b`);

/**
 * The OAuth error code in a token endpoint's error body, read leniently: the RFC's
 * `{ "error": "invalid_grant" }`, a nested `{ "error": { "code": ... } }`, `code` or `error_code`
 * fields, or a known code anywhere in a plain-text or unexpected JSON body (Dexcom's bodies are
 * not always conformant). `undefined` when none is found.
 *
 * @example
 * oauthErrorCode({ error: 'invalid_grant' });          // 'invalid_grant'
 * oauthErrorCode('invalid_grant: token is not active'); // 'invalid_grant'
 * oauthErrorCode({ error: { code: 'invalid_client' } }); // 'invalid_client'
 */
export function oauthErrorCode(body: unknown): string | undefined {
  if (typeof body === 'string') {
    const text = body.trim();
    if (text.startsWith('{')) {
      try {
        return oauthErrorCode(JSON.parse(text) as unknown);
      } catch {
        // not JSON after all: fall through to the text search
      }
    }
    return KNOWN_PATTERN.exec(text)?.[1];
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  for (const field of ['error', 'error_code', 'errorCode', 'code']) {
    const value = record[field];
    if (typeof value === 'string' && /^[a-z_]{3,64}$/i.test(value.trim())) return value.trim().toLowerCase();
    if (typeof value === 'object' && value !== null) {
      const nested = oauthErrorCode(value);
      if (nested) return nested;
    }
  }
  let text: string;
  try {
    text = JSON.stringify(body);
  } catch {
    return undefined;
  }
  return KNOWN_PATTERN.exec(text)?.[1];
}

/**
 * Turns a failure of a token request into the error the caller should see, with every secret
 * that was sent (`secrets`: client secret, code or refresh token) removed from it:
 *
 * - a 4xx whose body says `invalid_grant` (any status, any body shape) becomes a
 *   `DexcomReauthorizationRequiredError`: the code or refresh token is dead, the user must sign in;
 * - `invalid_client` / `unauthorized_client` become a `DexcomAuthError` that points at the app's
 *   credentials and environment;
 * - anything else (5xx, network, timeout, another 4xx) is returned as it was, scrubbed.
 *
 * @example
 * try { await api.postToken({ body }); } catch (error) { throw tokenRequestError(error, [clientSecret, refreshToken]); }
 */
export function tokenRequestError(error: unknown, secrets: readonly string[]): unknown {
  const clean = scrubError(error, secrets);
  if (!isDexcomError(clean) || clean.status === undefined || clean.status < 400 || clean.status >= 500 || clean.status === 429) return clean;
  const code = oauthErrorCode(clean.body);
  const details = {
    status: clean.status,
    body: clean.body,
    attempts: clean.attempts,
    ...(clean.operationId === undefined ? {} : { operationId: clean.operationId }),
    ...(clean.invocationId === undefined ? {} : { invocationId: clean.invocationId }),
  };
  if (code === 'invalid_grant') {
    return new DexcomReauthorizationRequiredError(
      `The token endpoint rejected the grant (invalid_grant, HTTP ${clean.status}): the authorization code or refresh token is expired, revoked or already used; the user must sign in again`,
      details,
    );
  }
  if (code === 'invalid_client' || code === 'unauthorized_client') {
    return new DexcomAuthError(
      `The token endpoint rejected this app (${code}, HTTP ${clean.status}): check oauth.clientId and oauth.clientSecret, and that they belong to this environment (US and EU credentials differ)`,
      details,
    );
  }
  return clean;
}
