import { randomBytes } from 'node:crypto';
import { WebhookVerificationError } from './webhook-errors.js';

/** Prefix of a Standard Webhooks secret. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * A new signing secret: `whsec_` plus base64 of `bytes` random bytes (default 32; Standard Webhooks
 * allows 24 to 64).
 *
 * @example
 * const secret = generateWebhookSecret(); // 'whsec_3q2+7w...'
 */
export function generateWebhookSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 24 || bytes > 64) {
    throw new RangeError(`bytes must be an integer from 24 to 64 (got ${String(bytes)}), e.g. generateWebhookSecret(32)`);
  }
  return WEBHOOK_SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

/**
 * The HMAC key inside a `whsec_` secret (the prefix is optional, as in the reference libraries).
 * Throws a {@link WebhookVerificationError} with reason `invalid_secret` for anything that is not
 * base64 of at least one byte, so a mistyped secret fails loudly instead of never matching.
 *
 * @example
 * webhookSecretKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').length; // 24
 */
export function webhookSecretKey(secret: string): Buffer {
  if (typeof secret !== 'string') throw new WebhookVerificationError('invalid_secret', 'the secret must be a string like whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  if (encoded.length === 0 || !BASE64.test(encoded)) {
    throw new WebhookVerificationError('invalid_secret', 'the secret must be whsec_ followed by base64, e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  }
  return Buffer.from(encoded, 'base64');
}
