import type { MigrationSet } from '../../stores/postgres/migrations.js';

/**
 * Tables of the relay's engine (component `relay-delivery`):
 * - `events`: the outbox. One row per webhook message, its body stored exactly as signed; `seq`
 *   orders events as found.
 * - `event_records`: which record version (id + fingerprint) went into which event, so re-reading a
 *   window (after a crash, an overlap, a reconnect) never makes a second event for the same version.
 * - `deliveries`: one row per (subscription, event); `stream` (user and record type) orders them.
 * - `delivery_attempts`: every attempt, for `subscriptions.deliveries()`.
 * - `poll_state`: per-user poll cost and idleness, read fleet-wide to stretch intervals to the quota.
 *
 * @example
 * await migrate(database, 'dexcom_relay', relayDeliveryMigrations);
 */
export const relayDeliveryMigrations: MigrationSet = {
  component: 'relay-delivery',
  migrations: [
    {
      version: 1,
      sql: `
CREATE TABLE {{schema}}.events (
  id text PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  user_key text NOT NULL,
  record_type text NOT NULL,
  type text NOT NULL,
  record_count integer NOT NULL,
  first_record_at timestamptz,
  body text NOT NULL,
  found_at timestamptz NOT NULL
);
CREATE INDEX events_found_at ON {{schema}}.events (found_at);
CREATE TABLE {{schema}}.event_records (
  user_key text NOT NULL,
  record_type text NOT NULL,
  record_id text NOT NULL,
  fingerprint text NOT NULL,
  event_id text NOT NULL,
  PRIMARY KEY (user_key, record_type, record_id, fingerprint)
);
CREATE TABLE {{schema}}.deliveries (
  subscription_id text NOT NULL,
  event_id text NOT NULL,
  event_seq bigint NOT NULL,
  stream text NOT NULL,
  state text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  locked_until timestamptz,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz,
  last_error text,
  PRIMARY KEY (subscription_id, event_id)
);
CREATE INDEX deliveries_due ON {{schema}}.deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_stream ON {{schema}}.deliveries (subscription_id, stream, event_seq) WHERE state = 'pending';
CREATE TABLE {{schema}}.delivery_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id text NOT NULL,
  event_id text NOT NULL,
  attempt integer NOT NULL,
  attempted_at timestamptz NOT NULL,
  status integer,
  latency_ms integer,
  error text,
  next_retry_at timestamptz
);
CREATE INDEX delivery_attempts_subscription ON {{schema}}.delivery_attempts (subscription_id, id);
CREATE TABLE {{schema}}.poll_state (
  user_key text PRIMARY KEY,
  cost real NOT NULL DEFAULT 3,
  desired_interval_ms bigint NOT NULL,
  last_data_at timestamptz,
  polling_since timestamptz,
  updated_at timestamptz NOT NULL
);
`,
    },
  ],
};
