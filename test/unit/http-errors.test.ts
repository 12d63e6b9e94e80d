import { describe, expect, it } from 'vitest';
import { PipelineEvents } from '../../src/core/events.js';
import type { CallContext } from '../../src/core/middleware.js';
import {
  DexcomAuthError,
  DexcomBadRequestError,
  DexcomForbiddenError,
  DexcomHttpError,
  DexcomNotFoundError,
  DexcomRateLimitError,
  DexcomRedirectError,
  DexcomServerError,
  isDexcomError,
} from '../../src/core/errors.js';
import { errorCodeOf, errorFromResponse } from '../../src/core/http-errors.js';

const context: CallContext = {
  invocationId: 'inv-1',
  operationId: 'getEstimatedGlucoseValuesV3',
  method: 'GET',
  pathTemplate: '/v3/users/self/egvs',
  attempt: 2,
  attempts: [{ attempt: 1, status: 503, durationMs: 3, delayMs: 100 }, { attempt: 2, status: 429, durationMs: 2 }],
  startedAt: 0,
  events: new PipelineEvents(),
};

describe('errorFromResponse', () => {
  it.each([
    [400, DexcomBadRequestError, 'bad_request', false],
    [422, DexcomBadRequestError, 'bad_request', false],
    [401, DexcomAuthError, 'unauthorized', false],
    [403, DexcomForbiddenError, 'forbidden', false],
    [404, DexcomNotFoundError, 'not_found', false],
    [405, DexcomHttpError, 'http', false],
    [408, DexcomHttpError, 'http', true],
    [429, DexcomRateLimitError, 'rate_limited', true],
    [500, DexcomServerError, 'server', true],
    [503, DexcomServerError, 'server', true],
    [501, DexcomServerError, 'server', false],
    [505, DexcomServerError, 'server', false],
    [409, DexcomHttpError, 'http', false],
  ] as const)('HTTP %i → %o', async (status, type, code, retryable) => {
    const error = await errorFromResponse(new Response('{"error":"some_code"}', { status }), context);
    expect(error).toBeInstanceOf(type);
    expect(isDexcomError(error)).toBe(true);
    expect(error).toMatchObject({ code, status, retryable, operationId: 'getEstimatedGlucoseValuesV3', invocationId: 'inv-1' });
    expect(error.body).toEqual({ error: 'some_code' });
    expect(error.attempts).toHaveLength(2);
    expect(error.message).toBe(`getEstimatedGlucoseValuesV3 (GET /v3/users/self/egvs) failed with HTTP ${status}: some_code`);
  });

  it('keeps a text body raw and leaves free-text descriptions out of the message', async () => {
    const text = await errorFromResponse(new Response('<html>gateway</html>', { status: 502 }), context);
    expect(text.body).toBe('<html>gateway</html>');
    expect(text.message).not.toContain('gateway');
    const described = await errorFromResponse(new Response('{"error":"invalid_grant","error_description":"token abc123 expired"}', { status: 400 }), context);
    expect(described.message).toContain('invalid_grant');
    expect(described.message).not.toContain('abc123');
  });

  it('reads Retry-After on a 429 as seconds or HTTP-date into retryAfterMs and retryAt', async () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    const seconds = (await errorFromResponse(new Response(null, { status: 429, headers: { 'retry-after': '7' } }), context, now)) as DexcomRateLimitError;
    expect(seconds.retryAfterMs).toBe(7000);
    expect(seconds.retryAt?.toISOString()).toBe('2024-01-01T00:00:07.000Z');
    const date = (await errorFromResponse(new Response(null, { status: 429, headers: { 'retry-after': 'Mon, 01 Jan 2024 00:01:00 GMT' } }), context, now)) as DexcomRateLimitError;
    expect(date.retryAfterMs).toBe(60_000);
    const none = (await errorFromResponse(new Response(null, { status: 429 }), context, now)) as DexcomRateLimitError;
    expect(none.retryAfterMs).toBeUndefined();
    expect(none.retryAt).toBeUndefined();
  });

  it('serialises to JSON without stack or cause', async () => {
    const error = await errorFromResponse(new Response('{}', { status: 429, headers: { 'retry-after': '1' } }), context, 0);
    const json = JSON.parse(JSON.stringify(error));
    expect(json).toMatchObject({ name: 'DexcomRateLimitError', code: 'rate_limited', status: 429, retryAt: '1970-01-01T00:00:01.000Z' });
    expect(json.stack).toBeUndefined();
  });

  it.each([301, 302, 303, 307, 308])('HTTP %i is a DexcomRedirectError with the Location host only, not retryable', async (status) => {
    const response = new Response('moved', { status, headers: { location: 'https://evil.example:8443/steal?token=tok-canary#frag' } });
    const error = await errorFromResponse(response, context);
    expect(error).toBeInstanceOf(DexcomRedirectError);
    expect(error).toMatchObject({ code: 'redirect', status, retryable: false, locationHost: 'evil.example:8443' });
    expect(error.message).toBe(`getEstimatedGlucoseValuesV3 (GET /v3/users/self/egvs) answered HTTP ${status}, a redirect to evil.example:8443 the SDK does not follow`);
    expect(JSON.stringify(error)).not.toMatch(/steal|tok-canary|frag/);
  });

  it('resolves a relative Location against the request, and leaves a missing or broken one out', async () => {
    const sent = { ...context, sentRequest: new Request('http://127.0.0.1:4010/v3/users/self/egvs') };
    const relative = (await errorFromResponse(new Response(null, { status: 302, headers: { location: '/login?next=x' } }), sent)) as DexcomRedirectError;
    expect(relative.locationHost).toBe('127.0.0.1:4010');
    const missing = (await errorFromResponse(new Response(null, { status: 302 }), context)) as DexcomRedirectError;
    expect(missing.locationHost).toBeUndefined();
    expect(missing.message).toContain('answered HTTP 302, a redirect the SDK');
    const broken = (await errorFromResponse(new Response(null, { status: 301, headers: { location: 'http://[::1' } }), context)) as DexcomRedirectError;
    expect(broken.locationHost).toBeUndefined();
  });

  it('puts only codes that look like codes into the message: known ones, or short lower-case identifiers', () => {
    expect(errorCodeOf({ error: 'invalid_grant', error_description: 'token abc expired' })).toBe('invalid_grant');
    expect(errorCodeOf({ Code: 'SessionIdNotFound', Message: 'session 1234 not found' })).toBe('SessionIdNotFound');
    expect(errorCodeOf({ code: 'rate.limited-1' })).toBe('rate.limited-1');
    expect(errorCodeOf({ error: 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln' })).toBeUndefined();
    expect(errorCodeOf({ error: 'Bearer abc', code: 'x'.repeat(42) })).toBeUndefined();
    expect(errorCodeOf({ error: 'TokenValue123' })).toBeUndefined();
    expect(errorCodeOf({ message: 'invalid_token' })).toBeUndefined();
    expect(errorCodeOf('invalid_grant')).toBeUndefined();
  });

  it('reads Retry-After on a 5xx like on a 429', async () => {
    const error = (await errorFromResponse(new Response(null, { status: 503, headers: { 'retry-after': '3' } }), context, 0)) as DexcomServerError;
    expect(error).toMatchObject({ retryAfterMs: 3000, retryable: true });
    expect(error.retryAt?.toISOString()).toBe('1970-01-01T00:00:03.000Z');
  });
});
