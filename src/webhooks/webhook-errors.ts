/**
 * Why a webhook was refused: `missing_header` (one of `webhook-id`, `webhook-timestamp`,
 * `webhook-signature`), `invalid_timestamp`, `timestamp_too_old`, `timestamp_too_new`,
 * `no_matching_signature`, `invalid_secret` (the receiver's own configuration), `invalid_body`
 * (signed, but not JSON).
 */
export type WebhookVerificationReason =
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature'
  | 'invalid_secret'
  | 'invalid_body';

/**
 * Thrown by `verifyWebhook` when a delivery must not be trusted. Answer 400 (or 401) and do not
 * process the body. The message never contains the secret or a signature.
 *
 * @example
 * try {
 *   verifyWebhook(rawBody, req.headers, secret);
 * } catch (error) {
 *   if (error instanceof WebhookVerificationError) return res.status(400).send(error.reason);
 *   throw error;
 * }
 */
export class WebhookVerificationError extends Error {
  /** Machine-readable reason. */
  readonly reason: WebhookVerificationReason;

  constructor(reason: WebhookVerificationReason, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}
