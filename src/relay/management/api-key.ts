import { DexcomConfigurationError } from '../../core/errors.js';
import { constantTimeEqual } from './secrets.js';

/** Shortest management API key accepted. */
export const MIN_API_KEY_LENGTH = 16;

/**
 * Checks presented management API keys against one configured key (`DEXCOM_RELAY_API_KEY`).
 *
 * @example
 * const check = createApiKeyCheck(process.env.DEXCOM_RELAY_API_KEY);
 * check.authorization('Bearer ' + key); // true
 */
export interface ApiKeyCheck {
  /** True when `key` is the configured key (constant-time). */
  matches(key: string): boolean;
  /** True when an `Authorization` header value is `Bearer <the configured key>`. */
  authorization(header: string | undefined): boolean;
}

/**
 * Builds an {@link ApiKeyCheck}. Keys are compared as SHA-256 digests with `timingSafeEqual`,
 * so neither the position of the first difference nor the length of the presented key shows in
 * the time a refusal takes.
 *
 * @throws DexcomConfigurationError when the key is missing or shorter than 16 characters.
 * @example
 * const check = createApiKeyCheck(process.env.DEXCOM_RELAY_API_KEY);
 */
export function createApiKeyCheck(apiKey: string | undefined): ApiKeyCheck {
  if (typeof apiKey !== 'string' || apiKey.length < MIN_API_KEY_LENGTH) {
    throw new DexcomConfigurationError(
      `The management API key must be at least ${MIN_API_KEY_LENGTH} characters, e.g. DEXCOM_RELAY_API_KEY=$(openssl rand -hex 32)`,
    );
  }
  const matches = (key: string): boolean => typeof key === 'string' && constantTimeEqual(key, apiKey);
  return {
    matches,
    authorization(header) {
      const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
      // Compare even without a well-formed header, so a malformed one takes the same path.
      return matches(match?.[1] ?? '') && match !== null;
    },
  };
}
