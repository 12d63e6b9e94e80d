/**
 * Supplies the access token: a fixed string, or a function called for every wire attempt (so a
 * token refreshed between retries is picked up).
 *
 * @example
 * const fromEnv: AccessTokenProvider = () => process.env.DEXCOM_ACCESS_TOKEN ?? '';
 */
export type AccessTokenProvider = string | (() => string | Promise<string>);

/**
 * One access token handed out for one wire attempt. `version` identifies the stored record it
 * came from, so after a 401 the source can tell "this token is still the current one" (refresh)
 * from "a newer one was saved meanwhile" (use that, no refresh).
 *
 * @example
 * const issued: IssuedToken = { value: 'eyJ...', version: 7 };
 */
export interface IssuedToken {
  /** The bearer token. */
  readonly value: string;
  /** Version of the stored record the token came from; absent for a plain {@link AccessTokenProvider}. */
  readonly version?: number;
}

/**
 * Where the auth layer gets one call's token. The client's `accessToken` becomes a source without
 * `renew`; `dexcom.forUser(userKey)` puts an OAuth source on each call's context (see
 * `CallContext.tokenSource`), which refreshes single-flight per user.
 *
 * @example
 * const source: TokenSource = { token: async () => ({ value: await vault.read('dexcom') }) };
 */
export interface TokenSource {
  /** The token to send now; an OAuth source refreshes first when it is about to expire. */
  token(): Promise<IssuedToken>;
  /**
   * Called at most once per attempt, after a 401 answered `rejected`: a different token to send
   * the request again with, or `undefined` to give up (the 401 then reaches the caller).
   */
  renew?(rejected: IssuedToken): Promise<IssuedToken | undefined>;
}
