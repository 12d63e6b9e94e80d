import type { CallContext } from './middleware.js';
import { retryAfterOf } from './retry-after.js';
import {
  DexcomAuthError,
  DexcomBadRequestError,
  type DexcomError,
  type DexcomErrorDetails,
  DexcomForbiddenError,
  DexcomHttpError,
  DexcomNotFoundError,
  DexcomRateLimitError,
  DexcomRedirectError,
  DexcomServerError,
} from './errors.js';

/**
 * Turns a final non-2xx response into the matching {@link DexcomError}: a redirect
 * {@link DexcomRedirectError} (never followed; `locationHost` only), 400/422 bad request, 401 auth,
 * 403 forbidden, 404 not found, 429 rate limited and 5xx server (both with `retryAfterMs` and
 * `retryAt` when the server sent Retry-After), anything else {@link DexcomHttpError} (retryable for
 * 408 only). The raw body (JSON or text) is kept on `body`; the message holds only the operation,
 * the status and the body's error code when it looks like one (see {@link errorCodeOf}).
 *
 * @example
 * const error = await errorFromResponse(new Response('{"error":"too_many_requests"}', { status: 429 }), context);
 * error.code; // 'rate_limited'
 */
export async function errorFromResponse(response: Response, context: CallContext, now: number = Date.now()): Promise<DexcomError> {
  const body = await readBody(response);
  const status = response.status;
  const code = errorCodeOf(body);
  const what = `${context.operationId} (${context.method} ${context.pathTemplate})`;
  const details: DexcomErrorDetails = {
    status,
    body,
    attempts: context.attempts,
    operationId: context.operationId,
    invocationId: context.invocationId,
  };
  if (REDIRECTS.has(status)) {
    const locationHost = hostOf(response.headers.get('location'), context.sentRequest?.url);
    return new DexcomRedirectError(
      `${what} answered HTTP ${status}, a redirect${locationHost ? ` to ${locationHost}` : ''} the SDK does not follow`,
      { ...details, locationHost },
    );
  }
  const message = `${what} failed with HTTP ${status}${code ? `: ${code}` : ''}`;
  if (status === 429 || status >= 500) {
    const retryAfterMs = retryAfterOf(response, now);
    const retry = retryAfterMs === undefined ? {} : { retryAfterMs, retryAt: new Date(now + retryAfterMs) };
    return status === 429
      ? new DexcomRateLimitError(message, { ...details, ...retry })
      : new DexcomServerError(message, { ...details, ...retry, retryable: !PERMANENT_SERVER_STATUSES.has(status) });
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
    default:
      return new DexcomHttpError(message, { ...details, retryable: status === 408 });
  }
}

/** Statuses that redirect to `Location`. 304 is not one: it answers a conditional request, which the SDK never sends. */
const REDIRECTS: ReadonlySet<number> = new Set([300, 301, 302, 303, 307, 308]);

/** 5xx statuses that say the server will not do this at all, rather than not now. */
const PERMANENT_SERVER_STATUSES: ReadonlySet<number> = new Set([501, 505]);

/** Host (and port) of a `Location`, resolved against the request; never its path or query. */
function hostOf(location: string | null, requestUrl: string | undefined): string | undefined {
  if (!location) return undefined;
  try {
    return new URL(location, requestUrl).host || undefined;
  } catch {
    return undefined;
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
 * Error codes servers are known to answer with: RFC 6749 §5.2 and §4.1.2.1, RFC 6750 §3.1, and
 * the codes Dexcom's APIs use (mixed case, so the lower-case pattern alone would miss them).
 */
const KNOWN_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
  'unsupported_response_type',
  'server_error',
  'temporarily_unavailable',
  'invalid_token',
  'insufficient_scope',
  'InvalidClient',
  'InvalidGrant',
  'InvalidRequest',
  'UnauthorizedClient',
  'UnsupportedGrantType',
  'SessionIdNotFound',
  'SessionNotValid',
  'AccountPasswordInvalid',
  'SSO_AuthenticateMaxAttemptsExceeded',
  'SSO_InternalError',
  'InvalidArgument',
]);

/**
 * Anything else counts as a code only when it looks like one: short, lower case, no spaces. A
 * token, a code the server echoes or free text never matches (JWTs and opaque tokens carry upper
 * case or are longer), and values the SDK sent are also scrubbed from every error afterwards.
 */
const CODE_PATTERN = /^[a-z][a-z0-9_.-]{0,40}$/;

/**
 * The short, non-sensitive part of an error body: its `error` or `code` field (Dexcom's `Code`
 * too), and only when it is a known code or looks like one (`invalid_grant`, `too_many_requests`).
 * Free text (`error_description`, `message`, `faultstring`, a problem's `title`) stays on `body`
 * only, because servers echo request values, ids and tokens in it.
 *
 * @example
 * errorCodeOf({ error: 'invalid_grant', error_description: 'token abc expired' }); // 'invalid_grant'
 * errorCodeOf({ error: 'eyJhbGciOiJIUzI1NiJ9.e30.sig' });                          // undefined
 */
export function errorCodeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  for (const value of [record.error, record.code, record.Code]) {
    if (typeof value === 'string' && (KNOWN_ERROR_CODES.has(value) || CODE_PATTERN.test(value))) return value;
  }
  return undefined;
}
