import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook, verifyWebhook, WebhookVerificationError } from '../../src/webhooks/index.js';

const body = JSON.stringify({ type: 'records.created', timestamp: '2026-12-01T00:00:00.000Z', data: { userKey: 'u1', recordType: 'egvs', records: [{ value: 'µg ✓' }] } });
const now = new Date('2026-12-01T12:00:00Z');

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('Standard Webhooks interop', () => {
  it('standardwebhooks verifies what signWebhook signs', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook({ id: 'evt_abc', timestamp: new Date(), body, secrets: secret });
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(headers['webhook-signature']).toBe(new Webhook(secret).sign('evt_abc', new Date(Number(headers['webhook-timestamp']) * 1000), body));
  });

  it('verifyWebhook verifies what standardwebhooks signs, as a string or a Buffer', () => {
    const secret = generateWebhookSecret(24);
    const wh = new Webhook(secret);
    const headers = { 'Webhook-Id': 'msg_1', 'Webhook-Timestamp': String(Math.floor(now.getTime() / 1000)), 'Webhook-Signature': wh.sign('msg_1', now, body) };
    expect(verifyWebhook(body, headers, secret, { now: () => now })).toEqual(JSON.parse(body));
    expect(verifyWebhook(Buffer.from(body), new Headers(headers), secret, { now: () => now })).toEqual(JSON.parse(body));
  });

  it('signs with every secret during a rotation; either verifies', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = signWebhook({ id: 'evt_r', timestamp: now, body, secrets: [newSecret, oldSecret] });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) {
      expect(verifyWebhook(body, headers, secret, { now: () => now })).toBeTruthy();
      expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)) })).toThrow();
    }
    expect(reasonOf(() => verifyWebhook(body, headers, generateWebhookSecret(), { now: () => now }))).toBe('no_matching_signature');
  });

  it('hashes a non-UTF-8 Buffer body as bytes', () => {
    const secret = generateWebhookSecret();
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const headers = signWebhook({ id: 'evt_b', timestamp: now, body: bytes, secrets: secret });
    // The same bytes decoded and re-encoded are different bytes: that must not verify.
    expect(reasonOf(() => verifyWebhook(bytes.toString('utf8'), headers, secret, { now: () => now }))).toBe('no_matching_signature');
    expect(reasonOf(() => verifyWebhook(bytes, headers, secret, { now: () => now }))).toBeUndefined();
    const notJson = Buffer.from([0xff, 0x00]);
    const signed = signWebhook({ id: 'evt_nj', timestamp: now, body: notJson, secrets: secret });
    expect(reasonOf(() => verifyWebhook(notJson, signed, secret, { now: () => now }))).toBe('invalid_body');
  });

  it('refuses tampering, stale and future timestamps, missing headers and bad secrets with a reason', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook({ id: 'evt_t', timestamp: now, body, secrets: secret });
    const at = (ms: number) => ({ now: () => new Date(now.getTime() + ms) });
    expect(reasonOf(() => verifyWebhook(body.replace('u1', 'u2'), headers, secret, at(0)))).toBe('no_matching_signature');
    expect(reasonOf(() => verifyWebhook(body, { ...headers, 'webhook-id': 'evt_other' }, secret, at(0)))).toBe('no_matching_signature');
    expect(reasonOf(() => verifyWebhook(body, headers, secret, at(301_000)))).toBe('timestamp_too_old');
    expect(reasonOf(() => verifyWebhook(body, headers, secret, at(-301_000)))).toBe('timestamp_too_new');
    expect(reasonOf(() => verifyWebhook(body, headers, secret, { ...at(3_600_000), toleranceSec: 7200 }))).toBeUndefined();
    expect(reasonOf(() => verifyWebhook(body, { ...headers, 'webhook-timestamp': 'soon' }, secret, at(0)))).toBe('invalid_timestamp');
    expect(reasonOf(() => verifyWebhook(body, { 'webhook-id': 'x', 'webhook-timestamp': '1' }, secret, at(0)))).toBe('missing_header');
    expect(reasonOf(() => verifyWebhook(body, headers, 'whsec_not base64!', at(0)))).toBe('invalid_secret');
    expect(reasonOf(() => verifyWebhook(body, { ...headers, 'webhook-signature': 'v1a,xyz v2,abc' }, secret, at(0)))).toBe('no_matching_signature');
  });

  it('never puts the secret or a signature in an error message', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook({ id: 'evt_s', timestamp: now, body, secrets: secret });
    const error = (() => {
      try {
        verifyWebhook(`${body} `, headers, secret, { now: () => now });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).not.toContain(secret.slice(6, 20));
    expect(error?.message).not.toContain(headers['webhook-signature'].slice(3, 20));
  });
});
