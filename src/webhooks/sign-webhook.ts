import { createHmac } from 'node:crypto';
import { webhookSecretKey } from './webhook-secret.js';

/** What {@link signWebhook} signs. */
export interface SignWebhookInput {
  /** The message id, stable across retries (`webhook-id`). */
  readonly id: string;
  /** When this attempt is sent; a Date or unix seconds (`webhook-timestamp`). */
  readonly timestamp: Date | number;
  /** The exact body that will be sent. */
  readonly body: string | Uint8Array;
  /** One secret, or several during a rotation (each adds one signature). */
  readonly secrets: string | readonly string[];
}

/** The three Standard Webhooks headers. */
export type WebhookHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  /** `v1,<base64>` per secret, separated by spaces. */
  readonly 'webhook-signature': string;
};

/**
 * Signs a webhook the Standard Webhooks way: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
 * per secret, space-separated, so any Standard Webhooks library (`standardwebhooks`, Svix) verifies it.
 *
 * @example
 * const headers = signWebhook({ id: 'evt_1', timestamp: new Date(), body: JSON.stringify(payload), secrets: 'whsec_...' });
 * await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
 */
export function signWebhook(input: SignWebhookInput): WebhookHeaders {
  const seconds = unixSeconds(input.timestamp);
  const secrets = typeof input.secrets === 'string' ? [input.secrets] : input.secrets;
  if (secrets.length === 0) throw new RangeError('signWebhook needs at least one secret, e.g. { secrets: "whsec_..." }');
  if (typeof input.id !== 'string' || input.id.length === 0 || /[\s.]/.test(input.id)) {
    throw new RangeError(`webhook id must be a non-empty string without spaces or dots, e.g. 'evt_2Cw9...'`);
  }
  const signatures = secrets.map((secret) => `v1,${webhookSignature(webhookSecretKey(secret), input.id, seconds, input.body)}`);
  return { 'webhook-id': input.id, 'webhook-timestamp': String(seconds), 'webhook-signature': signatures.join(' ') };
}

/** Base64 HMAC-SHA256 of `id.timestamp.body`, over the body's bytes (not a re-encoded string). */
export function webhookSignature(key: Uint8Array, id: string, seconds: number, body: string | Uint8Array): string {
  return createHmac('sha256', key).update(`${id}.${seconds}.`).update(body).digest('base64');
}

function unixSeconds(timestamp: Date | number): number {
  const seconds = timestamp instanceof Date ? Math.floor(timestamp.getTime() / 1000) : timestamp;
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new RangeError('timestamp must be a valid Date or whole unix seconds');
  return seconds;
}
