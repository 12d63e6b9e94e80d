import {
  DexcomEnvironmentMismatchError,
  DexcomReauthorizationRequiredError,
  DexcomTokenStoreError,
  isDexcomError,
  type ReauthorizationReason,
} from '../core/errors.js';
import type { LockedTokenStore } from './refresh-lock.js';
import { parseTokenRecord, type TokenRecord, type TokenSet } from './token-record.js';
import type { TokenStore } from './token-store.js';

/** Refreshed tokens that could not be saved: never used until the store accepts them. */
interface UnsavedRecord {
  readonly expectedVersion: number | undefined;
  readonly record: TokenRecord;
}

/**
 * The persistence rules of one client's tokens over a {@link TokenStore}: every write is a
 * compare-and-set on the record's version; refreshed tokens are handed out only once saved; tokens
 * that could not be saved are held in memory and saved first next time; a record is usable only
 * when it exists, is not marked for re-authorization and comes from this client's environment.
 *
 * @example
 * const tokens = new StoredTokens(options.tokenStore, dexcom.baseUrl);
 * const record = await tokens.read('patient-42'); // throws when the user must sign in again
 */
export class StoredTokens {
  readonly #store: TokenStore | LockedTokenStore;
  readonly #environment: string;
  readonly #now: () => number;
  readonly #unsaved: Map<string, UnsavedRecord>;
  /** On a view under a refresh lock: the refreshed record it wrote, in case the commit fails. */
  #refreshedUnderLock: UnsavedRecord | undefined;

  /**
   * @param store where the records live
   * @param environment base URL of the client: the only issuer whose tokens it may use
   * @param now clock (epoch ms). Default `Date.now`.
   * @param unsaved internal: the held-back tokens a view under a refresh lock shares with its parent
   */
  constructor(store: TokenStore | LockedTokenStore, environment: string, now: () => number = Date.now, unsaved = new Map<string, UnsavedRecord>()) {
    this.#store = store;
    this.#environment = environment;
    this.#now = now;
    this.#unsaved = unsaved;
  }

  /**
   * Runs `fn` with the user's refresh lock held when the store has one (`withRefreshLock`), else
   * at once. `fn` gets the rules over the locked view of the store. When the lock's commit fails
   * after refreshed tokens were written under it, those tokens are held back (never used unsaved)
   * and saved first on the user's next call.
   *
   * @throws DexcomTokenStoreError (or `DexcomRefreshLockTimeoutError`) when the lock fails.
   */
  async withRefreshLock<T>(userKey: string, fn: (tokens: StoredTokens) => Promise<T>): Promise<T> {
    const store = this.#store as Partial<TokenStore>;
    if (typeof store.withRefreshLock !== 'function') return fn(this);
    const views: StoredTokens[] = [];
    try {
      return await store.withRefreshLock(userKey, (locked) => {
        const view = new StoredTokens(locked, this.#environment, this.#now, this.#unsaved);
        views.push(view);
        return fn(view);
      });
    } catch (error) {
      const view = views[0];
      const refreshed = view === undefined ? undefined : view.#refreshedUnderLock;
      if (refreshed !== undefined) {
        this.#unsaved.set(userKey, refreshed);
        throw storeError('commit the refreshed tokens; they are kept in memory, unused, and saved first on the next call for this user', error);
      }
      throw isDexcomError(error) && error.code === 'token_store' ? error : storeError('hold the refresh lock', error);
    }
  }

  /** The stored record as it is (validated shape), or `undefined`. */
  async readRaw(userKey: string): Promise<TokenRecord | undefined> {
    let raw: unknown;
    try {
      raw = await this.#store.get(userKey);
    } catch (error) {
      throw isDexcomError(error) && error.code === 'token_store' ? error : storeError('read the tokens', error);
    }
    return raw === undefined ? undefined : parseTokenRecord(raw, 'oauth.tokenStore.get()');
  }

  /**
   * The stored record, ready to use.
   *
   * @throws DexcomReauthorizationRequiredError when there is none or it is marked;
   * DexcomEnvironmentMismatchError when another environment issued it (checked before anything is sent).
   */
  async read(userKey: string): Promise<TokenRecord> {
    const record = await this.readRaw(userKey);
    if (record === undefined) {
      throw new DexcomReauthorizationRequiredError(
        `No tokens are stored for this user: sign them in first (dexcom.oauth.authorizationUrl(), then dexcom.oauth.exchangeCode())`,
        { reason: 'no_tokens' },
      );
    }
    if (record.environment !== this.#environment) {
      throw new DexcomEnvironmentMismatchError(
        `The stored tokens were issued by ${record.environment}, but this client talks to ${this.#environment}; nothing was sent. ` +
          `Use a client for ${record.environment}, or sign the user in again on ${this.#environment}`,
        { tokenEnvironment: record.environment, clientEnvironment: this.#environment },
      );
    }
    if (record.reauthorizationRequired) {
      const reason = record.reauthorizationReason ?? 'invalid_grant';
      throw new DexcomReauthorizationRequiredError(`${REASON_TEXT[reason]}: sign them in again; calls fail until new tokens are saved`, { reason });
    }
    return record;
  }

  /** The stored record when it is usable and newer than `version` (another writer got there first). */
  async newerThan(userKey: string, version: number): Promise<TokenRecord | undefined> {
    const latest = await this.readRaw(userKey);
    const usable = latest !== undefined && !latest.reauthorizationRequired && latest.environment === this.#environment;
    return usable && latest.version !== version ? latest : undefined;
  }

  /** True while tokens held back by a store failure wait to be saved. */
  hasUnsaved(userKey: string): boolean {
    return this.#unsaved.has(userKey);
  }

  /** Saves held-back tokens; `undefined` when there are none or the record moved on meanwhile. */
  async saveUnsaved(userKey: string): Promise<TokenRecord | undefined> {
    const unsaved = this.#unsaved.get(userKey);
    if (unsaved === undefined) return undefined;
    let written: boolean;
    try {
      written = await this.#store.compareAndSet(userKey, unsaved.expectedVersion, unsaved.record);
    } catch (error) {
      throw storeError('save tokens held back by an earlier failure; they stay in memory, unused', error);
    }
    this.#unsaved.delete(userKey);
    return written ? unsaved.record : undefined;
  }

  /**
   * Saves refreshed tokens over `current` (persist-then-use: the result is the saved record).
   *
   * @throws DexcomTokenStoreError when the store throws; the tokens are then held back.
   */
  async saveRefreshed(userKey: string, current: TokenRecord, tokens: TokenSet): Promise<TokenRecord> {
    let expectedVersion = current.version;
    let next: TokenRecord = { ...this.#record(tokens, current.environment, current.version + 1), grant: 'refresh_token' };
    for (let tries = 0; tries < 3; tries += 1) {
      if (await this.#write(userKey, expectedVersion, next, 'save the refreshed tokens; they are kept in memory, unused, and saved first on the next call for this user')) {
        this.#refreshedUnderLock = { expectedVersion, record: next };
        return next;
      }
      // Someone wrote first. Usable tokens of theirs win; a re-authorization mark does not, since
      // ours are valid (the mark came from a writer that lost the rotation race to us).
      const latest = await this.readRaw(userKey);
      if (!latest?.reauthorizationRequired || latest.environment !== next.environment) break;
      expectedVersion = latest.version;
      next = { ...next, version: latest.version + 1 };
    }
    return this.read(userKey);
  }

  /** Saves tokens from a sign-in over whatever is stored (a marked record included), retrying on races. */
  async saveSignIn(userKey: string, tokens: TokenSet): Promise<TokenRecord> {
    for (let tries = 0; tries < 5; tries += 1) {
      const current = await this.readRaw(userKey);
      const next: TokenRecord = { ...this.#record(tokens, this.#environment, (current?.version ?? 0) + 1), grant: 'authorization_code' };
      if (await this.#write(userKey, current?.version, next, 'save the new tokens; they are kept in memory and saved first on the next call for this user')) {
        this.#unsaved.delete(userKey);
        return next;
      }
    }
    throw new DexcomTokenStoreError(`The stored tokens kept changing while saving a sign-in; try the sign-in again`);
  }

  /**
   * Marks the user for re-authorization over `used`, with the reason, and blanks the dead tokens.
   * Best effort: when the mark cannot be written, the next call meets `invalid_grant` again and
   * tries once more.
   */
  async markReauthorizationRequired(userKey: string, used: TokenRecord, reason: ReauthorizationReason): Promise<void> {
    const { refreshAnswerLostAt: _lost, ...rest } = used;
    const marked: TokenRecord = {
      ...rest,
      accessToken: '',
      refreshToken: '',
      version: used.version + 1,
      reauthorizationRequired: true,
      reauthorizationReason: reason,
      updatedAt: this.#now(),
    };
    try {
      await this.#store.compareAndSet(userKey, used.version, marked);
    } catch {
      // see above: best effort
    }
  }

  /**
   * Notes on the record that a refresh with its refresh token may have reached the server without
   * an answer (the token may be rotated away). Best effort, like the re-authorization mark; the
   * access token and its issue time stay as they are.
   *
   * @returns the noted record, or `undefined` when it could not be written.
   */
  async markRefreshAnswerLost(userKey: string, used: TokenRecord): Promise<TokenRecord | undefined> {
    if (used.refreshAnswerLostAt !== undefined) return used;
    const noted: TokenRecord = { ...used, version: used.version + 1, refreshAnswerLostAt: this.#now() };
    try {
      return (await this.#store.compareAndSet(userKey, used.version, noted)) ? noted : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Blanks the user's tokens and marks the record for re-authorization (a disconnect), retrying on
   * races; tokens held back by a store failure are dropped too. Resolves false when none were stored.
   */
  async forget(userKey: string): Promise<boolean> {
    this.#unsaved.delete(userKey);
    for (let tries = 0; tries < 5; tries += 1) {
      const current = await this.readRaw(userKey);
      if (current === undefined) return false;
      if (current.reauthorizationRequired && current.accessToken === '' && current.refreshToken === '') return true;
      const { refreshAnswerLostAt: _lost, ...rest } = current;
      const blank: TokenRecord = {
        ...rest,
        accessToken: '',
        refreshToken: '',
        version: current.version + 1,
        reauthorizationRequired: true,
        reauthorizationReason: 'no_tokens',
        updatedAt: this.#now(),
      };
      try {
        if (await this.#store.compareAndSet(userKey, current.version, blank)) return true;
      } catch (error) {
        throw storeError('drop the tokens', error);
      }
    }
    throw new DexcomTokenStoreError(`The stored tokens kept changing while dropping them; try again`);
  }

  #record(tokens: TokenSet, environment: string, version: number): TokenRecord {
    return { ...tokens, environment, version, reauthorizationRequired: false, updatedAt: this.#now() };
  }

  /** One compare-and-set; a throwing store keeps `next` in memory for the next call. */
  async #write(userKey: string, expectedVersion: number | undefined, next: TokenRecord, what: string): Promise<boolean> {
    try {
      return await this.#store.compareAndSet(userKey, expectedVersion, next);
    } catch (error) {
      this.#unsaved.set(userKey, { expectedVersion, record: next });
      throw storeError(what, error);
    }
  }
}

const REASON_TEXT: Record<ReauthorizationReason, string> = {
  invalid_grant: `This user's refresh token was rejected earlier (invalid_grant: revoked, expired or used)`,
  refresh_answer_lost: `The answer to a refresh of this user's tokens was lost and the server then rejected the refresh token it had most likely rotated (the user did not revoke access)`,
  no_tokens: `This user's tokens were dropped`,
};

function storeError(what: string, cause: unknown): DexcomTokenStoreError {
  return new DexcomTokenStoreError(`The token store failed to ${what}`, { cause });
}
