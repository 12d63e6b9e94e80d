/**
 * Errors of the relay's library API. Each carries the HTTP status the management API answers with
 * (as `application/problem+json`), and validation errors name the offending `field` and a short
 * machine-readable `reason`. Messages never contain a token, secret, code, state or API key.
 */

/** Brand shared by every relay error, so the guard works across two copies of the package. */
const RELAY_ERROR_BRAND = Symbol.for('dexcom-api-client.relay-error');

/** Machine-readable kind of a {@link RelayError}. */
export type RelayErrorCode = 'relay_validation' | 'relay_not_found' | 'relay_conflict' | 'relay_oauth_state' | 'relay_sign_in';

/** Options of the relay error constructors. */
export interface RelayErrorDetails {
  /** The input field at fault, as a path such as `url` or `events[1]`. */
  readonly field?: string;
  /** Short code of what is wrong, such as `format`, `ssrf_refused`, `expired`. */
  readonly reason?: string;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/**
 * Root of the relay's errors; `status` is the HTTP status the management API answers with.
 *
 * @example
 * try { await relay.subscriptions.create({ url }); } catch (e) { if (isRelayError(e)) console.log(e.status, e.field, e.reason); }
 */
export class RelayError extends Error {
  readonly code: RelayErrorCode;
  /** HTTP status for the management API: 400, 404 or 409. */
  readonly status: number;
  readonly field: string | undefined;
  readonly reason: string | undefined;

  constructor(code: RelayErrorCode, status: number, message: string, details: RelayErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.field = details.field;
    this.reason = details.reason;
    Object.defineProperty(this, RELAY_ERROR_BRAND, { value: true });
  }
}

/**
 * Bad input (400): `field` names it, `reason` says why (`ssrf_refused` for a URL the SSRF guard refuses).
 *
 * @example
 * throw new RelayValidationError('url must be an http(s) URL', { field: 'url', reason: 'format' });
 */
export class RelayValidationError extends RelayError {
  constructor(message: string, details: RelayErrorDetails = {}) {
    super('relay_validation', 400, message, details);
  }
}

/**
 * No such connection or subscription (404).
 *
 * @example
 * throw new RelayNotFoundError('No subscription with this id');
 */
export class RelayNotFoundError extends RelayError {
  constructor(message: string, details: RelayErrorDetails = {}) {
    super('relay_not_found', 404, message, details);
  }
}

/**
 * The request conflicts with the current state (409).
 *
 * @example
 * throw new RelayConflictError('The subscription was deleted meanwhile');
 */
export class RelayConflictError extends RelayError {
  constructor(message: string, details: RelayErrorDetails = {}) {
    super('relay_conflict', 409, message, details);
  }
}

/**
 * The OAuth callback's `state` is unknown, expired or already used (400); nothing was stored.
 * `reason` is `unknown`, `expired` or `used`.
 *
 * @example
 * throw new RelayOAuthStateError('expired');
 */
export class RelayOAuthStateError extends RelayError {
  constructor(reason: 'unknown' | 'expired' | 'used') {
    super('relay_oauth_state', 400, `The sign-in state is ${reason === 'used' ? 'already used' : reason}: start the sign-in again`, { field: 'state', reason });
  }
}

/**
 * Dexcom refused the sign-in code (used, expired or for another redirect URI) (400); nothing was stored.
 *
 * @example
 * throw new RelayOAuthCodeError({ cause: error });
 */
export class RelayOAuthCodeError extends RelayError {
  constructor(details: RelayErrorDetails = {}) {
    super('relay_sign_in', 400, 'Dexcom refused the sign-in code: start the sign-in again', { field: 'code', reason: 'refused', ...details });
  }
}

/**
 * True for any {@link RelayError}, by brand (works across package copies).
 *
 * @example
 * if (isRelayError(error) && error.code === 'relay_validation') reply.code(400);
 */
export function isRelayError(value: unknown): value is RelayError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[RELAY_ERROR_BRAND] === true;
}
