import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DexcomAuthError, DexcomNetworkError, DexcomRedirectError } from '../../src/core/errors.js';
import { REDACTED, scrubError, scrubText, scrubValue, sentValues } from '../../src/core/sent-values.js';

describe('sentValues', () => {
  it('collects the bearer token, secret query values and every form field but the public ones, longest first', () => {
    const request = new Request('http://127.0.0.1/v2/oauth2/login?client_id=cid-1234&state=st-5678&scope=offline_access&startDate=2024-01-01T00:00:00', {
      method: 'POST',
      headers: { authorization: 'Bearer tok-999', 'content-type': 'application/x-www-form-urlencoded' },
    });
    const values = sentValues(request, 'grant_type=refresh_token&refresh_token=rt-5555&client_secret=cs-7777&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb');
    expect([...values].sort()).toEqual(['Bearer tok-999', 'cid-1234', 'cs-7777', 'http://127.0.0.1/cb', 'rt-5555', 'st-5678', 'tok-999']);
    expect(values.map((value) => value.length)).toEqual([...values.map((value) => value.length)].sort((a, b) => b - a));
  });

  it('collects the string and number leaves of a JSON body, and a body of another type whole', () => {
    const json = new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(sentValues(json, '{"a":{"b":["leaf-1",12345]},"ok":1}').sort()).toEqual(['12345', 'leaf-1']);
    const text = new Request('http://x/', { method: 'POST', headers: { 'content-type': 'text/plain' } });
    expect(sentValues(text, 'raw-body-text')).toEqual(['raw-body-text']);
  });

  it('leaves out values shorter than 4 characters', () => {
    expect(sentValues(new Request('http://x/?a=abc&b=abcd'))).toEqual(['abcd']);
  });
});

describe('scrubText and scrubValue', () => {
  it('cut every value out, the longer first, and return the same object when nothing changed', () => {
    expect(scrubText('Bearer tok-999 then tok-999', ['Bearer tok-999', 'tok-999'])).toBe(`${REDACTED} then ${REDACTED}`);
    const body = { error: 'invalid_grant', nested: [{ text: 'rt-5555 expired' }] };
    expect(scrubValue(body, ['rt-5555'])).toEqual({ error: 'invalid_grant', nested: [{ text: `${REDACTED} expired` }] });
    expect(scrubValue(body, [])).toBe(body);
  });
});

describe('scrubError', () => {
  it('removes sent values from message, stack, string fields and the cause chain, and leaves the raw body', () => {
    const root = Object.assign(new Error('connect failed for http://x/?token=tok-canary'), { code: 'ECONNRESET' });
    const cause = new TypeError('fetch failed: tok-canary', { cause: root });
    const error = new DexcomNetworkError('GET /x failed: tok-canary', { cause, body: 'echo tok-canary' });
    scrubError(error, ['tok-canary']);
    expect(error.message).toBe(`GET /x failed: ${REDACTED}`);
    expect(error.stack).not.toContain('tok-canary');
    expect(inspect(error, { depth: 10 })).not.toContain('tok-canary');
    const scrubbedCause = error.cause as TypeError & { cause: Error & { code: string } };
    expect(scrubbedCause).toBeInstanceOf(Error);
    expect(scrubbedCause.name).toBe('TypeError');
    expect(scrubbedCause.cause.code).toBe('ECONNRESET');
    expect(scrubbedCause.cause.message).toBe(`connect failed for http://x/?token=${REDACTED}`);
    // The original errors are not touched; the raw body stays raw (it never prints).
    expect(cause.message).toContain('tok-canary');
    expect(error.body).toBe('echo tok-canary');
    expect(Object.keys(error)).not.toContain('message');
  });

  it('scrubs a kind\'s string fields too', () => {
    const error = new DexcomRedirectError('to tok-canary.example', { locationHost: 'tok-canary.example' });
    scrubError(error, ['tok-canary']);
    expect(error.locationHost).toBe(`${REDACTED}.example`);
    expect(error.toJSON()).toMatchObject({ locationHost: `${REDACTED}.example` });
  });

  it('leaves an error without any sent value as it was', () => {
    const error = new DexcomAuthError('failed with HTTP 401: invalid_token');
    expect(scrubError(error, ['tok-canary'])).toBe(error);
    expect(error.message).toBe('failed with HTTP 401: invalid_token');
  });
});
