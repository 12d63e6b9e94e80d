import { randomUUID } from 'node:crypto';
import type { DexcomApi } from '../../generated/sdk.gen.js';
import { raceAbort } from '../../plugins/abort.js';
import type { IssuedToken, TokenSource } from '../core/token-source.js';
import {
  DexcomConfigurationError,
  DexcomReauthorizationRequiredError,
  isDexcomError,
  type ReauthorizationReason,
} from '../core/errors.js';
import type { PipelineEvents } from '../core/events.js';
import type { CallContext } from '../core/middleware.js';
import { assertUserKey } from '../user-key.js';
import { assertRedirectUri, type AuthorizationRequest, buildAuthorizationUrl } from './authorization-url.js';
import type { ResolvedOAuthOptions } from './oauth-options.js';
import { DexcomRefreshLockTimeoutError } from './refresh-lock.js';
import { refreshDueAt } from './refresh-schedule.js';
import { SingleFlight } from './single-flight.js';
import { exchangeAuthorizationCode, refreshAccessToken } from './token-endpoint.js';
import { StoredTokens } from './stored-tokens.js';
import type { TokenRecord, TokenSet } from './token-record.js';

/**
 * What {@link DexcomOAuth} needs from its client (`DexcomApiClient` builds it for you).
 *
 * @example
 * const oauth = new DexcomOAuth({ api: createTokenApi({ baseUrl, events, userAgent, retry }), events, baseUrl, options: resolveOAuthOptions(settings) });
 */
export interface DexcomOAuthConfig {
  /** Generated operations for the token calls: the client builds them over their own small pipeline (`createTokenApi`). */
  readonly api: DexcomApi;
  /** The client's event bus. */
  readonly events: PipelineEvents;
  /** The client's base URL: the environment its tokens belong to. */
  readonly baseUrl: string;
  /** Validated `oauth` options. */
  readonly options: ResolvedOAuthOptions;
  /** Clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A user's connection state, without any token.
 *
 * @example
 * const { connected, reauthorizationRequired, expiresAt } = await dexcom.oauth.status('patient-42');
 */
export interface TokenStatus {
  /** True when tokens are stored for this client's environment and usable (or refreshable). */
  readonly connected: boolean;
  /** True when the refresh token was rejected: the user must sign in again. */
  readonly reauthorizationRequired: boolean;
  /**
   * Why the user must sign in again, when `reauthorizationRequired`: `invalid_grant` (revoked,
   * expired or used elsewhere), `refresh_answer_lost` (a refresh answer was lost and the server had
   * rotated the token: not the user's doing) or `no_tokens` (dropped).
   */
  readonly reauthorizationReason: ReauthorizationReason | undefined;
  /**
   * Set when the last refresh may have reached the server but its answer was lost: the refresh
   * token may be dead. The next refresh tries it once; `invalid_grant` then means
   * `refresh_answer_lost`, success clears this.
   */
  readonly refreshAnswerLostAt: Date | undefined;
  /** When the stored access token expires. */
  readonly expiresAt: Date | undefined;
  /** Base URL of the environment that issued the stored tokens. */
  readonly environment: string | undefined;
  /** Version of the stored record. */
  readonly version: number | undefined;
}

/**
 * Options of {@link DexcomOAuth.exchangeCode}.
 *
 * @example
 * const options: ExchangeCodeOptions = { userKey: 'patient-42', code: callbackUrl.searchParams.get('code')! };
 */
export interface ExchangeCodeOptions {
  /** Your id for the user the tokens belong to. */
  userKey: string;
  /** The `code` from the redirect, after you checked its `state`. */
  code: string;
  /** The redirect URI the sign-in URL carried. Default: `oauth.redirectUri`. */
  redirectUri?: string;
  /** Aborts the token request. */
  signal?: AbortSignal;
}

/**
 * The OAuth token lifecycle of one client, for any number of users (`dexcom.oauth`): sign-in URL,
 * code exchange, and the token source behind `dexcom.forUser(userKey)`.
 *
 * - Refreshes ahead of expiry (`refreshMarginMs ± refreshJitterMs`), single-flight per user: any
 *   number of concurrent calls cause one token request.
 * - After a 401 it refreshes only when the rejected token is still the stored one; a newer stored
 *   token is used as is (another call or process refreshed first).
 * - A rotated refresh token is saved (compare-and-set) before the new access token is used. When
 *   the store fails, the new tokens stay in memory, unused, and are saved first on the user's next
 *   call; the call fails with `DexcomTokenStoreError`.
 * - A token request is sent again only when nothing reached the server (connection refused, DNS
 *   failure). When a refresh may have reached the server and its answer is lost (a reset, a
 *   timeout, a 5xx, a garbled 200), it is not re-sent: the record notes `refreshAnswerLostAt`
 *   (see `status()`), an early refresh keeps using the still-valid token, other calls of this
 *   client (the data call's own retries included) get the same error without a token request for
 *   `refreshRetry.maxDelayMs`, and then the next refresh tries the same refresh token once more:
 *   success clears the note, `invalid_grant` means the server had rotated it.
 * - `invalid_grant` re-reads the store (a newer record means another process won a rotation race),
 *   else marks the user and throws `DexcomReauthorizationRequiredError` with `reason`
 *   `refresh_answer_lost` after a lost answer, else `invalid_grant`; later calls fail fast until a
 *   sign-in saves new tokens.
 * - A 401 within `refreshCooldownMs` (60 s) of a refresh does not refresh again.
 * - With a store that has `withRefreshLock` (PostgreSQL), one refresh per user runs at a time
 *   across processes: a process that waited re-reads the record and uses the new token without a
 *   token request.
 * - Tokens from another environment are refused before anything is sent
 *   (`DexcomEnvironmentMismatchError`).
 *
 * @example
 * const { url, state } = dexcom.oauth.authorizationUrl();
 * // ...the browser comes back with ?code&state; compare state first...
 * await dexcom.oauth.exchangeCode({ userKey: 'patient-42', code });
 * const devices = await dexcom.forUser('patient-42').getDevices();
 */
export class DexcomOAuth {
  readonly #api: DexcomApi;
  readonly #events: PipelineEvents;
  readonly #baseUrl: string;
  readonly #options: ResolvedOAuthOptions;
  readonly #now: () => number;
  readonly #stored: StoredTokens;
  readonly #refreshes = new SingleFlight<RefreshOutcome>();
  /**
   * Per user: a refresh with this refresh token failed for a passing reason (`retryable`); it is
   * not tried again before `until`. Meanwhile calls use the still-valid access token, or fail with
   * the same error: so neither a burst of calls nor the data call's own retry layer re-sends a
   * token request whose answer was lost.
   */
  readonly #failed = new Map<string, { readonly refreshToken: string; readonly error: unknown; readonly until: number }>();

  constructor(config: DexcomOAuthConfig) {
    this.#api = config.api;
    this.#events = config.events;
    this.#baseUrl = config.baseUrl;
    this.#options = config.options;
    this.#now = config.now ?? Date.now;
    this.#stored = new StoredTokens(config.options.tokenStore, config.baseUrl, this.#now);
  }

  /**
   * The sign-in URL for this client's environment and a fresh random `state` (or yours). Keep the
   * state and compare it with the redirect's before calling {@link exchangeCode}.
   *
   * @example
   * const { url, state } = dexcom.oauth.authorizationUrl({ redirectUri: 'https://app.example.com/dexcom/callback' });
   */
  authorizationUrl(options: { state?: string; redirectUri?: string } = {}): AuthorizationRequest {
    return buildAuthorizationUrl({
      baseUrl: this.#baseUrl,
      clientId: this.#options.clientId,
      redirectUri: this.#redirectUri(options.redirectUri),
      loginPath: this.#options.tokenPath,
      ...(options.state === undefined ? {} : { state: options.state }),
    });
  }

  /**
   * Exchanges a sign-in code for tokens and saves them for `userKey` (replacing any earlier record,
   * including one marked for re-authorization). Returns the new status, never the tokens.
   *
   * @throws DexcomReauthorizationRequiredError for a used or expired code, DexcomTokenStoreError
   * when the store fails (the tokens are then kept in memory and saved on the user's next call).
   * @example
   * await dexcom.oauth.exchangeCode({ userKey: 'patient-42', code: url.searchParams.get('code')! });
   */
  async exchangeCode(options: ExchangeCodeOptions): Promise<TokenStatus> {
    assertUserKey(options?.userKey);
    if (typeof options.code !== 'string' || options.code === '') {
      throw new DexcomConfigurationError(`exchangeCode needs the redirect's code, e.g. dexcom.oauth.exchangeCode({ userKey: 'patient-42', code })`);
    }
    const tokens = await exchangeAuthorizationCode(this.#api, {
      clientId: this.#options.clientId,
      clientSecret: this.#options.clientSecret,
      code: options.code,
      redirectUri: this.#redirectUri(options.redirectUri),
      tokenPath: this.#options.tokenPath,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const record = await this.#stored.saveSignIn(options.userKey, tokens);
    this.#failed.delete(options.userKey);
    return statusOf(record, this.#baseUrl);
  }

  /**
   * Drops the user's tokens (a disconnect): the record is blanked and marked for re-authorization,
   * so calls for the user fail fast until a new sign-in. Resolves false when no tokens were stored.
   *
   * @example
   * await dexcom.oauth.forget('patient-42');
   */
  async forget(userKey: string): Promise<boolean> {
    assertUserKey(userKey);
    this.#failed.delete(userKey);
    return this.#stored.forget(userKey);
  }

  /**
   * A valid access token for `userKey`, refreshed first when due (for calls you make yourself).
   *
   * @example
   * const token = await dexcom.oauth.accessToken('patient-42');
   */
  async accessToken(userKey: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    assertUserKey(userKey);
    const work = this.#issue(userKey);
    return (await (options.signal ? raceAbort(work, options.signal, this.#waitContext()) : work)).value;
  }

  /**
   * The user's connection state (connected, needs re-authorization, expiry), never a token.
   *
   * @example
   * if ((await dexcom.oauth.status('patient-42')).reauthorizationRequired) askToReconnect();
   */
  async status(userKey: string): Promise<TokenStatus> {
    assertUserKey(userKey);
    return statusOf(await this.#stored.readRaw(userKey), this.#baseUrl);
  }

  /**
   * The token source the auth layer uses for `userKey` (what `dexcom.forUser(userKey)` puts on
   * each call's context).
   *
   * @example
   * const source = dexcom.oauth.tokenSource('patient-42');
   * const { value } = await source.token();
   */
  tokenSource(userKey: string): TokenSource {
    assertUserKey(userKey);
    return {
      token: () => this.#issue(userKey),
      renew: (rejected) => this.#renew(userKey, rejected),
    };
  }

  async #issue(userKey: string): Promise<IssuedToken> {
    if (this.#stored.hasUnsaved(userKey)) return issued(await this.#refreshOnce(userKey, undefined, false));
    const record = await this.#stored.read(userKey);
    const now = this.#now();
    if (now < this.#dueAt(userKey, record)) return issued(record);
    const failed = this.#failedFor(userKey, record, now);
    if (failed) {
      if (now < record.expiresAt) return issued(record);
      throw failed.error;
    }
    try {
      return issued(await this.#refreshOnce(userKey, record.version, false));
    } catch (error) {
      // A passing failure with a token that still works: use it (an early refresh).
      if (!this.#holdOff(userKey, record, error) || this.#now() >= record.expiresAt) throw error;
      return issued(record);
    }
  }

  async #renew(userKey: string, rejected: IssuedToken): Promise<IssuedToken | undefined> {
    if (rejected.version === undefined) return undefined;
    const current = await this.#stored.readRaw(userKey);
    if (current !== undefined && this.#failedFor(userKey, current, this.#now())) return undefined;
    let record: TokenRecord;
    try {
      record = await this.#refreshOnce(userKey, rejected.version, true);
    } catch (error) {
      if (current !== undefined) this.#holdOff(userKey, current, error);
      throw error;
    }
    return record.version === rejected.version || record.accessToken === rejected.value ? undefined : issued(record);
  }

  /** One refresh for `userKey`, single-flight in this client and under the store's refresh lock. */
  async #refreshOnce(userKey: string, seenVersion: number | undefined, rejected: boolean): Promise<TokenRecord> {
    const outcome = await this.#refreshes.run(userKey, () =>
      this.#stored.withRefreshLock(userKey, (tokens) => this.#refresh(tokens, userKey, seenVersion, rejected)),
    );
    // Failures come back as values, so marks written under the lock are committed, not rolled back.
    if ('error' in outcome) throw outcome.error;
    return outcome.record;
  }

  /**
   * The refresh itself, with the lock held. `seenVersion` is the record the caller saw; `rejected`
   * says the server answered 401 to it.
   */
  async #refresh(tokens: StoredTokens, userKey: string, seenVersion: number | undefined, rejected: boolean): Promise<RefreshOutcome> {
    const saved = await tokens.saveUnsaved(userKey);
    if (saved) return { record: saved };
    const current = await tokens.read(userKey);
    const now = this.#now();
    // Check the store first: a newer record (another call or process refreshed) is used as is.
    const fresh = rejected ? current.version !== seenVersion && now < current.expiresAt : now < this.#dueAt(userKey, current);
    if (fresh) return { record: current };
    // A 401 right after a refresh is not fixed by another one (a server that rejects every token
    // would otherwise rotate the user's tokens on every call): the 401 reaches the caller.
    if (rejected && current.grant === 'refresh_token' && now - current.updatedAt < this.#options.refreshCooldownMs) return { record: current };

    let set: TokenSet;
    try {
      set = await refreshAccessToken(this.#api, {
        clientId: this.#options.clientId,
        clientSecret: this.#options.clientSecret,
        refreshToken: current.refreshToken,
        tokenPath: this.#options.tokenPath,
      });
    } catch (error) {
      return this.#refreshFailed(tokens, userKey, current, error);
    }
    this.#failed.delete(userKey);
    return { record: await tokens.saveRefreshed(userKey, current, set) };
  }

  /** What a failed token request means for the stored record, and the error the caller sees. */
  async #refreshFailed(tokens: StoredTokens, userKey: string, current: TokenRecord, error: unknown): Promise<RefreshOutcome> {
    if (error instanceof DexcomReauthorizationRequiredError) {
      // Another writer (process) may have used the same refresh token first and saved the result.
      const newer = await tokens.newerThan(userKey, current.version);
      if (newer) return { record: newer };
      const reason: ReauthorizationReason = current.refreshAnswerLostAt === undefined ? 'invalid_grant' : 'refresh_answer_lost';
      await tokens.markReauthorizationRequired(userKey, current, reason);
      return { error: reason === 'invalid_grant' ? error : answerLostError(error) };
    }
    if (answerMayBeLost(error)) await tokens.markRefreshAnswerLost(userKey, current);
    return { error };
  }

  /** The passing failure of the last refresh with `record`'s refresh token, while it is held off. */
  #failedFor(userKey: string, record: TokenRecord, now: number): { readonly error: unknown } | undefined {
    const failed = this.#failed.get(userKey);
    return failed !== undefined && failed.refreshToken === record.refreshToken && now < failed.until ? failed : undefined;
  }

  /** Holds further refreshes with `record`'s refresh token off for `refreshRetry.maxDelayMs` after a passing failure; true if it did. */
  #holdOff(userKey: string, record: TokenRecord, error: unknown): boolean {
    if (!passingFailure(error)) return false;
    this.#failed.set(userKey, { refreshToken: record.refreshToken, error, until: this.#now() + this.#options.refreshRetry.maxDelayMs });
    return true;
  }

  /** The call context of a wait for a token outside a call (`accessToken()`), for its abort error. */
  #waitContext(): CallContext {
    return {
      invocationId: randomUUID(),
      operationId: this.#options.tokenPath === 'v3' ? 'postTokenV3' : 'postToken',
      method: 'POST',
      pathTemplate: `/${this.#options.tokenPath}/oauth2/token`,
      attempt: 1,
      attempts: [],
      startedAt: Date.now(),
      events: this.#events,
    };
  }

  #dueAt(userKey: string, record: TokenRecord): number {
    return refreshDueAt(record, userKey, this.#options.refreshMarginMs, this.#options.refreshJitterMs);
  }

  #redirectUri(override: string | undefined): string {
    const redirectUri = override ?? this.#options.redirectUri;
    if (redirectUri === undefined) {
      throw new DexcomConfigurationError(
        `A redirect URI is needed: pass { redirectUri } or set it once, e.g. new DexcomApiClient({ oauth: { ..., redirectUri: 'https://app.example.com/dexcom/callback' } })`,
      );
    }
    assertRedirectUri(redirectUri);
    return redirectUri;
  }
}

/** A refresh's result, as a value (see `#refreshOnce`). */
type RefreshOutcome = { readonly record: TokenRecord } | { readonly error: unknown };

function issued(record: TokenRecord): IssuedToken {
  return { value: record.accessToken, version: record.version };
}

function statusOf(record: TokenRecord | undefined, baseUrl: string): TokenStatus {
  const usable = record !== undefined && !record.reauthorizationRequired;
  return {
    connected: usable && record.environment === baseUrl,
    reauthorizationRequired: record?.reauthorizationRequired ?? false,
    reauthorizationReason: record?.reauthorizationRequired ? (record.reauthorizationReason ?? 'invalid_grant') : undefined,
    refreshAnswerLostAt: usable && record.refreshAnswerLostAt !== undefined ? new Date(record.refreshAnswerLostAt) : undefined,
    expiresAt: usable ? new Date(record.expiresAt) : undefined,
    environment: record?.environment,
    version: record?.version,
  };
}

/**
 * A refresh that failed with this is held off for a while, and an early one falls back on the
 * still-valid current token: a transient failure (`retryable`), except a store failure, which must
 * surface (refreshed tokens may be held back unsaved, and are saved on the next call). A
 * refresh-lock timeout is transient: another process is refreshing.
 */
function passingFailure(error: unknown): boolean {
  if (!isDexcomError(error) || !error.retryable) return false;
  return error.code !== 'token_store' || error instanceof DexcomRefreshLockTimeoutError;
}

/**
 * True when the token request may have reached the server and no answer came back that says
 * what it did: a network error after the request was written, a timeout, a 5xx or a 2xx whose
 * body could not be read. The server may have rotated the refresh token.
 */
function answerMayBeLost(error: unknown): boolean {
  if (!isDexcomError(error)) return false;
  switch (error.code) {
    case 'network':
      return (error as { requestSent?: boolean }).requestSent !== false;
    case 'timeout':
    case 'server':
    case 'invalid_response':
      return error.attempts.length > 0;
    default:
      return false;
  }
}

function answerLostError(rejection: DexcomReauthorizationRequiredError): DexcomReauthorizationRequiredError {
  return new DexcomReauthorizationRequiredError(
    `The token endpoint rejected the refresh token (invalid_grant) after the answer to an earlier refresh was lost: ` +
      `the server most likely rotated the token then, so the user did not revoke access but must sign in again`,
    {
      reason: 'refresh_answer_lost',
      cause: rejection,
      attempts: rejection.attempts,
      ...(rejection.status === undefined ? {} : { status: rejection.status }),
      ...(rejection.operationId === undefined ? {} : { operationId: rejection.operationId }),
      ...(rejection.invocationId === undefined ? {} : { invocationId: rejection.invocationId }),
    },
  );
}
