import type { Database } from '../../stores/postgres/database.js';
import type { CreatedSubscription, Relay, Subscription } from '../relay-types.js';
import { SUBSCRIPTION_COLUMNS, type SubscriptionRow, toSubscription } from './rows.js';
import { newSubscriptionId, newWebhookSecret } from './secrets.js';
import { resolveSubscriptionInput, resolveSubscriptionPatch } from './subscription-input.js';

/** How long the previous secret keeps signing after a rotation: 24 hours. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 60 * 60_000;

/** The subscription functions of the management side (the engine adds `replay` and `deliveries`). */
export type SubscriptionManagement = Omit<Relay['subscriptions'], 'replay' | 'deliveries'>;

/** What {@link createSubscriptions} needs. */
export interface SubscriptionsConfig {
  readonly database: Database;
  /** The quoted schema, e.g. `"dexcom_relay"`. */
  readonly quotedSchema: string;
  /** The SSRF check at registration: throws a `RelayValidationError` with a reason to refuse a URL. */
  readonly guardUrl: (url: string) => Promise<void>;
  readonly now: () => number;
}

/**
 * Webhook subscriptions: CRUD and secret rotation. Secrets (`whsec_` + 32 random bytes, base64)
 * are returned once, at creation or rotation, and never read back by anything here.
 *
 * @example
 * const subscriptions = createSubscriptions({ database, quotedSchema: '"dexcom_relay"', guardUrl, now: Date.now });
 * const { id, secret } = await subscriptions.create({ url: 'https://hooks.example.com/dexcom' });
 */
export function createSubscriptions(config: SubscriptionsConfig): SubscriptionManagement {
  const { database: db, guardUrl } = config;
  const table = `${config.quotedSchema}.subscriptions`;
  const one = (rows: SubscriptionRow[]): Subscription | undefined => rows[0] && toSubscription(rows[0]);

  return {
    async create(input): Promise<CreatedSubscription> {
      const resolved = resolveSubscriptionInput(input);
      await guardUrl(resolved.url);
      const secret = newWebhookSecret();
      const now = new Date(config.now());
      const { rows } = await db.query<SubscriptionRow>(
        `INSERT INTO ${table} (id, url, user_key, events, record_types, secret, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING ${SUBSCRIPTION_COLUMNS}`,
        [newSubscriptionId(), resolved.url, resolved.userKey, resolved.events, resolved.recordTypes, secret, now],
      );
      return { ...toSubscription(rows[0]!), secret };
    },

    async list() {
      const { rows } = await db.query<SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM ${table} ORDER BY created_at, id`);
      return rows.map(toSubscription);
    },

    async get(id) {
      if (typeof id !== 'string') return undefined;
      return one((await db.query<SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM ${table} WHERE id = $1`, [id])).rows);
    },

    async update(id, patch) {
      const resolved = resolveSubscriptionPatch(patch);
      if (typeof id !== 'string') return undefined;
      if (resolved.url !== undefined) await guardUrl(resolved.url);
      const sets: string[] = [];
      const params: unknown[] = [id, new Date(config.now())];
      const set = (column: string, value: unknown): void => {
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      };
      if (resolved.url !== undefined) set('url', resolved.url);
      if (resolved.events !== undefined) set('events', resolved.events);
      if (resolved.recordTypes !== undefined) set('record_types', resolved.recordTypes);
      if (resolved.status === 'disabled') sets.push(`status = 'disabled'`, `disabled_reason = 'manual'`);
      // Enabling again forgets why it was disabled and restarts the five-day failure clock.
      if (resolved.status === 'enabled') sets.push(`status = 'enabled'`, 'disabled_reason = NULL', 'failing_since = NULL');
      const { rows } = await db.query<SubscriptionRow>(
        `UPDATE ${table} SET ${[...sets, 'updated_at = $2'].join(', ')} WHERE id = $1 RETURNING ${SUBSCRIPTION_COLUMNS}`,
        params,
      );
      return one(rows);
    },

    async delete(id) {
      if (typeof id !== 'string') return false;
      return (await db.query(`DELETE FROM ${table} WHERE id = $1`, [id])).rowCount > 0;
    },

    async rotateSecret(id) {
      if (typeof id !== 'string') return undefined;
      const secret = newWebhookSecret();
      const now = config.now();
      const { rowCount } = await db.query(
        `UPDATE ${table} SET previous_secret = secret, previous_secret_expires_at = $3, secret = $2, updated_at = $4 WHERE id = $1`,
        [id, secret, new Date(now + PREVIOUS_SECRET_TTL_MS), new Date(now)],
      );
      return rowCount > 0 ? { secret } : undefined;
    },
  };
}
