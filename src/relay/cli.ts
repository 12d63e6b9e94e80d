#!/usr/bin/env node
/**
 * `dexcom-relay` (and `npm run relay -- [flags]`): the relay as a service. Connects Dexcom users
 * through OAuth, polls each within the app's quota and delivers signed webhooks, with the
 * management API on Fastify. Bad input: one line, the usage, exit 2. SIGTERM or SIGINT: stops
 * accepting requests, finishes work in flight, closes the database, exit 0.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DexcomApiClient } from '../client.js';
import { openDatabase } from '../stores/postgres/database.js';
import { PostgresTokenStore } from '../stores/postgres/token-store.js';
import { RELAY_USAGE, RelayUsageError, resolveRelayCliOptions, type RelayCliOptions } from './cli-options.js';
import { buildRelayApp } from './http/build-relay-app.js';
import { DEFAULT_RELAY_SCHEMA as RELAY_SCHEMA } from './management/migrations.js';

/** Loaded when the service starts, so `--help` and bad input answer without loading the engine and its queue. */
async function loadCreateRelay(): Promise<typeof import('./create-relay.js').createRelay> {
  return (await import('./create-relay.js')).createRelay;
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
      oauth: { clientId: options.clientId, clientSecret: options.clientSecret, redirectUri: options.redirectUri, tokenStore: new PostgresTokenStore({ database, schema: RELAY_SCHEMA }) },
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
