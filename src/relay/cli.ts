#!/usr/bin/env node
/**
 * `dexcom-relay` (and `npm run relay -- [flags]`): the relay as a service. Connects Dexcom users
 * through OAuth, polls each within the app's quota and delivers signed webhooks, with the
 * management API on Fastify. Bad input: one line, the usage, exit 2. SIGTERM or SIGINT: stops
 * accepting requests, finishes work in flight, closes the database, exit 0.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DexcomApiClient } from '../client.js';
import { FileTokenStore } from '../oauth/file-token-store.js';
import { type Database, openDatabase } from '../stores/postgres/database.js';
import { RELAY_USAGE, RelayUsageError, resolveRelayCliOptions, type RelayCliOptions } from './cli-options.js';
import { buildRelayApp } from './http/build-relay-app.js';
import type { Relay } from './relay-types.js';

/** What the CLI hands `createRelay()` (see src/relay/create-relay.ts). */
type CreateRelay = (options: { dexcom: DexcomApiClient; database: Database; pollIntervalMs?: number; allowPrivateTargets?: boolean }) => Promise<Relay>;

async function loadCreateRelay(): Promise<CreateRelay> {
  const specifier = './create-relay.js';
  return ((await import(specifier)) as { createRelay: CreateRelay }).createRelay;
}

/** Where the relay keeps users' tokens: next to the embedded database. */
function tokenStoreFor(options: RelayCliOptions): FileTokenStore {
  const folder = 'dataDir' in options.database ? options.database.dataDir : process.cwd();
  return new FileTokenStore({ path: join(folder, 'dexcom-relay-tokens.json') });
}

/** Resolves once a stop signal arrived. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
  });
}

/**
 * Runs the relay until SIGTERM or SIGINT; resolves the exit code.
 *
 * @example
 * process.exitCode = await runRelayCli(process.argv.slice(2), process.env);
 */
export async function runRelayCli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let options: RelayCliOptions | undefined;
  try {
    options = resolveRelayCliOptions(argv, env);
  } catch (error) {
    if (!(error instanceof RelayUsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${RELAY_USAGE}\n`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(`${RELAY_USAGE}\n`);
    return 0;
  }
  const stopped = stopSignal();
  const database = await openDatabase(options.database);
  try {
    const dexcom = new DexcomApiClient({
      ...options.endpoint,
      oauth: { clientId: options.clientId, clientSecret: options.clientSecret, redirectUri: options.redirectUri, tokenStore: tokenStoreFor(options) },
    });
    const createRelay = await loadCreateRelay();
    const relay = await createRelay({ dexcom, database, pollIntervalMs: options.pollIntervalMs, allowPrivateTargets: options.allowPrivateTargets });
    const app = await buildRelayApp(relay, { apiKey: options.apiKey, logger: { level: env.DEXCOM_RELAY_LOG_LEVEL ?? 'info' } });
    try {
      await app.listen({ port: options.port, host: options.host });
      await relay.start();
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      process.stdout.write(`dexcom-relay listening on http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port} (OAuth callback ${options.redirectUri})\n`);
      const signal = await stopped;
      process.stdout.write(`dexcom-relay stopping (${signal})\n`);
    } finally {
      // Stop taking requests first, then let the engine finish what is in flight.
      await app.close();
      await relay.stop();
    }
    return 0;
  } finally {
    await database.close();
  }
}

/** True when this file is the program being run (directly, through tsx, or as the package bin). */
function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  runRelayCli(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // One line, never a stack trace (and DexcomErrors carry no secrets in their messages).
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
