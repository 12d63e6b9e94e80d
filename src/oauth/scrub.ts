import { isDexcomError } from '../core/errors.js';

/**
 * What replaces a secret found in an error.
 *
 * @example
 * scrubSecrets('token rt-123', ['rt-123']) === `token ${REDACTED}`;
 */
export const REDACTED = '[REDACTED]';

/** Deepest nesting scrubbed; error bodies are small and flat, this only stops cycles. */
const MAX_DEPTH = 8;

/**
 * A copy of `value` in which every occurrence of each secret (in any string, at any depth of
 * plain objects and arrays) is replaced by `[REDACTED]`. Secrets shorter than 4 characters are
 * ignored: they would blank out ordinary words.
 *
 * @example
 * scrubSecrets({ error: 'invalid_grant', error_description: 'token rt-123 expired' }, ['rt-123']);
 * // { error: 'invalid_grant', error_description: 'token [REDACTED] expired' }
 */
export function scrubSecrets<T>(value: T, secrets: readonly string[]): T {
  const needles = secrets.filter((secret) => typeof secret === 'string' && secret.length >= 4);
  return needles.length === 0 ? value : (scrub(value, needles, 0) as T);
}

function scrub(value: unknown, needles: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return needles.reduce((text, needle) => text.split(needle).join(REDACTED), value);
  if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, needles, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item, needles, depth + 1)]));
}

/**
 * Removes `secrets` from a DexcomError in place (message, stack and raw body) and returns it.
 * The token endpoint is the one place where a server could echo what it was sent (a client
 * secret, a code, a refresh token) into an error, so every error from it passes through here.
 *
 * @example
 * throw scrubError(error, [clientSecret, refreshToken]);
 */
export function scrubError(error: unknown, secrets: readonly string[]): unknown {
  if (!isDexcomError(error)) return error;
  for (const field of ['message', 'stack', 'body'] as const) {
    const current: unknown = error[field];
    const clean = scrubSecrets(current, secrets);
    // The fields are readonly for callers; the error is ours until it is thrown.
    if (clean !== current) Object.defineProperty(error, field, { value: clean, writable: true, configurable: true, enumerable: field === 'body' });
  }
  return error;
}
