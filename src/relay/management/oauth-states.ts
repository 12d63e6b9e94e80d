import type { SqlQueryable } from '../../stores/postgres/database.js';
import { RelayOAuthStateError } from '../errors.js';
import { newOAuthState, sha256Hex } from './secrets.js';

/** How long a sign-in `state` stays valid: 10 minutes. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;

/** Expired states are kept this long after expiry (to tell "expired" from "unknown"), then deleted. */
const EXPIRED_STATE_RETENTION_MS = 24 * 60 * 60_000;

/**
 * Issues a single-use sign-in state bound to `userKey`, valid for 10 minutes. Only its SHA-256 is
 * stored, so a database dump cannot complete anyone's sign-in. Old expired states are purged.
 *
 * @example
 * const { state, expiresAt } = await issueOAuthState(db, '"dexcom_relay"', 'patient-42', new Date());
 */
export async function issueOAuthState(db: SqlQueryable, table: string, userKey: string, now: Date): Promise<{ state: string; expiresAt: Date }> {
  const state = newOAuthState();
  const expiresAt = new Date(now.getTime() + OAUTH_STATE_TTL_MS);
  await db.query(`DELETE FROM ${table} WHERE expires_at < $1`, [new Date(now.getTime() - EXPIRED_STATE_RETENTION_MS)]);
  await db.query(`INSERT INTO ${table} (state_hash, user_key, expires_at) VALUES ($1, $2, $3)`, [sha256Hex(state), userKey, expiresAt]);
  return { state, expiresAt };
}

/**
 * Uses up a state atomically (one UPDATE, so two callbacks with the same state cannot both pass)
 * and resolves the user it was issued for.
 *
 * @throws RelayOAuthStateError (`unknown`, `expired` or `used`).
 * @example
 * const userKey = await consumeOAuthState(db, '"dexcom_relay".oauth_states', state, new Date());
 */
export async function consumeOAuthState(db: SqlQueryable, table: string, state: string, now: Date): Promise<string> {
  const hash = sha256Hex(state);
  const { rows } = await db.query<{ user_key: string }>(
    `UPDATE ${table} SET used_at = $2 WHERE state_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_key`,
    [hash, now],
  );
  if (rows[0]) return rows[0].user_key;
  const { rows: known } = await db.query<{ used_at: Date | null }>(`SELECT used_at FROM ${table} WHERE state_hash = $1`, [hash]);
  if (known[0] === undefined) throw new RelayOAuthStateError('unknown');
  throw new RelayOAuthStateError(known[0].used_at === null ? 'expired' : 'used');
}
