import { DexcomInvalidResponseError } from '../core/errors.js';
import type { TokenSet } from './token-record.js';

/**
 * Access-token lifetime assumed when a response has no usable `expires_in`: Dexcom's documented
 * 2 hours. A wrong guess costs at most one 401, which refreshes and re-sends.
 *
 * @example
 * const expiresAt = Date.now() + DEFAULT_EXPIRES_IN_SECONDS * 1_000;
 */
export const DEFAULT_EXPIRES_IN_SECONDS = 7_200;

/**
 * Where a token response came from, for the error message (never a token).
 *
 * @example
 * const context: TokenResponseContext = { operationId: 'postToken', previousRefreshToken: sentRefreshToken };
 */
export interface TokenResponseContext {
  /** OpenAPI operationId of the token call (`postToken` or `postTokenV3`). */
  readonly operationId: string;
  /**
   * The refresh token that was sent, kept when the response carries none (RFC 6749 lets a server
   * skip issuing a new one on refresh). Absent for the code exchange, which must return one.
   */
  readonly previousRefreshToken?: string;
  /** When the response arrived (epoch ms). Default `Date.now()`. */
  readonly now?: number;
}

/**
 * Reads a successful token response leniently: unknown and Keycloak-style fields
 * (`refresh_expires_in`, `not-before-policy`, `session_state`, ...) are ignored, `expires_in` may be
 * a number or a numeric string in **seconds** (7200 = 2 h; Dexcom's swagger says milliseconds, its
 * value only makes sense as seconds) and becomes an absolute `expiresAt`; a missing, zero or
 * unreadable `expires_in` counts as {@link DEFAULT_EXPIRES_IN_SECONDS}.
 *
 * @throws DexcomInvalidResponseError when `access_token` (or, for a code exchange, `refresh_token`)
 * is missing. The message names the missing field only: the body holds live tokens.
 * @example
 * const tokens = parseTokenResponse({ access_token: 'a', refresh_token: 'r', expires_in: 7200 }, { operationId: 'postToken' });
 */
export function parseTokenResponse(body: unknown, context: TokenResponseContext): TokenSet {
  const now = context.now ?? Date.now();
  const json = typeof body === 'string' ? safeParse(body) : body;
  const record = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const accessToken = nonEmptyString(record.access_token);
  const refreshToken = nonEmptyString(record.refresh_token) ?? context.previousRefreshToken;
  if (accessToken === undefined || refreshToken === undefined) {
    const missing = accessToken === undefined ? 'access_token' : 'refresh_token';
    throw new DexcomInvalidResponseError(`${context.operationId} answered 2xx without a usable ${missing}`, {
      operationId: context.operationId,
      retryable: false,
    });
  }
  return { accessToken, refreshToken, expiresAt: now + expiresInSeconds(record.expires_in) * 1_000 };
}

function expiresInSeconds(value: unknown): number {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_EXPIRES_IN_SECONDS;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
