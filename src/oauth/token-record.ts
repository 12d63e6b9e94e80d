import { DexcomValidationError, type ReauthorizationReason } from '../core/errors.js';

/**
 * Tokens fresh from the token endpoint, with `expires_in` already turned into an absolute time.
 *
 * @example
 * const tokens: TokenSet = { accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 7_200_000 };
 */
export interface TokenSet {
  /** Bearer token for the data endpoints. */
  readonly accessToken: string;
  /** The refresh token to use next; the one sent to get it is dead from now on (rotation). */
  readonly refreshToken: string;
  /** When the access token expires (epoch ms). */
  readonly expiresAt: number;
}

/**
 * What a {@link TokenStore} keeps per user. `version` grows by one with every write, so two writers
 * can never both replace the same record (compare-and-set).
 *
 * @example
 * const record: TokenRecord = {
 *   accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 7_200_000,
 *   environment: 'https://sandbox-api.dexcom.com', version: 1, reauthorizationRequired: false, updatedAt: Date.now(),
 * };
 */
export interface TokenRecord extends TokenSet {
  /** Base URL of the environment that issued the tokens, e.g. `https://api.dexcom.com`. */
  readonly environment: string;
  /** 1 for the first record of a user, then +1 per write. */
  readonly version: number;
  /**
   * True once the refresh token was rejected (`invalid_grant`): calls fail fast with
   * `DexcomReauthorizationRequiredError` until new tokens from a sign-in are saved. The token
   * fields are then empty.
   */
  readonly reauthorizationRequired: boolean;
  /** When the access token was issued (epoch ms): the sign-in or refresh that produced this record. */
  readonly updatedAt: number;
  /** `'refresh_token'` when a refresh produced these tokens, `'authorization_code'` (or absent) for a sign-in. */
  readonly grant?: 'authorization_code' | 'refresh_token';
  /**
   * Set (epoch ms) when a refresh request carrying this record's refresh token may have reached
   * the server but no answer came back (a reset, a timeout, a 5xx): the server may have rotated
   * the token. The next refresh tries the same refresh token once more; if the server rejects it,
   * the user is marked with reason `refresh_answer_lost` instead of `invalid_grant`.
   */
  readonly refreshAnswerLostAt?: number;
  /** On a record marked `reauthorizationRequired`: why. Absent on older records (read as `invalid_grant`). */
  readonly reauthorizationReason?: ReauthorizationReason;
}

/**
 * Checks that `value` is a {@link TokenRecord} (for stores reading from disk or a database).
 * Messages name the field, never a token value.
 *
 * @throws DexcomValidationError when a field is missing or has the wrong type.
 * @example
 * const record = parseTokenRecord(JSON.parse(text).users['patient-42'], 'tokens.json');
 */
export function parseTokenRecord(value: unknown, where: string): TokenRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DexcomValidationError(`${where}: a token record must be an object`);
  }
  const v = value as Record<string, unknown>;
  const flagged = v.reauthorizationRequired;
  if (typeof flagged !== 'boolean') throw invalid(where, 'reauthorizationRequired', 'a boolean');
  for (const field of ['accessToken', 'refreshToken'] as const) {
    // A record marked for re-authorization holds no tokens: they are dead, so they are not kept.
    if (typeof v[field] !== 'string' || (!flagged && v[field] === '')) throw invalid(where, field, 'a non-empty string');
  }
  if (typeof v.environment !== 'string' || !/^https?:\/\//.test(v.environment)) throw invalid(where, 'environment', 'a base URL');
  if (!Number.isSafeInteger(v.version) || (v.version as number) < 1) throw invalid(where, 'version', 'an integer from 1');
  for (const field of ['expiresAt', 'updatedAt'] as const) {
    if (typeof v[field] !== 'number' || !Number.isFinite(v[field])) throw invalid(where, field, 'a time in epoch milliseconds');
  }
  if (v.grant !== undefined && v.grant !== 'authorization_code' && v.grant !== 'refresh_token') throw invalid(where, 'grant', "'authorization_code' or 'refresh_token'");
  if (v.refreshAnswerLostAt !== undefined && (typeof v.refreshAnswerLostAt !== 'number' || !Number.isFinite(v.refreshAnswerLostAt))) {
    throw invalid(where, 'refreshAnswerLostAt', 'a time in epoch milliseconds');
  }
  const reason = v.reauthorizationReason;
  if (reason !== undefined && reason !== 'invalid_grant' && reason !== 'refresh_answer_lost' && reason !== 'no_tokens') {
    throw invalid(where, 'reauthorizationReason', "'invalid_grant', 'refresh_answer_lost' or 'no_tokens'");
  }
  return {
    accessToken: v.accessToken as string,
    refreshToken: v.refreshToken as string,
    expiresAt: v.expiresAt as number,
    environment: v.environment as string,
    version: v.version as number,
    reauthorizationRequired: flagged,
    updatedAt: v.updatedAt as number,
    ...(v.grant === undefined ? {} : { grant: v.grant }),
    ...(v.refreshAnswerLostAt === undefined ? {} : { refreshAnswerLostAt: v.refreshAnswerLostAt as number }),
    ...(reason === undefined ? {} : { reauthorizationReason: reason }),
  };
}

/**
 * Throws unless `next.version` is `expectedVersion + 1` (1 for a first record): the rule every
 * {@link TokenStore} enforces so versions only ever grow.
 *
 * @example
 * assertNextVersion(current?.version, next);
 */
export function assertNextVersion(expectedVersion: number | undefined, next: TokenRecord): void {
  const wanted = (expectedVersion ?? 0) + 1;
  if (next.version !== wanted) {
    throw new DexcomValidationError(`A token record replacing version ${expectedVersion ?? 'none'} must have version ${wanted} (got ${next.version})`);
  }
}

function invalid(where: string, field: string, expected: string): DexcomValidationError {
  return new DexcomValidationError(`${where}: token record field ${field} must be ${expected}`);
}
