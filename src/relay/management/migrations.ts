import type { MigrationSet } from '../../stores/postgres/migrations.js';

/** Default schema of every relay table. */
export const DEFAULT_RELAY_SCHEMA = 'dexcom_relay';

/**
 * Tables of the relay's management side (component `relay-management`): connections, OAuth
 * sign-in states (hashed, single use) and webhook subscriptions. The engine writes the poll and
 * failure columns; nothing else here is written by it.
 *
 * @example
 * await migrate(database, 'dexcom_relay', relayManagementMigrations);
 */
export const relayManagementMigrations: MigrationSet = {
  component: 'relay-management',
  migrations: [
    {
      version: 1,
      sql: `
CREATE TABLE {{schema}}.connections (
  user_key text PRIMARY KEY,
  status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  connected_at timestamptz,
  last_poll_at timestamptz,
  next_poll_at timestamptz,
  last_error text
);
CREATE TABLE {{schema}}.oauth_states (
  state_hash text PRIMARY KEY,
  user_key text NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX oauth_states_expires_at ON {{schema}}.oauth_states (expires_at);
CREATE TABLE {{schema}}.subscriptions (
  id text PRIMARY KEY,
  url text NOT NULL,
  user_key text,
  events text[],
  record_types text[],
  secret text NOT NULL,
  previous_secret text,
  previous_secret_expires_at timestamptz,
  status text NOT NULL DEFAULT 'enabled',
  disabled_reason text,
  failing_since timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
`,
    },
  ],
};
