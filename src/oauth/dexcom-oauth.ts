import type { DexcomApi } from '../../generated/sdk.gen.js';
import type { IssuedToken, TokenSource } from '../core/token-source.js';
import {
  DexcomAbortError,
  DexcomCircuitOpenError,
  DexcomConfigurationError,
  DexcomNetworkError,
  DexcomQueueFullError,
  DexcomRateLimitError,
  DexcomReauthorizationRequiredError,
  DexcomServerError,
  DexcomTimeoutError,
} from '../core/errors.js';
import { assertRedirectUri, type AuthorizationRequest, buildAuthorizationUrl } from './authorization-url.js';
import type { ResolvedOAuthOptions } from './oauth-options.js';
import { refreshDueAt } from './refresh-schedule.js';
import { retryRefresh } from './refresh-retry.js';
import { SingleFlight } from './single-flight.js';
import { exchangeAuthorizationCode, refreshAccessToken } from './token-endpoint.js';
import { StoredTokens } from './stored-tokens.js';
import type { TokenRecord, TokenSet } from './token-record.js';
import { assertUserKey } from './token-store.js';

/**
 * What {@link DexcomOAuth} needs from its client (`DexcomApiClient` builds it for you).
 *
 * @example
 * const oauth = new DexcomOAuth({ api: dexcom.api, baseUrl: dexcom.baseUrl, options: resolveOAuthOptions(settings) });
 */
export interface DexcomOAuthConfig {
  /** The client's generated operations (token calls go through its pipeline, without a user's token). */
  readonly api: DexcomApi;
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
 * - `invalid_grant` re-reads the store (a newer record means another process won a rotation race),
 *   else marks the user and throws `DexcomReauthorizationRequiredError`; later calls fail fast
 *   until a sign-in saves new tokens.
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
  readonly #baseUrl: string;
  readonly #options: ResolvedOAuthOptions;
  readonly #now: () => number;
  readonly #stored: StoredTokens;
  readonly #refreshes = new SingleFlight<TokenRecord>();
  /** Per user: a proactive refresh of this version failed for a passing reason; do not retry it before `until`. */
  readonly #deferred = new Map<string, { readonly version: number; readonly until: number }>();

  constructor(config: DexcomOAuthConfig) {
    this.#api = config.api;
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
    this.#deferred.delete(options.userKey);
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
    this.#deferred.delete(userKey);
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
    return (await untilAborted(this.#issue(userKey), options.signal)).value;
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
    if (this.#stored.hasUnsaved(userKey)) return issued(await this.#refreshes.run(userKey, () => this.#refresh(userKey, undefined, false)));
    const record = await this.#stored.read(userKey);
    const now = this.#now();
    if (now < this.#dueAt(userKey, record)) return issued(record);
    const deferred = this.#deferred.get(userKey);
    if (deferred?.version === record.version && now < deferred.until && now < record.expiresAt) return issued(record);
    try {
      return issued(await this.#refreshes.run(userKey, () => this.#refresh(userKey, record.version, false)));
    } catch (error) {
      // Refreshing early failed for a passing reason and the token still works: use it, and do not
      // hammer the token endpoint on every call before the retry delay has passed.
      if (!isPassing(error) || this.#now() >= record.expiresAt) throw error;
      this.#deferred.set(userKey, { version: record.version, until: this.#now() + this.#options.refreshRetry.maxDelayMs });
      return issued(record);
    }
  }

  async #renew(userKey: string, rejected: IssuedToken): Promise<IssuedToken | undefined> {
    if (rejected.version === undefined) return undefined;
    const record = await this.#refreshes.run(userKey, () => this.#refresh(userKey, rejected.version, true));
    return record.version === rejected.version ? undefined : issued(record);
  }

  /**
   * One refresh for `userKey`, run single-flight. `seenVersion` is the record the caller saw;
   * `rejected` says the server answered 401 to it.
   */
  async #refresh(userKey: string, seenVersion: number | undefined, rejected: boolean): Promise<TokenRecord> {
    const saved = await this.#stored.saveUnsaved(userKey);
    if (saved) return saved;
    const current = await this.#stored.read(userKey);
    const now = this.#now();
    // Check the store first: a newer record (another call or process refreshed) is used as is.
    const fresh = rejected ? current.version !== seenVersion && now < current.expiresAt : now < this.#dueAt(userKey, current);
    if (fresh) return current;

    let tokens: TokenSet;
    try {
      tokens = await retryRefresh(
        () =>
          refreshAccessToken(this.#api, {
            clientId: this.#options.clientId,
            clientSecret: this.#options.clientSecret,
            refreshToken: current.refreshToken,
            tokenPath: this.#options.tokenPath,
          }),
        this.#options.refreshRetry,
      );
    } catch (error) {
      if (!(error instanceof DexcomReauthorizationRequiredError)) throw error;
      // Another writer (process) may have used the same refresh token first and saved the result.
      const newer = await this.#stored.newerThan(userKey, current.version);
      if (newer) return newer;
      await this.#stored.markReauthorizationRequired(userKey, current);
      throw error;
    }
    this.#deferred.delete(userKey);
    return this.#stored.saveRefreshed(userKey, current, tokens);
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

function issued(record: TokenRecord): IssuedToken {
  return { value: record.accessToken, version: record.version };
}

function statusOf(record: TokenRecord | undefined, baseUrl: string): TokenStatus {
  const usable = record !== undefined && !record.reauthorizationRequired;
  return {
    connected: usable && record.environment === baseUrl,
    reauthorizationRequired: record?.reauthorizationRequired ?? false,
    expiresAt: usable ? new Date(record.expiresAt) : undefined,
    environment: record?.environment,
    version: record?.version,
  };
}

/** Failures after which an early refresh may fall back on the still-valid current token. */
function isPassing(error: unknown): boolean {
  return [DexcomServerError, DexcomNetworkError, DexcomTimeoutError, DexcomRateLimitError, DexcomCircuitOpenError, DexcomQueueFullError].some(
    (type) => error instanceof type,
  );
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  const abortError = (): DexcomAbortError => new DexcomAbortError('Getting an access token was aborted by the caller', { cause: signal.reason });
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(abortError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
