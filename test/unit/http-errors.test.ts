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
  DexcomServerError,
  isDexcomError,
} from '../../src/core/errors.js';
import { errorFromResponse } from '../../src/core/http-errors.js';

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
});
