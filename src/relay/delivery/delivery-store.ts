import type { Database } from '../../stores/postgres/database.js';
import type { DeliveryAttempt } from '../relay-types.js';

/** A delivery claimed for one attempt, with what sending it needs. */
export interface ClaimedDelivery {
  readonly subscriptionId: string;
  readonly eventId: string;
  /** Attempts made before this one. */
  readonly attempts: number;
  readonly url: string;
  /** The current secret, then the previous one while it still signs. */
  readonly secrets: readonly string[];
  readonly body: string;
  readonly foundAt: Date;
  readonly failingSince: Date | null;
}

/** How an attempt ends for the delivery row. */
export type DeliveryResolution =
  | { readonly state: 'delivered' }
  | { readonly state: 'pending'; readonly nextAttemptAt: Date }
  | { readonly state: 'dead' };

/** What one attempt did, as recorded. */
export interface RecordedAttempt {
  readonly attemptedAt: Date;
  readonly status: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
}

/** How long a claim holds a delivery: longer than any attempt (15 s timeout), short enough to resume after a crash. */
export const CLAIM_LEASE_MS = 60_000;

/**
 * SQL of the delivery tables. Claims use `FOR UPDATE SKIP LOCKED` and a lease, so any number of
 * relay processes share the deliveries and no event goes to one subscription twice at once; only
 * the oldest pending event of each stream (subscription, user, record type) is claimable, so each
 * stream is delivered in order.
 *
 * @example
 * const store = new DeliveryStore(database, '"dexcom_relay"');
 * const due = await store.claimDue(new Date(), 10);
 */
export class DeliveryStore {
  readonly #db: Database;
  readonly #schema: string;

  /** @param schema the quoted schema name. */
  constructor(database: Database, schema: string) {
    this.#db = database;
    this.#schema = schema;
  }

  /** Claims up to `limit` due deliveries (the head of each stream) for {@link CLAIM_LEASE_MS}. */
  async claimDue(now: Date, limit: number): Promise<ClaimedDelivery[]> {
    const s = this.#schema;
    return this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<{ subscription_id: string; event_id: string; attempts: number }>(
        `SELECT d.subscription_id, d.event_id, d.attempts FROM ${s}.deliveries d
         JOIN ${s}.subscriptions sub ON sub.id = d.subscription_id AND sub.status = 'enabled'
         WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until <= $1)
           AND NOT EXISTS (SELECT 1 FROM ${s}.deliveries e WHERE e.subscription_id = d.subscription_id
                           AND e.stream = d.stream AND e.state = 'pending' AND e.event_seq < d.event_seq)
         ORDER BY d.next_attempt_at, d.event_seq LIMIT $2
         FOR UPDATE OF d SKIP LOCKED`,
        [now, limit],
      );
      if (rows.length === 0) return [];
      await tx.query(
        `UPDATE ${s}.deliveries d SET locked_until = $1 FROM unnest($2::text[], $3::text[]) AS c(sub, evt)
         WHERE d.subscription_id = c.sub AND d.event_id = c.evt`,
        [new Date(now.getTime() + CLAIM_LEASE_MS), rows.map((r) => r.subscription_id), rows.map((r) => r.event_id)],
      );
      const details = await tx.query<{
        subscription_id: string; event_id: string; url: string; secret: string; previous_secret: string | null;
        previous_secret_expires_at: Date | string | null; body: string; found_at: Date | string; failing_since: Date | string | null;
      }>(
        `SELECT d.subscription_id, d.event_id, sub.url, sub.secret, sub.previous_secret, sub.previous_secret_expires_at,
                ev.body, ev.found_at, sub.failing_since
         FROM unnest($1::text[], $2::text[]) AS c(sub, evt)
         JOIN ${s}.deliveries d ON d.subscription_id = c.sub AND d.event_id = c.evt
         JOIN ${s}.subscriptions sub ON sub.id = d.subscription_id
         JOIN ${s}.events ev ON ev.id = d.event_id`,
        [rows.map((r) => r.subscription_id), rows.map((r) => r.event_id)],
      );
      const attempts = new Map(rows.map((r) => [`${r.subscription_id} ${r.event_id}`, Number(r.attempts)]));
      return details.rows.map((r) => ({
        subscriptionId: r.subscription_id,
        eventId: r.event_id,
        attempts: attempts.get(`${r.subscription_id} ${r.event_id}`) ?? 0,
        url: r.url,
        secrets: r.previous_secret && r.previous_secret_expires_at && new Date(r.previous_secret_expires_at) > now ? [r.secret, r.previous_secret] : [r.secret],
        body: r.body,
        foundAt: new Date(r.found_at),
        failingSince: r.failing_since === null ? null : new Date(r.failing_since),
      }));
    });
  }

  /** Records one attempt and moves the delivery on; also tracks the subscription's failing period. */
  async resolve(claim: ClaimedDelivery, attempt: RecordedAttempt, resolution: DeliveryResolution): Promise<void> {
    const s = this.#schema;
    const ok = resolution.state === 'delivered';
    const nextRetryAt = resolution.state === 'pending' ? resolution.nextAttemptAt : null;
    await this.#db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO ${s}.delivery_attempts (subscription_id, event_id, attempt, attempted_at, status, latency_ms, error, next_retry_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [claim.subscriptionId, claim.eventId, claim.attempts + 1, attempt.attemptedAt, attempt.status, attempt.latencyMs, attempt.error, nextRetryAt],
      );
      await tx.query(
        `UPDATE ${s}.deliveries SET state = $3, attempts = attempts + 1, locked_until = NULL, last_error = $4,
           next_attempt_at = COALESCE($5, next_attempt_at), delivered_at = CASE WHEN $3 = 'delivered' THEN $6::timestamptz ELSE delivered_at END
         WHERE subscription_id = $1 AND event_id = $2`,
        [claim.subscriptionId, claim.eventId, resolution.state, attempt.error, nextRetryAt, attempt.attemptedAt],
      );
      await tx.query(
        ok
          ? `UPDATE ${s}.subscriptions SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`
          : `UPDATE ${s}.subscriptions SET failing_since = COALESCE(failing_since, $2) WHERE id = $1`,
        ok ? [claim.subscriptionId] : [claim.subscriptionId, attempt.attemptedAt],
      );
    });
  }

  /** Disables a subscription (`'gone'` after a 410, `'failing'` after five days); resolves false if it already was. */
  async disableSubscription(id: string, reason: 'gone' | 'failing', now: Date): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `UPDATE ${this.#schema}.subscriptions SET status = 'disabled', disabled_reason = $2, updated_at = $3 WHERE id = $1 AND status = 'enabled'`,
      [id, reason, now],
    );
    return rowCount > 0;
  }

  /**
   * Queues every stored event found since `since` that matches the subscription again (dead
   * letters and delivered ones included; those already pending stay as they are). Resolves how
   * many, or undefined when there is no such subscription.
   */
  async replay(subscriptionId: string, since: Date, now: Date): Promise<number | undefined> {
    const s = this.#schema;
    return this.#db.transaction(async (tx) => {
      const sub = await tx.query(`SELECT 1 FROM ${s}.subscriptions WHERE id = $1`, [subscriptionId]);
      if (sub.rows.length === 0) return undefined;
      const { rowCount } = await tx.query(
        `INSERT INTO ${s}.deliveries (subscription_id, event_id, event_seq, stream, state, next_attempt_at, created_at)
         SELECT sub.id, ev.id, ev.seq, ev.record_type || ':' || ev.user_key, 'pending', $3, $3
         FROM ${s}.events ev JOIN ${s}.subscriptions sub ON sub.id = $1
         WHERE ev.found_at >= $2
           AND (sub.user_key IS NULL OR sub.user_key = ev.user_key)
           AND (sub.events IS NULL OR ev.type = ANY(sub.events))
           AND (sub.record_types IS NULL OR ev.record_type = ANY(sub.record_types))
         ON CONFLICT (subscription_id, event_id) DO UPDATE
           SET state = 'pending', attempts = 0, next_attempt_at = EXCLUDED.next_attempt_at, locked_until = NULL, last_error = NULL, delivered_at = NULL
           WHERE ${s}.deliveries.state <> 'pending'`,
        [subscriptionId, since, now],
      );
      return rowCount;
    });
  }

  /** The newest attempts of a subscription, newest first; undefined when there is no such subscription. */
  async attempts(subscriptionId: string, limit: number): Promise<DeliveryAttempt[] | undefined> {
    const s = this.#schema;
    const sub = await this.#db.query(`SELECT 1 FROM ${s}.subscriptions WHERE id = $1`, [subscriptionId]);
    if (sub.rows.length === 0) return undefined;
    const { rows } = await this.#db.query<{
      event_id: string; attempt: number; attempted_at: Date | string; status: number | null; latency_ms: number | null; error: string | null; next_retry_at: Date | string | null;
    }>(
      `SELECT event_id, attempt, attempted_at, status, latency_ms, error, next_retry_at FROM ${s}.delivery_attempts
       WHERE subscription_id = $1 ORDER BY id DESC LIMIT $2`,
      [subscriptionId, limit],
    );
    return rows.map((r) => ({
      eventId: r.event_id,
      attempt: Number(r.attempt),
      attemptedAt: new Date(r.attempted_at).toISOString(),
      status: r.status === null ? null : Number(r.status),
      latencyMs: r.latency_ms === null ? null : Number(r.latency_ms),
      error: r.error,
      nextRetryAt: r.next_retry_at === null ? null : new Date(r.next_retry_at).toISOString(),
    }));
  }

  /** Pending deliveries and the age of the oldest, for the queue metrics. */
  async backlog(now: Date): Promise<{ readonly pending: number; readonly oldestAgeMs: number }> {
    const { rows } = await this.#db.query<{ pending: string | number; oldest: Date | string | null }>(
      `SELECT count(*) AS pending, min(created_at) AS oldest FROM ${this.#schema}.deliveries WHERE state = 'pending'`,
    );
    const row = rows[0];
    const oldest = row?.oldest ? new Date(row.oldest).getTime() : undefined;
    return { pending: Number(row?.pending ?? 0), oldestAgeMs: oldest === undefined ? 0 : Math.max(0, now.getTime() - oldest) };
  }
}
