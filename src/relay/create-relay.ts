import { RelayValidationError } from './errors.js';
import { createManagement } from './management/create-management.js';
import { SsrfRefusedError } from './delivery/ssrf-guard.js';
import { createRelayEngine, type RelayEngineOptions } from './relay-engine.js';
import type { Relay } from './relay-types.js';

/**
 * Options of {@link createRelay}: the engine's (polling, delivery, metrics) and the database and
 * Dexcom client both sides share.
 *
 * @example
 * const options: RelayOptions = { dexcom, database: await openDatabase({ dataDir: './.dexcom-relay' }) };
 */
export type RelayOptions = RelayEngineOptions;

/**
 * The webhook relay as a library: connections (OAuth sign-in of each user), subscriptions
 * (signed Standard Webhooks to registered URLs), quota-aware polling of Dexcom for every connected
 * user, an outbox written before each sync checkpoint moves, and a delivery worker with retries,
 * dead letters and replay. Tables live in `schema` (default `dexcom_relay`) of `database`; any
 * number of relays may share one PostgreSQL database.
 *
 * Defaults: poll every 5 minutes (idle users up to every 60), quota 60,000 calls per hour with 20 %
 * headroom, public https webhook targets only, a private metrics registry.
 *
 * @example
 * const dexcom = new DexcomApiClient({ environment: 'sandbox', oauth: { clientId, clientSecret, redirectUri, tokenStore } });
 * const relay = await createRelay({ dexcom, database: await openDatabase({ dataDir: './.dexcom-relay' }) });
 * await relay.start();
 * const { secret } = await relay.subscriptions.create({ url: 'https://hooks.example.com/dexcom' });
 * const { authorizationUrl } = await relay.connections.create('patient-42');
 */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const engine = await createRelayEngine(options);
  const management = await createManagement({
    database: options.database,
    ...(options.schema !== undefined ? { schema: options.schema } : {}),
    dexcom: options.dexcom,
    ...(options.now ? { now: () => options.now!().getTime() } : {}),
    guardUrl: async (url) => {
      try {
        await engine.guardUrl(url);
      } catch (error) {
        if (!(error instanceof SsrfRefusedError)) throw error;
        throw new RelayValidationError(`url refused: ${error.message}`, { field: 'url', reason: 'ssrf_refused', cause: error });
      }
    },
    hooks: engine.hooks,
  });
  return {
    connections: management.connections,
    subscriptions: { ...management.subscriptions, replay: engine.replay, deliveries: engine.deliveries },
    metrics: engine.metrics,
    start: engine.start,
    stop: engine.stop,
  };
}
