/**
 * A relay's management side and HTTP API over a fake Dexcom OAuth server on 127.0.0.1, for the
 * api-* tests: the management functions are real (on PGlite or a PostgreSQL server, in a random
 * schema), the engine's parts (replay, deliveries, metrics, start/stop, the SSRF guard) are small
 * recording doubles, and the API is called through the client generated from spec/relay.openapi.yaml.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createClient, createConfig } from '../../generated/relay/client/index.js';
import type { Client } from '../../generated/relay/client/index.js';
import { DexcomApiClient } from '../../src/client.js';
import { buildRelayApp, type RelayAppOptions } from '../../src/relay/http/build-relay-app.js';
import { RelayValidationError } from '../../src/relay/errors.js';
import { createManagement } from '../../src/relay/management/create-management.js';
import type { DeliveryAttempt, Relay } from '../../src/relay/relay-types.js';
import { type Database, openDatabase } from '../../src/stores/postgres/database.js';
import { PostgresTokenStore } from '../../src/stores/postgres/token-store.js';
import { postgresUrlOrSkip } from '../support/services.js';
import { startFakeAuthServer, type FakeAuthServer } from '../support/fake-auth-server.js';

/** The management API key every harness uses. */
export const API_KEY = `test-key-${randomBytes(16).toString('hex')}`;

/** Where Dexcom sends the browser back (never contacted: the tests call the relay's callback themselves). */
export const REDIRECT_URI = 'https://relay.example.test/oauth/callback';

/** A host the test SSRF guard refuses, to prove refusals reach the API as 400 `ssrf_refused`. */
export const REFUSED_HOST = 'refused.example.test';

/** A running harness; see the module comment. */
export interface RelayHarness {
  readonly fake: FakeAuthServer;
  readonly database: Database;
  readonly schema: string;
  readonly tokenStore: PostgresTokenStore;
  readonly relay: Relay;
  readonly app: FastifyInstance;
  /** Base URL of the relay's HTTP API. */
  readonly url: string;
  /** The generated client, with the API key. */
  readonly client: Client;
  /** The generated client without a key. */
  readonly anonymous: Client;
  /** Virtual clock of the management side (epoch ms); move it with `advance`. */
  now(): number;
  advance(ms: number): void;
  /** Calls of the engine hooks and doubles, in order. */
  readonly calls: string[];
  /** Attempts the deliveries double answers. */
  readonly attempts: DeliveryAttempt[];
  /** Signs the user in at the fake Dexcom as a browser would, and returns the redirect's query. */
  signIn(authorizationUrl: string): Promise<{ code: string; state: string }>;
  close(): Promise<void>;
}

/** Where the harness keeps its tables. */
export type HarnessDatabase = { kind: 'pglite' } | { kind: 'postgres'; url: string };

/**
 * The backends every api-* suite runs on: embedded PGlite always, the PostgreSQL server when it answers.
 *
 * @example
 * describe.each(await harnessBackends())('on $kind', (where) => { ... });
 */
export async function harnessBackends(): Promise<HarnessDatabase[]> {
  const url = await postgresUrlOrSkip();
  return [{ kind: 'pglite' }, ...(url ? [{ kind: 'postgres' as const, url }] : [])];
}

/**
 * Opens the database of a suite (PGlite takes seconds to start, so a suite opens one and each test
 * gets its own schema in it).
 *
 * @example
 * const database = await openHarnessDatabase({ kind: 'pglite' });
 */
export function openHarnessDatabase(where: HarnessDatabase): Promise<Database> {
  return openDatabase(where.kind === 'pglite' ? { dataDir: 'memory://' } : { url: where.url });
}

/**
 * Starts a harness in a new random schema of `database` (dropped by `close()`).
 *
 * @example
 * const h = await startRelayHarness(database);
 * await h.close();
 */
export async function startRelayHarness(database: Database, appOptions: Partial<RelayAppOptions> = {}): Promise<RelayHarness> {
  const fake = await startFakeAuthServer();
  const schema = `relay_api_test_${randomBytes(6).toString('hex')}`;
  // The relay's tokens live in its own schema, as the service keeps them.
  const tokenStore = new PostgresTokenStore({ database, schema });
  const dexcom = new DexcomApiClient({ baseUrl: fake.url, oauth: { clientId: fake.clientId, clientSecret: fake.clientSecret, redirectUri: REDIRECT_URI, tokenStore } });
  let clock = Date.parse('2026-12-01T20:00:00.000Z');
  const calls: string[] = [];
  const attempts: DeliveryAttempt[] = [];
  const management = await createManagement({
    database,
    schema,
    dexcom,
    now: () => clock,
    guardUrl: async (url) => {
      calls.push(`guard ${new URL(url).hostname}`);
      if (new URL(url).hostname === REFUSED_HOST) throw new RelayValidationError('url resolves to a private address (10.0.0.8)', { field: 'url', reason: 'ssrf_refused' });
    },
    hooks: {
      connected: (userKey) => void calls.push(`connected ${userKey}`),
      disconnected: (userKey) => void calls.push(`disconnected ${userKey}`),
    },
  });
  const relay: Relay = {
    connections: management.connections,
    subscriptions: {
      ...management.subscriptions,
      async replay(id, since) {
        if ((await management.subscriptions.get(id)) === undefined) return undefined;
        calls.push(`replay ${id} ${since.toISOString()}`);
        return { queued: 3 };
      },
      async deliveries(id, options) {
        if ((await management.subscriptions.get(id)) === undefined) return undefined;
        calls.push(`deliveries ${id} ${options?.limit ?? 'default'}`);
        return attempts.slice(0, options?.limit ?? 100);
      },
    },
    metrics: async () => '# HELP dexcom_relay_test_total A test counter.\n# TYPE dexcom_relay_test_total counter\ndexcom_relay_test_total 1\n',
    start: async () => void calls.push('start'),
    stop: async () => void calls.push('stop'),
  };
  const app = await buildRelayApp(relay, { apiKey: API_KEY, ...appOptions });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  return {
    fake,
    database,
    schema,
    tokenStore,
    relay,
    app,
    url,
    client: createClient(createConfig({ baseUrl: url, auth: API_KEY })),
    anonymous: createClient(createConfig({ baseUrl: url })),
    now: () => clock,
    advance: (ms) => {
      clock += ms;
    },
    calls,
    attempts,
    async signIn(authorizationUrl) {
      const response = await fetch(authorizationUrl, { redirect: 'manual' });
      const location = new URL(response.headers.get('location') ?? '');
      return { code: location.searchParams.get('code') ?? '', state: location.searchParams.get('state') ?? '' };
    },
    async close() {
      await app.close();
      await database.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await fake.close();
    },
  };
}
