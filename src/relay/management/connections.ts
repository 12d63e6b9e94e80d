import type { DexcomApiClient } from '../../client.js';
import { isDexcomError } from '../../core/errors.js';
import type { Database } from '../../stores/postgres/database.js';
import { RelayOAuthCodeError, RelayValidationError } from '../errors.js';
import type { Connection, ConnectionStart, Relay } from '../relay-types.js';
import { consumeOAuthState, issueOAuthState } from './oauth-states.js';
import { CONNECTION_COLUMNS, type ConnectionRow, toConnection } from './rows.js';
import { assertRelayUserKey } from './subscription-input.js';

/** Called when a user's tokens are stored (start polling) or dropped (stop polling). */
export interface ConnectionHooks {
  /** After the OAuth callback stored the user's tokens. Default: nothing. */
  connected?(userKey: string): Promise<void> | void;
  /** Before the user's tokens are dropped; resolves once no poll of the user runs. Default: nothing. */
  disconnected?(userKey: string): Promise<void> | void;
}

/** What {@link createConnections} needs. */
export interface ConnectionsConfig {
  readonly database: Database;
  /** The quoted schema, e.g. `"dexcom_relay"`. */
  readonly quotedSchema: string;
  /** A client with `oauth` configured (client id and secret, redirect URI, token store). */
  readonly dexcom: DexcomApiClient;
  readonly hooks: ConnectionHooks;
  readonly now: () => number;
}

/**
 * Connections: OAuth sign-in with single-use states, the callback's code exchange, and
 * disconnecting (tokens dropped, polling stopped).
 *
 * @example
 * const connections = createConnections({ database, quotedSchema: '"dexcom_relay"', dexcom, hooks: {}, now: Date.now });
 * const { authorizationUrl } = await connections.create('patient-42');
 */
export function createConnections(config: ConnectionsConfig): Relay['connections'] {
  const { database: db, dexcom, hooks } = config;
  const connections = `${config.quotedSchema}.connections`;
  const states = `${config.quotedSchema}.oauth_states`;
  const select = async (userKey: string): Promise<Connection | undefined> => {
    const { rows } = await db.query<ConnectionRow>(`SELECT ${CONNECTION_COLUMNS} FROM ${connections} WHERE user_key = $1`, [userKey]);
    return rows[0] && toConnection(rows[0]);
  };

  return {
    async create(userKey): Promise<ConnectionStart> {
      assertRelayUserKey(userKey);
      const now = new Date(config.now());
      const { state, expiresAt } = await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${connections} (user_key, status, created_at) VALUES ($1, 'pending', $2) ON CONFLICT (user_key) DO NOTHING`, [userKey, now]);
        return issueOAuthState(tx, states, userKey, now);
      });
      const { url } = dexcom.oauth.authorizationUrl({ state });
      return { userKey, authorizationUrl: url, expiresAt: expiresAt.toISOString() };
    },

    async complete(code, state): Promise<Connection> {
      if (typeof code !== 'string' || code === '') throw new RelayValidationError('The callback needs a code', { field: 'code', reason: 'required' });
      if (typeof state !== 'string' || state === '') throw new RelayValidationError('The callback needs a state', { field: 'state', reason: 'required' });
      const userKey = await consumeOAuthState(db, states, state, new Date(config.now()));
      try {
        await dexcom.oauth.exchangeCode({ userKey, code });
      } catch (error) {
        if (isDexcomError(error) && (error.code === 'reauthorization_required' || error.code === 'bad_request')) throw new RelayOAuthCodeError({ cause: error });
        throw error;
      }
      const now = new Date(config.now());
      const { rows } = await db.query<ConnectionRow>(
        `INSERT INTO ${connections} (user_key, status, created_at, connected_at) VALUES ($1, 'active', $2, $2)
         ON CONFLICT (user_key) DO UPDATE SET status = 'active', connected_at = $2, last_error = NULL
         RETURNING ${CONNECTION_COLUMNS}`,
        [userKey, now],
      );
      await hooks.connected?.(userKey);
      return toConnection(rows[0]!);
    },

    get(userKey) {
      assertRelayUserKey(userKey);
      return select(userKey);
    },

    async list() {
      const { rows } = await db.query<ConnectionRow>(`SELECT ${CONNECTION_COLUMNS} FROM ${connections} ORDER BY created_at, user_key`);
      return rows.map(toConnection);
    },

    async delete(userKey) {
      assertRelayUserKey(userKey);
      if ((await select(userKey)) === undefined) return false;
      // Stop polling first, so no poll refreshes the tokens after they are dropped.
      await hooks.disconnected?.(userKey);
      await dexcom.oauth.forget(userKey);
      const { rowCount } = await db.transaction(async (tx) => {
        await tx.query(`DELETE FROM ${states} WHERE user_key = $1`, [userKey]);
        return tx.query(`DELETE FROM ${connections} WHERE user_key = $1`, [userKey]);
      });
      return rowCount > 0;
    },
  };
}
