import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Random bytes in a webhook signing secret (Standard Webhooks allows 24 to 64). */
const WEBHOOK_SECRET_BYTES = 32;

/**
 * A new Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes.
 *
 * @example
 * newWebhookSecret(); // 'whsec_3q2+7w...'
 */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(WEBHOOK_SECRET_BYTES).toString('base64')}`;
}

/**
 * A new subscription id: `sub_` + 16 random bytes, base64url.
 *
 * @example
 * newSubscriptionId(); // 'sub_Xq3...'
 */
export function newSubscriptionId(): string {
  return `sub_${randomBytes(16).toString('base64url')}`;
}

/**
 * A new OAuth `state`: 32 random bytes, base64url (only its hash is stored).
 *
 * @example
 * const state = newOAuthState();
 */
export function newOAuthState(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * SHA-256 of a value, hex: what the relay stores or compares instead of the value.
 *
 * @example
 * sha256Hex('abc'); // 'ba7816bf...'
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Compares two strings in time independent of where they differ and of their lengths: both are
 * hashed first, so `timingSafeEqual` always sees two 32-byte digests.
 *
 * @example
 * constantTimeEqual(presented, expected); // true or false
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right);
}
