import type { AttemptRecord } from './middleware.js';

/**
 * Brand carried by every error of this SDK. A global symbol, so the guard works even when two
 * copies of the package end up in one process (where `instanceof` fails).
 */
const DEXCOM_ERROR_BRAND = Symbol.for('dexcom-api-client.error');

/** Machine-readable kind of a {@link DexcomError}. */
export type DexcomErrorCode =
  | 'validation'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'http'
  | 'rate_limited'
  | 'server'
  | 'network'
  | 'timeout'
  | 'aborted'
  | 'circuit_open'
  | 'queue_full'
  | 'invalid_response'
  | 'reauthorization_required'
  | 'environment_mismatch'
  | 'token_store'
  | 'configuration';

/** Fields every {@link DexcomError} may carry. */
export interface DexcomErrorDetails {
  /** HTTP status of the final response, when there was one. */
  status?: number;
  /** Every wire attempt of the call, oldest first. */
  attempts?: readonly AttemptRecord[];
  /** Whether sending the same call again later may succeed. */
  retryable?: boolean;
  /** How long to wait before trying again, when the server or the SDK knows. */
  retryAfterMs?: number;
  /** The raw response body: parsed JSON when it was JSON, else the text. */
  body?: unknown;
  /** OpenAPI operationId of the failed call. */
  operationId?: string;
  /** Correlation id of the failed call (stable across retries). */
  invocationId?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * Root of every error this SDK throws. Use {@link isDexcomError} to recognise one and `code` to
 * tell the kinds apart; every subclass also works with `instanceof`.
 *
 * @example
 * try {
 *   await dexcom.getGlucoseReadings(start, end);
 * } catch (error) {
 *   if (isDexcomError(error) && error.code === 'rate_limited') {
 *     console.log(`come back in ${error.retryAfterMs} ms`);
 *   }
 * }
 */
export class DexcomError extends Error {
  /** Machine-readable kind of error. */
  readonly code: DexcomErrorCode;
  /** HTTP status of the final response, when there was one. */
  readonly status: number | undefined;
  /** Every wire attempt of the call, oldest first (empty when nothing was sent). */
  readonly attempts: readonly AttemptRecord[];
  /** Whether the same call may succeed if sent again later. */
  readonly retryable: boolean;
  /** Milliseconds to wait before trying again, when known. */
  readonly retryAfterMs: number | undefined;
  /** The raw response body (parsed JSON or text), when there was one. */
  readonly body: unknown;
  /** OpenAPI operationId of the failed call. */
  readonly operationId: string | undefined;
  /** Correlation id of the failed call. */
  readonly invocationId: string | undefined;

  constructor(code: DexcomErrorCode, message: string, details: DexcomErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = details.status;
    this.attempts = details.attempts ?? [];
    this.retryable = details.retryable ?? false;
    this.retryAfterMs = details.retryAfterMs;
    this.body = details.body;
    this.operationId = details.operationId;
    this.invocationId = details.invocationId;
    Object.defineProperty(this, DEXCOM_ERROR_BRAND, { value: true });
  }

  /** A plain object for logs and JSON APIs (no stack, no cause chain). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      status: this.status,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      operationId: this.operationId,
      invocationId: this.invocationId,
      attempts: this.attempts,
    };
  }
}

/**
 * True when `value` is an error thrown by this SDK (any copy of it).
 *
 * @example
 * if (isDexcomError(error)) console.log(error.code, error.status);
 */
export function isDexcomError(value: unknown): value is DexcomError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEXCOM_ERROR_BRAND] === true;
}

/** Input was rejected before any request was sent (invalid date, end before start, ...). */
export class DexcomValidationError extends DexcomError {
  constructor(message: string, details: DexcomErrorDetails = {}) {
    super('validation', message, details);
  }
}

/** Options passed to a constructor were invalid; the message shows a correct example. */
export class DexcomConfigurationError extends DexcomError {
  constructor(message: string) {
    super('configuration', message);
  }
}

/** The server answered 400 (or 422): the request was malformed. Not retryable. */
export class DexcomBadRequestError extends DexcomError {
  constructor(message: string, details: DexcomErrorDetails = {}) {
    super('bad_request', message, details);
  }
}

/** The server answered 401: the access token is missing, expired or revoked. */
export class DexcomAuthError extends DexcomError {
  constructor(message: string, details: DexcomErrorDetails = {}) {
    super('unauthorized', message, details);
  }
}

/** The server answered 403: the app may not read this user's data, region or scope. */
export class DexcomForbiddenError extends DexcomError {
  constructor(message: string, details: DexcomErrorDetails = {}) {
    super('forbidden', message, details);
  }
}

/** The server answered 404. */
export class DexcomNotFoundError extends DexcomError {
  constructor(message: string, details: DexcomErrorDetails = {}) {
    super('not_found', message, details);
  }
}

/** Any other non-2xx answer without a more specific class (e.g. 405, 409, 3xx). */
export class DexcomHttpError extends DexcomError {
  constructor(message: string, details: DexcomErrorDetails = {}) {
    super('http', message, details);
  }
}

/**
 * The server answered 429, or the SDK will not wait as long as the server asked within the call's
 * deadline. `retryAfterMs` and `retryAt` say when to come back, when known.
 */
export class DexcomRateLimitError extends DexcomError {
  /** When the server said a new request may succeed, if known. */
  readonly retryAt: Date | undefined;
  constructor(message: string, details: DexcomErrorDetails & { retryAt?: Date } = {}) {
    super('rate_limited', message, { retryable: true, ...details });
    this.retryAt = details.retryAt;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAt: this.retryAt?.toISOString() };
  }
}

/** The server answered 5xx. */
export class DexcomServerError extends DexcomError {
  /** When the server said a new request may succeed (a `Retry-After` on a 503), if known. */
  readonly retryAt: Date | undefined;
  constructor(message: string, details: DexcomErrorDetails & { retryAt?: Date } = {}) {
    super('server', message, { retryable: true, ...details });
    this.retryAt = details.retryAt;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAt: this.retryAt?.toISOString() };
  }
}

/**
 * No response arrived: DNS, connection refused or reset, TLS, or the body broke mid-stream.
 * `requestSent` is false only when the connection was refused before anything was written.
 */
export class DexcomNetworkError extends DexcomError {
  /** False when nothing reached the server (connection refused), so even a POST may be re-sent. */
  readonly requestSent: boolean;
  constructor(message: string, details: DexcomErrorDetails & { requestSent?: boolean } = {}) {
    super('network', message, { retryable: true, ...details });
    this.requestSent = details.requestSent ?? true;
  }
}

/** A timeout fired: `scope` says whether one attempt or the whole call ran out of time. */
export class DexcomTimeoutError extends DexcomError {
  /** `attempt` for the per-attempt timeout, `total` for the call's deadline. */
  readonly scope: 'attempt' | 'total';
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;
  constructor(message: string, details: DexcomErrorDetails & { scope: 'attempt' | 'total'; timeoutMs: number }) {
    super('timeout', message, { retryable: details.scope === 'attempt', ...details });
    this.scope = details.scope;
    this.timeoutMs = details.timeoutMs;
  }
}

/** The caller's AbortSignal fired. Never retried. */
export class DexcomAbortError extends DexcomError {
  constructor(message: string, details: DexcomErrorDetails = {}) {
    super('aborted', message, { retryable: false, ...details });
  }
}

/** The circuit breaker is open: no request was sent. `retryAt` says when it will let a probe through. */
export class DexcomCircuitOpenError extends DexcomError {
  /** When the breaker will allow a probe request. */
  readonly retryAt: Date;
  constructor(message: string, details: DexcomErrorDetails & { retryAt: Date }) {
    super('circuit_open', message, { retryable: true, ...details });
    this.retryAt = details.retryAt;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAt: this.retryAt.toISOString() };
  }
}

/** The rate limiter's queue is full: the call was rejected at once instead of piling up (backpressure). */
export class DexcomQueueFullError extends DexcomError {
  /** Queue bound that was reached. */
  readonly maxQueue: number;
  constructor(message: string, details: DexcomErrorDetails & { maxQueue: number }) {
    super('queue_full', message, { retryable: true, ...details });
    this.maxQueue = details.maxQueue;
  }
}

/** A 2xx response whose body could not be read as the JSON the spec promises (truncated, HTML, ...). */
export class DexcomInvalidResponseError extends DexcomError {
  constructor(message: string, details: DexcomErrorDetails = {}) {
    super('invalid_response', message, { retryable: true, ...details });
  }
}

/** The refresh token was rejected (`invalid_grant`): the user must sign in again. */
export class DexcomReauthorizationRequiredError extends DexcomError {
  constructor(message: string, details: DexcomErrorDetails = {}) {
    super('reauthorization_required', message, { retryable: false, ...details });
  }
}

/**
 * Stored tokens were issued by another environment (base URL) than the one this client talks to.
 * Thrown before anything is sent, so a token never reaches a server that did not issue it.
 */
export class DexcomEnvironmentMismatchError extends DexcomError {
  /** Base URL of the environment that issued the stored tokens. */
  readonly tokenEnvironment: string;
  /** Base URL of the client that was about to use them. */
  readonly clientEnvironment: string;
  constructor(message: string, details: DexcomErrorDetails & { tokenEnvironment: string; clientEnvironment: string }) {
    super('environment_mismatch', message, { retryable: false, ...details });
    this.tokenEnvironment = details.tokenEnvironment;
    this.clientEnvironment = details.clientEnvironment;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), tokenEnvironment: this.tokenEnvironment, clientEnvironment: this.clientEnvironment };
  }
}

/**
 * The token store failed (threw) while reading or saving a user's tokens. When it failed to save
 * refreshed tokens, the client keeps them in memory, never uses them unsaved, and saves them first
 * on the user's next call; `retryable` is true.
 */
export class DexcomTokenStoreError extends DexcomError {
  constructor(message: string, details: DexcomErrorDetails = {}) {
    super('token_store', message, { retryable: true, ...details });
  }
}
