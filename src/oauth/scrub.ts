import { isDexcomError } from '../core/errors.js';
import { REDACTED, scrubError as scrubSentValues, scrubValue } from '../core/sent-values.js';

export { REDACTED };

/**
 * A copy of `value` in which every occurrence of each secret (in any string, at any depth of
 * plain objects and arrays) is replaced by `[REDACTED]`; see `scrubValue` in core. Secrets
 * shorter than 4 characters are ignored: they would blank out ordinary words.
 *
 * @example
 * scrubSecrets({ error: 'invalid_grant', error_description: 'token rt-123 expired' }, ['rt-123']);
 * // { error: 'invalid_grant', error_description: 'token [REDACTED] expired' }
 */
export function scrubSecrets<T>(value: T, secrets: readonly string[]): T {
  return scrubValue(value, secrets);
}

/**
 * Removes `secrets` from a DexcomError in place (message, stack, cause and, unlike the pipeline's
 * scrub, the raw body too) and returns it. The token endpoint is the one place where a server
 * could echo what it was sent (a client secret, a code, a refresh token) into an error, and a
 * token error's body is kept around for `oauth.status()`, so every error from it passes through here.
 *
 * @example
 * throw scrubError(error, [clientSecret, refreshToken]);
 */
export function scrubError(error: unknown, secrets: readonly string[]): unknown {
  if (!isDexcomError(error)) return error;
  scrubSentValues(error, secrets);
  const body = scrubValue(error.body, secrets);
  // Still not enumerable: the body never prints, scrubbed or not.
  if (body !== error.body) Object.defineProperty(error, 'body', { value: body, writable: true, configurable: true, enumerable: false });
  return error;
}
