import type { Database } from '../../stores/postgres/database.js';

/**
 * How long a poll's hold on its user lasts without renewal: 90 s. A running poll renews it every
 * {@link POLL_HEARTBEAT_MS}, so polls of one user never overlap, and a relay killed mid-poll frees
 * its users 90 s later.
 */
export const POLL_LEASE_MS = 90_000;

/** How often a running poll renews its lease: 30 s. */
export const POLL_HEARTBEAT_MS = 30_000;

/** Why {@link PollStateStore.lease} gave no lease. */
export type LeaseRefusal = { readonly refused: 'inactive' } | { readonly refused: 'busy'; readonly until: Date };

/** What the planner needs to know about one user. */
export interface UserPollState {
  readonly cost: number;
  readonly lastDataAt: Date | null;
}

/**
 * SQL of the `poll_state` table and the poll columns of `connections`.
 *
 * @example
 * const state = new PollStateStore(database, '"dexcom_relay"');
 * if (await state.lease('patient-42', new Date())) { ... }
 */
export class PollStateStore {
  readonly #db: Database;
  readonly #schema: string;

  /** @param schema the quoted schema. */
  constructor(database: Database, schema: string) {
    this.#db = database;
    this.#schema = schema;
  }

  /**
   * Takes the user's poll lease; resolves the user's state, or why not: the connection is not
   * active (no poll must run), or another poll holds the lease until `until`.
   */
  async lease(userKey: string, now: Date, pollIntervalMs: number): Promise<UserPollState | LeaseRefusal> {
    const s = this.#schema;
    const active = await this.#db.query(`SELECT 1 FROM ${s}.connections WHERE user_key = $1 AND status = 'active'`, [userKey]);
    if (active.rows.length === 0) return { refused: 'inactive' };
    await this.#db.query(
      `INSERT INTO ${s}.poll_state (user_key, desired_interval_ms, updated_at) VALUES ($1, $2, $3) ON CONFLICT (user_key) DO NOTHING`,
      [userKey, pollIntervalMs, now],
    );
    const { rows } = await this.#db.query<{ cost: number; last_data_at: Date | string | null }>(
      `UPDATE ${s}.poll_state SET polling_since = $2 WHERE user_key = $1 AND (polling_since IS NULL OR polling_since < $3)
       RETURNING cost, last_data_at`,
      [userKey, now, new Date(now.getTime() - POLL_LEASE_MS)],
    );
    const row = rows[0];
    if (row) return { cost: Number(row.cost), lastDataAt: row.last_data_at === null ? null : new Date(row.last_data_at) };
    const held = await this.#db.query<{ polling_since: Date | string }>(`SELECT polling_since FROM ${s}.poll_state WHERE user_key = $1`, [userKey]);
    const since = held.rows[0]?.polling_since;
    return { refused: 'busy', until: new Date((since ? new Date(since).getTime() : now.getTime()) + POLL_LEASE_MS) };
  }

  /** Renews a running poll's lease. */
  async renew(userKey: string, now: Date): Promise<void> {
    await this.#db.query(`UPDATE ${this.#schema}.poll_state SET polling_since = $2 WHERE user_key = $1 AND polling_since IS NOT NULL`, [userKey, now]);
  }

  /** Records a finished poll, releases the lease and writes the connection's poll columns. */
  async finish(userKey: string, fields: { now: Date; cost: number; lastDataAt: Date | null; desiredIntervalMs: number; nextPollAt: Date | null; error: string | null; reauthorizationRequired?: boolean }): Promise<void> {
    const s = this.#schema;
    await this.#db.transaction(async (tx) => {
      await tx.query(
        `UPDATE ${s}.poll_state SET cost = $2, last_data_at = $3, desired_interval_ms = $4, polling_since = NULL, updated_at = $5 WHERE user_key = $1`,
        [userKey, fields.cost, fields.lastDataAt, fields.desiredIntervalMs, fields.now],
      );
      await tx.query(
        `UPDATE ${s}.connections SET last_poll_at = $2, next_poll_at = $3, last_error = $4,
           status = CASE WHEN $5 AND status = 'active' THEN 'reauthorization_required' ELSE status END
         WHERE user_key = $1`,
        [userKey, fields.now, fields.nextPollAt, fields.error, fields.reauthorizationRequired === true],
      );
    });
  }

  /** Σ cost × polls per hour over every active connection: the fleet's demand on the quota. */
  async demandPerHour(): Promise<number> {
    const { rows } = await this.#db.query<{ demand: number | string | null }>(
      `SELECT sum(p.cost * 3600000.0 / GREATEST(p.desired_interval_ms, 1000)) AS demand
       FROM ${this.#schema}.poll_state p JOIN ${this.#schema}.connections c ON c.user_key = p.user_key WHERE c.status = 'active'`,
    );
    return Number(rows[0]?.demand ?? 0);
  }

  /**
   * Active connections not being polled whose next poll is overdue (`next_poll_at` before
   * `overdueBefore`) or was never planned: the ones whose chain of poll jobs broke (a crash between
   * a poll and scheduling its successor) or never started.
   */
  async overdueUsers(now: Date, overdueBefore: Date, limit: number): Promise<string[]> {
    const s = this.#schema;
    const { rows } = await this.#db.query<{ user_key: string }>(
      `SELECT c.user_key FROM ${s}.connections c LEFT JOIN ${s}.poll_state p ON p.user_key = c.user_key
       WHERE c.status = 'active' AND (c.next_poll_at IS NULL OR c.next_poll_at <= $1)
         AND (p.polling_since IS NULL OR p.polling_since < $2)
       ORDER BY c.next_poll_at NULLS FIRST LIMIT $3`,
      [overdueBefore, new Date(now.getTime() - POLL_LEASE_MS), limit],
    );
    return rows.map((r) => r.user_key);
  }

  /** True while a poll of the user holds its lease. */
  async polling(userKey: string, now: Date): Promise<boolean> {
    const { rows } = await this.#db.query(
      `SELECT 1 FROM ${this.#schema}.poll_state WHERE user_key = $1 AND polling_since IS NOT NULL AND polling_since >= $2`,
      [userKey, new Date(now.getTime() - POLL_LEASE_MS)],
    );
    return rows.length > 0;
  }

  /** Clears a disconnected user's poll state. */
  async forget(userKey: string): Promise<void> {
    await this.#db.query(`DELETE FROM ${this.#schema}.poll_state WHERE user_key = $1`, [userKey]);
  }
}
