import type { Connection, ConnectionStatus, RelayEventType, RelayRecordType, Subscription } from '../relay-types.js';

/** A `connections` row as the database returns it. */
export interface ConnectionRow {
  user_key: string;
  status: string;
  created_at: Date | string;
  connected_at: Date | string | null;
  last_poll_at: Date | string | null;
  next_poll_at: Date | string | null;
  last_error: string | null;
}

/** A `subscriptions` row without its secrets (they are never read back for the API). */
export interface SubscriptionRow {
  id: string;
  url: string;
  user_key: string | null;
  events: string[] | null;
  record_types: string[] | null;
  status: string;
  disabled_reason: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

/** Columns of {@link SubscriptionRow}, for SELECT and RETURNING lists. */
export const SUBSCRIPTION_COLUMNS = 'id, url, user_key, events, record_types, status, disabled_reason, created_at, updated_at';

/** Columns of {@link ConnectionRow}. */
export const CONNECTION_COLUMNS = 'user_key, status, created_at, connected_at, last_poll_at, next_poll_at, last_error';

/**
 * A timestamp column as an ISO 8601 string (pg and PGlite both return `Date`s for timestamptz).
 *
 * @example
 * isoTime(new Date(0)); // '1970-01-01T00:00:00.000Z'
 */
export function isoTime(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function isoOrNull(value: Date | string | null): string | null {
  return value === null ? null : isoTime(value);
}

/**
 * The API shape of a connection row.
 *
 * @example
 * const connection = toConnection(rows[0]);
 */
export function toConnection(row: ConnectionRow): Connection {
  const status = row.status as ConnectionStatus;
  return {
    userKey: row.user_key,
    status,
    createdAt: isoTime(row.created_at),
    connectedAt: isoOrNull(row.connected_at),
    lastPollAt: isoOrNull(row.last_poll_at),
    nextPollAt: isoOrNull(row.next_poll_at),
    reauthorizationRequired: status === 'reauthorization_required',
    lastError: row.last_error,
  };
}

/**
 * The API shape of a subscription row (never with a secret).
 *
 * @example
 * const subscription = toSubscription(rows[0]);
 */
export function toSubscription(row: SubscriptionRow): Subscription {
  return {
    id: row.id,
    url: row.url,
    userKey: row.user_key,
    events: row.events as RelayEventType[] | null,
    recordTypes: row.record_types as RelayRecordType[] | null,
    status: row.status === 'disabled' ? 'disabled' : 'enabled',
    disabledReason: row.disabled_reason,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}
