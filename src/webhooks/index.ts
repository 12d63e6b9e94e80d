/**
 * Standard Webhooks signing and verification, with no dependencies beyond `node:crypto`. Receivers
 * of the relay's webhooks use `verifyWebhook`; the relay signs with `signWebhook`.
 *
 * @example
 * import { verifyWebhook } from 'dexcom-api-client/webhooks';
 * const event = verifyWebhook(rawBody, req.headers, process.env.WEBHOOK_SECRET!);
 */
export { signWebhook, type SignWebhookInput, type WebhookHeaders } from './sign-webhook.js';
export { DEFAULT_WEBHOOK_TOLERANCE_SEC, verifyWebhook, type VerifyWebhookOptions, type WebhookHeaderSource } from './verify-webhook.js';
export { WebhookVerificationError, type WebhookVerificationReason } from './webhook-errors.js';
export { generateWebhookSecret, WEBHOOK_SECRET_PREFIX, webhookSecretKey } from './webhook-secret.js';
