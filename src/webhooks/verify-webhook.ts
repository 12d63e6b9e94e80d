import { timingSafeEqual } from 'node:crypto';
import { webhookSignature } from './sign-webhook.js';
import { WebhookVerificationError } from './webhook-errors.js';
import { webhookSecretKey } from './webhook-secret.js';

/** Headers as Node's `IncomingMessage`, a fetch `Headers` or a plain object has them (any case). */
export type WebhookHeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way, in seconds. Default 300. */
  readonly toleranceSec?: number;
  /** The clock. Default `() => new Date()`. */
  readonly now?: () => Date;
}

/** Default timestamp tolerance: 5 minutes, as in the Standard Webhooks reference libraries. */
export const DEFAULT_WEBHOOK_TOLERANCE_SEC = 300;

/**
 * Verifies a Standard Webhooks delivery and returns its parsed JSON body. Pass the **raw** body
 * (the bytes or string as received, before any JSON parsing); a Buffer is hashed as bytes. Every
 * `v1` signature in `webhook-signature` is compared in constant time against each secret given
 * (several during your own rotation). Throws a {@link WebhookVerificationError} with a `reason`.
 *
 * @example
 * app.post('/hooks', express.raw({ type: 'application/json' }), (req, res) => {
 *   const event = verifyWebhook(req.body, req.headers, process.env.WEBHOOK_SECRET!);
 *   res.sendStatus(204); // then dedupe on req.headers['webhook-id'] and process event
 * });
 */
export function verifyWebhook<T = unknown>(
  body: string | Uint8Array,
  headers: WebhookHeaderSource,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): T {
  const keys = (typeof secret === 'string' ? [secret] : secret).map(webhookSecretKey);
  if (keys.length === 0) throw new WebhookVerificationError('invalid_secret', 'verifyWebhook needs at least one secret');
  const id = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  const signatureText = header(headers, 'webhook-signature');
  const tolerance = options.toleranceSec ?? DEFAULT_WEBHOOK_TOLERANCE_SEC;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new RangeError('toleranceSec must be a number of seconds >= 0, e.g. { toleranceSec: 300 }');
  if (!/^\d{1,15}$/.test(timestampText)) throw new WebhookVerificationError('invalid_timestamp', 'webhook-timestamp is not unix seconds');
  const seconds = Number(timestampText);
  const nowSeconds = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  if (nowSeconds - seconds > tolerance) throw new WebhookVerificationError('timestamp_too_old', 'webhook-timestamp is older than the tolerance');
  if (seconds - nowSeconds > tolerance) throw new WebhookVerificationError('timestamp_too_new', 'webhook-timestamp is further in the future than the tolerance');
  const offered = signatureText
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3)));
  const matched = keys.some((key) => {
    const expected = Buffer.from(webhookSignature(key, id, seconds, body));
    // Compare every offered signature (no early exit on a length check leaking which one matched).
    return offered.reduce((found, candidate) => (candidate.length === expected.length && timingSafeEqual(candidate, expected)) || found, false);
  });
  if (!matched) throw new WebhookVerificationError('no_matching_signature', 'no webhook-signature matches the secret');
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new WebhookVerificationError('invalid_body', 'the signed body is not JSON');
  }
}

function header(headers: WebhookHeaderSource, name: string): string {
  let value: string | readonly string[] | null | undefined;
  if (typeof (headers as Headers).get === 'function') value = (headers as Headers).get(name);
  else {
    const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
    value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  }
  const text = Array.isArray(value) ? value.join(' ') : (value as string | null | undefined);
  if (typeof text !== 'string' || text.length === 0) throw new WebhookVerificationError('missing_header', `the ${name} header is missing`);
  return text;
}
