import type { CallContext } from './middleware.js';
import { parseRetryAfter } from './retry-after.js';
import {
  DexcomAuthError,
  DexcomBadRequestError,
  type DexcomError,
  type DexcomErrorDetails,
  DexcomForbiddenError,
  DexcomHttpError,
  DexcomNotFoundError,
  DexcomRateLimitError,
  DexcomServerError,
} from './errors.js';

/**
 * Turns a final non-2xx response into the matching {@link DexcomError}: 400/422 bad request, 401
 * auth, 403 forbidden, 404 not found, 429 rate limited (with `retryAfterMs` when the server sent
 * Retry-After), 5xx server, anything else {@link DexcomHttpError}. The raw body (JSON or text) is
 * kept on `body`; the message holds only the operation, the status and the body's short error code.
 *
 * @example
 * const error = await errorFromResponse(new Response('{"error":"too_many_requests"}', { status: 429 }), context);
 * error.code; // 'rate_limited'
 */
export async function errorFromResponse(response: Response, context: CallContext, now: number = Date.now()): Promise<DexcomError> {
  const body = await readBody(response);
  const status = response.status;
  const detail = errorDetail(body);
  const message = `${context.operationId} (${context.method} ${context.pathTemplate}) failed with HTTP ${status}${detail ? `: ${detail}` : ''}`;
  const details: DexcomErrorDetails = {
    status,
    body,
    attempts: context.attempts,
    operationId: context.operationId,
    invocationId: context.invocationId,
  };
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now);
    return new DexcomRateLimitError(message, {
      ...details,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs, retryAt: new Date(now + retryAfterMs) }),
    });
  }
  if (status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now);
    return new DexcomServerError(message, {
      ...details,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs, retryAt: new Date(now + retryAfterMs) }),
    });
  }
  switch (status) {
    case 400:
    case 422:
      return new DexcomBadRequestError(message, details);
    case 401:
      return new DexcomAuthError(message, details);
    case 403:
      return new DexcomForbiddenError(message, details);
    case 404:
      return new DexcomNotFoundError(message, details);
    case 408:
      return new DexcomHttpError(message, { ...details, retryable: true });
    default:
      return new DexcomHttpError(message, details);
  }
}

async function readBody(response: Response): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch {
    return undefined;
  }
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The short, non-sensitive part of an error body: an OAuth-style `error` or a `code`, and only when
 * it looks like a code (`invalid_grant`, `too_many_requests`). Free text (`error_description`,
 * `message`, `faultstring`, a problem's `title`) stays on `body` only, because servers echo request
 * values, ids and tokens in it.
 */
function errorDetail(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  return [record.error, record.code].find((value): value is string => typeof value === 'string' && ERROR_CODE.test(value));
}

/** An error code: a short identifier, no spaces, nothing that could carry a value. */
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
