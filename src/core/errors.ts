import type { AttemptRecord } from './middleware.js';

/**
 * Brand carried by every error of this SDK. A global symbol, so the guard works even when two
 * copies of the package end up in one process (where `instanceof` fails). It sits on the
 * prototype: one lookup for the guard, nothing to copy per error.
 */
const DEXCOM_ERROR_BRAND = Symbol.for('dexcom-api-client.error');

/** Node's hook for `util.inspect` and `console.log`, named by its global symbol so core needs no `node:util`. */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * The extra fields each kind of error carries, by `code`. This interface and {@link DEXCOM_ERROR_KINDS}
 * are the one table of error kinds: every class, its `code`, its default `retryable` and its fields
 * come from them.
 */
export interface DexcomErrorFields {
  validation: {};
  configuration: {};
  bad_request: {};
  unauthorized: {};
  forbidden: {};
  not_found: {};
  redirect: {
    /**
     * Host (and port) of the redirect's `Location`, never its path or query (they may carry a
     * token or a code); `undefined` when the response had no usable `Location`.
     */
    readonly locationHost: string | undefined;
  };
  http: {};
  rate_limited: {
    /** When the server (or the SDK's cool-down after a 429) said a new request may succeed, if known. */
    readonly retryAt: Date | undefined;
  };
  server: {
    /** When the server said a new request may succeed (a `Retry-After` on a 503), if known. */
    readonly retryAt: Date | undefined;
  };
  network: {
    /** False when nothing reached the server (connection refused, DNS failure), so even a POST may be re-sent. Default true. */
    readonly requestSent: boolean;
  };
  timeout: {
    /** `attempt` for the per-attempt timeout, `total` for the call's deadline. */
    readonly scope: 'attempt' | 'total';
    /** The limit that was exceeded, in milliseconds. */
    readonly timeoutMs: number;
  };
  aborted: {};
  circuit_open: {
    /** When the breaker will allow a probe request. */
    readonly retryAt: Date;
  };
  queue_full: {
    /** Queue bound that was reached. */
    readonly maxQueue: number;
  };
  invalid_response: {};
  reauthorization_required: {
    /** Why the user must sign in again. Default `invalid_grant`. */
    readonly reason: ReauthorizationReason;
  };
  environment_mismatch: {
    /** Base URL of the environment that issued the stored tokens. */
    readonly tokenEnvironment: string;
    /** Base URL of the client that was about to use them. */
    readonly clientEnvironment: string;
  };
  token_store: {};
  checkpoint_store: {};
}

/**
 * Why a user must sign in again:
 * - `invalid_grant`: the token endpoint rejected the refresh token or code (revoked, expired, used);
 * - `refresh_answer_lost`: a refresh request reached the server but its answer was lost (a reset,
 *   a timeout, a 5xx after the server rotated the token), and the refresh token was then rejected:
 *   the SDK lost the rotation, the user did not revoke access;
 * - `no_tokens`: nothing is stored for the user (never signed in, or disconnected).
 */
export type ReauthorizationReason = 'invalid_grant' | 'refresh_answer_lost' | 'no_tokens';

/** Machine-readable kind of a {@link DexcomError}: a bounded set, safe as a metrics label. */
export type DexcomErrorCode = keyof DexcomErrorFields;

/** One row of {@link DEXCOM_ERROR_KINDS}. */
export interface DexcomErrorKind<C extends DexcomErrorCode = DexcomErrorCode> {
  /** Public class name, e.g. `DexcomRateLimitError`. */
  readonly className: string;
  /** `retryable` when the thrower does not say: a constant, or a rule over the error's fields. */
  readonly retryable: boolean | ((fields: DexcomErrorFields[C]) => boolean);
  /** Names of the extra fields (see {@link DexcomErrorFields}) and their defaults (`undefined`: none). */
  readonly fields: { readonly [K in keyof DexcomErrorFields[C]]-?: DexcomErrorFields[C][K] | undefined };
}

/**
 * Every kind of error: code -> class name, default `retryable`, extra fields with defaults.
 *
 * `retryable` is the SDK's one rule for "is this failure transient": sending the same call again
 * later may succeed. The retry layer, the circuit breaker and the token refresh all ask
 * `error.retryable` (or {@link isRetryable}) rather than deciding by class or status themselves.
 * In short: throttling (429, a full queue, an open circuit), 5xx (except 501 and 505), 408, dropped
 * connections, attempt timeouts, garbled 2xx bodies and a token store that failed are transient;
 * bad input, 4xx, redirects, aborts, the call's own deadline, a body too large to read and a dead
 * grant are not.
 */
export const DEXCOM_ERROR_KINDS: { readonly [C in DexcomErrorCode]: DexcomErrorKind<C> } = {
  validation: { className: 'DexcomValidationError', retryable: false, fields: {} },
  configuration: { className: 'DexcomConfigurationError', retryable: false, fields: {} },
  bad_request: { className: 'DexcomBadRequestError', retryable: false, fields: {} },
  unauthorized: { className: 'DexcomAuthError', retryable: false, fields: {} },
  forbidden: { className: 'DexcomForbiddenError', retryable: false, fields: {} },
  not_found: { className: 'DexcomNotFoundError', retryable: false, fields: {} },
  redirect: { className: 'DexcomRedirectError', retryable: false, fields: { locationHost: undefined } },
  http: { className: 'DexcomHttpError', retryable: false, fields: {} },
  rate_limited: { className: 'DexcomRateLimitError', retryable: true, fields: { retryAt: undefined } },
  server: { className: 'DexcomServerError', retryable: true, fields: { retryAt: undefined } },
  network: { className: 'DexcomNetworkError', retryable: true, fields: { requestSent: true } },
  timeout: { className: 'DexcomTimeoutError', retryable: (f) => f.scope === 'attempt', fields: { scope: undefined, timeoutMs: undefined } },
  aborted: { className: 'DexcomAbortError', retryable: false, fields: {} },
  circuit_open: { className: 'DexcomCircuitOpenError', retryable: true, fields: { retryAt: undefined } },
  queue_full: { className: 'DexcomQueueFullError', retryable: true, fields: { maxQueue: undefined } },
  invalid_response: { className: 'DexcomInvalidResponseError', retryable: true, fields: {} },
  reauthorization_required: { className: 'DexcomReauthorizationRequiredError', retryable: false, fields: { reason: 'invalid_grant' } },
  environment_mismatch: {
    className: 'DexcomEnvironmentMismatchError',
    retryable: false,
    fields: { tokenEnvironment: undefined, clientEnvironment: undefined },
  },
  token_store: { className: 'DexcomTokenStoreError', retryable: true, fields: {} },
  checkpoint_store: { className: 'DexcomCheckpointStoreError', retryable: true, fields: {} },
};

/** Fields every {@link DexcomError} may carry. */
export interface DexcomErrorDetails {
  /** HTTP status of the final response, when there was one. */
  status?: number;
  /** Every wire attempt of the call, oldest first. */
  attempts?: readonly AttemptRecord[];
  /** Whether sending the same call again later may succeed. Default: the kind's rule in {@link DEXCOM_ERROR_KINDS}. */
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
 * Fields optional when constructing: those that may be `undefined`, and those the table gives a
 * default (`network.requestSent`, true; `reauthorization_required.reason`, `invalid_grant`).
 */
type OptionalKey<C extends DexcomErrorCode, K extends keyof DexcomErrorFields[C]> = undefined extends DexcomErrorFields[C][K]
  ? K
  : C extends 'network' | 'reauthorization_required'
    ? K
    : never;

/** What a constructor of kind `C` takes besides the message: the common details plus its own fields. */
export type DexcomErrorInit<C extends DexcomErrorCode> = DexcomErrorDetails & {
  -readonly [K in keyof DexcomErrorFields[C] as OptionalKey<C, K>]?: Exclude<DexcomErrorFields[C][K], undefined>;
} & {
  -readonly [K in keyof DexcomErrorFields[C] as K extends OptionalKey<C, K> ? never : K]: DexcomErrorFields[C][K];
};

/**
 * Root of every error this SDK throws. Use {@link isDexcomError} to recognise one and `code` to
 * tell the kinds apart (the guard narrows on it); every subclass also works with `instanceof`.
 *
 * `body` holds the raw response body but is not enumerable and is left out of `toJSON()` and
 * `util.inspect`, because servers echo what they were sent into it; read it explicitly.
 *
 * @example
 * try {
 *   await dexcom.getGlucoseReadings(start, end);
 * } catch (error) {
 *   if (isDexcomError(error) && error.code === 'rate_limited') {
 *     console.log(`come back at ${error.retryAt?.toISOString()}`);
 *   }
 * }
 */
export abstract class DexcomError extends Error {
  /** Machine-readable kind of error. */
  readonly code: DexcomErrorCode;
  /**
   * HTTP status of the final response; `undefined` when none arrived or nothing was sent (a
   * network failure, a timeout, an open circuit, a full queue, a rate-limit cool-down that refused
   * the call before sending it, bad input).
   */
  readonly status: number | undefined;
  /** Every wire attempt of the call, oldest first (empty when nothing was sent). */
  readonly attempts: readonly AttemptRecord[];
  /** Whether the same call may succeed if sent again later: the SDK's one "is this transient" rule (see {@link isRetryable}). */
  readonly retryable: boolean;
  /** Milliseconds to wait before trying again, when known. */
  readonly retryAfterMs: number | undefined;
  /** The raw response body (parsed JSON or text), when there was one. Not enumerable, never printed. */
  declare readonly body: unknown;
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
    const kind = DEXCOM_ERROR_KINDS[code] as DexcomErrorKind;
    const fields = kind.fields as Record<string, unknown>;
    for (const field in fields) {
      const value = (details as Record<string, unknown>)[field];
      (this as Record<string, unknown>)[field] = value === undefined ? fields[field] : value;
    }
    this.retryable =
      details.retryable ?? (typeof kind.retryable === 'function' ? kind.retryable(this as never) : kind.retryable);
    this.retryAfterMs = details.retryAfterMs;
    // Not enumerable: pino's `err` serializer, `{ ...error }` and `util.inspect` skip it.
    Object.defineProperty(this, 'body', { value: details.body, writable: true, configurable: true, enumerable: false });
    this.operationId = details.operationId;
    this.invocationId = details.invocationId;
  }

  /** A plain object for logs and JSON APIs: no stack, no cause chain, no body; dates as ISO strings. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
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
    for (const field in DEXCOM_ERROR_KINDS[this.code].fields) {
      const value = (this as Record<string, unknown>)[field];
      out[field] = value instanceof Date ? value.toISOString() : value;
    }
    return out;
  }

  /** `util.inspect` / `console.log`: Node's own rendering, but never the raw body, even with `showHidden`. */
  [INSPECT](_depth: number, options: Record<string, unknown>, inspect: (value: unknown, options: Record<string, unknown>) => string): string {
    return inspect(this, { ...options, showHidden: false, customInspect: false });
  }
}

Object.defineProperty(DexcomError.prototype, DEXCOM_ERROR_BRAND, { value: true });

/** The constructor arguments of kind `C`: the details may be left out when none of its fields is required. */
type KindArgs<C extends DexcomErrorCode> = {} extends DexcomErrorInit<C>
  ? [message: string, details?: DexcomErrorInit<C>]
  : [message: string, details: DexcomErrorInit<C>];

/** Instance type of the class of kind `C`: `code` narrowed to `C`, plus its fields. */
type KindInstance<C extends DexcomErrorCode> = DexcomError & { readonly code: C } & DexcomErrorFields[C];

/** The base class of one kind, built from its row of {@link DEXCOM_ERROR_KINDS}. */
function errorKind<C extends DexcomErrorCode>(code: C): abstract new (...args: KindArgs<C>) => KindInstance<C> {
  abstract class Kind extends DexcomError {
    constructor(message: string, details: DexcomErrorDetails = {}) {
      super(code, message, details);
    }
  }
  return Kind as unknown as abstract new (...args: KindArgs<C>) => KindInstance<C>;
}

/** Input was rejected before any request was sent (invalid date, end before start, a correlation id with CR/LF, ...). */
export class DexcomValidationError extends errorKind('validation') {}

/** Options passed to a constructor were invalid; the message shows a correct example. */
export class DexcomConfigurationError extends errorKind('configuration') {}

/** The server answered 400 (or 422): the request was malformed. Not retryable. */
export class DexcomBadRequestError extends errorKind('bad_request') {}

/** The server answered 401: the access token is missing, expired or revoked. */
export class DexcomAuthError extends errorKind('unauthorized') {}

/** The server answered 403: the app may not read this user's data, region or scope. */
export class DexcomForbiddenError extends errorKind('forbidden') {}

/** The server answered 404. */
export class DexcomNotFoundError extends errorKind('not_found') {}

/**
 * The server answered a redirect (301, 302, 303, 307, 308). The SDK never follows one: the Dexcom
 * API does not redirect its calls, and following could carry the bearer token or a form's secrets
 * to another host. `locationHost` names where it pointed (host only); not retryable.
 */
export class DexcomRedirectError extends errorKind('redirect') {}

/** Any other non-2xx answer without a more specific class (e.g. 304, 405, 409; 408 is retryable). */
export class DexcomHttpError extends errorKind('http') {}

/**
 * The server answered 429, or the SDK will not wait as long as asked within the call's deadline.
 * `retryAfterMs` and `retryAt` say when to come back, when known.
 *
 * `status` is 429 when this call's own request got the 429; it is `undefined` when nothing was
 * sent: the rate limiter was cooling down after an earlier 429 (of any call, or of another process
 * sharing the store) past this call's deadline.
 */
export class DexcomRateLimitError extends errorKind('rate_limited') {}

/** The server answered 5xx (retryable, except 501 and 505). */
export class DexcomServerError extends errorKind('server') {}

/**
 * No response arrived: DNS, connection refused or reset, TLS, or the body broke mid-stream.
 * `requestSent` is false only when the connection was refused before anything was written.
 */
export class DexcomNetworkError extends errorKind('network') {}

/** A timeout fired: `scope` says whether one attempt (retryable) or the whole call (not) ran out of time. */
export class DexcomTimeoutError extends errorKind('timeout') {}

/** The caller's AbortSignal fired. Never retried. */
export class DexcomAbortError extends errorKind('aborted') {}

/** The circuit breaker is open: no request was sent. `retryAt` says when it will let a probe through. */
export class DexcomCircuitOpenError extends errorKind('circuit_open') {}

/** The rate limiter's queue is full: the call was rejected at once instead of piling up (backpressure). */
export class DexcomQueueFullError extends errorKind('queue_full') {}

/**
 * A 2xx response whose body could not be read as the JSON the spec promises (truncated, HTML, ...):
 * retryable. A body too large to read (over 512 MB) is not.
 */
export class DexcomInvalidResponseError extends errorKind('invalid_response') {}

/** The user must sign in again; `reason` says why (see {@link ReauthorizationReason}). */
export class DexcomReauthorizationRequiredError extends errorKind('reauthorization_required') {}

/**
 * Stored tokens were issued by another environment (base URL) than the one this client talks to.
 * Thrown before anything is sent, so a token never reaches a server that did not issue it.
 */
export class DexcomEnvironmentMismatchError extends errorKind('environment_mismatch') {}

/**
 * The token store failed (threw) while reading or saving a user's tokens. When it failed to save
 * refreshed tokens, the client keeps them in memory, never uses them unsaved, and saves them first
 * on the user's next call; `retryable` is true.
 */
export class DexcomTokenStoreError extends errorKind('token_store') {}

/**
 * A checkpoint store failed while reading or saving a sync checkpoint (connection refused or
 * dropped, a failed statement). A failed save leaves the previous checkpoint in place, so the next
 * sync resumes from it and delivers the unsaved window again; `retryable` is true.
 */
export class DexcomCheckpointStoreError extends errorKind('checkpoint_store') {}

/**
 * Any error this SDK throws, as a union discriminated by `code`: `switch (error.code)` narrows to
 * the class (and its fields) and can be checked for exhaustiveness.
 *
 * @example
 * function describe(error: AnyDexcomError): string {
 *   switch (error.code) {
 *     case 'rate_limited': return `retry at ${error.retryAt?.toISOString()}`;
 *     case 'timeout': return `${error.scope} timeout after ${error.timeoutMs} ms`;
 *     default: return error.message;
 *   }
 * }
 */
export type AnyDexcomError =
  | DexcomValidationError
  | DexcomConfigurationError
  | DexcomBadRequestError
  | DexcomAuthError
  | DexcomForbiddenError
  | DexcomNotFoundError
  | DexcomRedirectError
  | DexcomHttpError
  | DexcomRateLimitError
  | DexcomServerError
  | DexcomNetworkError
  | DexcomTimeoutError
  | DexcomAbortError
  | DexcomCircuitOpenError
  | DexcomQueueFullError
  | DexcomInvalidResponseError
  | DexcomReauthorizationRequiredError
  | DexcomEnvironmentMismatchError
  | DexcomTokenStoreError
  | DexcomCheckpointStoreError;

/**
 * True when `value` is an error thrown by this SDK (any copy of it). Narrows to {@link AnyDexcomError},
 * so checking `code` narrows further to the class.
 *
 * @example
 * if (isDexcomError(error) && error.code === 'rate_limited') console.log(error.retryAt);
 */
export function isDexcomError(value: unknown): value is AnyDexcomError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEXCOM_ERROR_BRAND] === true;
}

/**
 * The SDK's one rule for "is this failure transient": a DexcomError whose `retryable` is true
 * (see {@link DEXCOM_ERROR_KINDS} for the defaults). Anything that is not a DexcomError is not.
 *
 * @example
 * if (isRetryable(error)) scheduleAgain(job, (isDexcomError(error) && error.retryAfterMs) || 60_000);
 */
export function isRetryable(error: unknown): boolean {
  return isDexcomError(error) && error.retryable;
}
