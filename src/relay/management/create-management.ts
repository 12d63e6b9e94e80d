import type { DexcomApiClient } from '../../client.js';
import { DexcomConfigurationError } from '../../core/errors.js';
import type { Database } from '../../stores/postgres/database.js';
import { migrate, quoteSchema } from '../../stores/postgres/migrations.js';
import type { Relay } from '../relay-types.js';
import { type ConnectionHooks, createConnections } from './connections.js';
import { DEFAULT_RELAY_SCHEMA, relayManagementMigrations } from './migrations.js';
import { createSubscriptions, type SubscriptionManagement } from './subscriptions.js';

/**
 * Options of {@link createManagement}.
 *
 * @example
 * const options: ManagementOptions = { database, dexcom, guardUrl: (url) => guard.check(url) };
 */
export interface ManagementOptions {
  /** The relay's database (`openDatabase()`), shared with the engine. */
  readonly database: Database;
  /** Schema of the relay's tables. Default `'dexcom_relay'`. */
  readonly schema?: string;
  /** A client with `oauth` configured: client id and secret, `redirectUri` (`<public-url>/oauth/callback`), token store. */
  readonly dexcom: DexcomApiClient;
  /** The engine's SSRF check at registration; throws a `RelayValidationError` to refuse a URL. */
  readonly guardUrl: (url: string) => Promise<void>;
  /** Told when a user connects or disconnects (start and stop polling). Default: nothing. */
  readonly hooks?: ConnectionHooks;
  /** Clock (epoch ms) for state expiry and timestamps. Default `Date.now`. */
  readonly now?: () => number;
}

/** The management side of a relay: connections and subscriptions without the engine's parts. */
export interface Management {
  readonly connections: Relay['connections'];
  readonly subscriptions: SubscriptionManagement;
}

/**
 * Creates the relay's tables (idempotent, migration component `relay-management`) and returns
 * its connection and subscription functions.
 *
 * @throws DexcomConfigurationError for a bad schema name, a client without `oauth` or a missing `guardUrl`.
 * @example
 * const management = await createManagement({ database, dexcom, guardUrl, hooks: { connected: (u) => engine.onConnected(u) } });
 * const { authorizationUrl } = await management.connections.create('patient-42');
 */
export async function createManagement(options: ManagementOptions): Promise<Management> {
  const schema = options.schema ?? DEFAULT_RELAY_SCHEMA;
  const quotedSchema = quoteSchema(schema);
  void options.dexcom.oauth; // throws a DexcomConfigurationError with an example when oauth is missing
  if (typeof options.guardUrl !== 'function') {
    throw new DexcomConfigurationError(`guardUrl must be the SSRF check, e.g. createManagement({ database, dexcom, guardUrl: async (url) => {} })`);
  }
  await migrate(options.database, schema, relayManagementMigrations);
  const now = options.now ?? Date.now;
  return {
    connections: createConnections({ database: options.database, quotedSchema, dexcom: options.dexcom, hooks: options.hooks ?? {}, now }),
    subscriptions: createSubscriptions({ database: options.database, quotedSchema, guardUrl: options.guardUrl, now }),
  };
}
