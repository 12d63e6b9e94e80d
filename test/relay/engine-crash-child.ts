/**
 * A relay engine in a process of its own, for the crash test: it polls one user from the fake
 * Dexcom and delivers to the test's receiver until it is killed. Configured by environment:
 * RELAY_DATABASE_URL, RELAY_SCHEMA, RELAY_DEXCOM_URL, RELAY_USER_KEY.
 */
import { DexcomApiClient, InMemoryTokenStore } from '../../src/index.js';
import { createRelayEngine } from '../../src/relay/relay-engine.js';
import { openDatabase } from '../../src/stores/postgres/database.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const userKey = env('RELAY_USER_KEY');
const dexcomUrl = env('RELAY_DEXCOM_URL');
const tokenStore = new InMemoryTokenStore();
const t = Date.now();
await tokenStore.compareAndSet(userKey, undefined, { accessToken: 'at', refreshToken: 'rt', expiresAt: t + 7_200_000, environment: dexcomUrl, version: 1, reauthorizationRequired: false, updatedAt: t });
const dexcom = new DexcomApiClient({ baseUrl: dexcomUrl, rateLimit: false, oauth: { clientId: 'c', clientSecret: 's', tokenStore } });
const database = await openDatabase({ url: env('RELAY_DATABASE_URL') });
const engine = await createRelayEngine({ dexcom, database, schema: env('RELAY_SCHEMA'), allowPrivateTargets: true, pollIntervalMs: 60_000 });
await engine.start();
await engine.hooks.connected(userKey);
process.stdout.write('ready\n');
