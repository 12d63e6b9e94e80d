import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isLoopbackHost } from '../core/loopback.js';
import { DEXCOM_ENVIRONMENTS, type DexcomEnvironment, resolveEndpoint } from '../environments.js';
import { MIN_API_KEY_LENGTH } from './management/api-key.js';

/** Usage text of `dexcom-relay`. */
export const RELAY_USAGE = `Usage: dexcom-relay --client-id <id> [flags]

Polls Dexcom for every connected user and delivers signed webhooks (Standard Webhooks).

Flags:
  --port <n>                 port of the HTTP API (default 8790)
  --host <address>           address to listen on (default 127.0.0.1)
  --database <dir|url>       folder of the embedded database, or a postgres:// URL (default ./.dexcom-relay)
  --environment <name>       Dexcom environment: ${Object.keys(DEXCOM_ENVIRONMENTS).join(', ')} (default sandbox)
  --dexcom-base-url <url>    Dexcom base URL instead of --environment (a local fake; http only for loopback)
  --client-id <id>           your Dexcom app's client id (required)
  --public-url <url>         the relay's own URL; Dexcom redirects to <public-url>/oauth/callback (default http://<host>:<port>)
  --poll-interval <time>     how often each user is polled at most, e.g. 2s, 5m, 1h (default 5m)
  --allow-private-targets    allow webhook URLs on loopback and private networks (local development)
  --help                     show this help

Environment:
  DEXCOM_RELAY_API_KEY       the management API key, at least ${MIN_API_KEY_LENGTH} characters (required)
  DEXCOM_CLIENT_SECRET       your Dexcom app's client secret (required)`;

/** Bad input on the command line: one line, the usage, exit code 2. */
export class RelayUsageError extends Error {}

/** Validated `dexcom-relay` settings. */
export interface RelayCliOptions {
  readonly port: number;
  readonly host: string;
  readonly database: { readonly url: string } | { readonly dataDir: string };
  readonly endpoint: { readonly environment: DexcomEnvironment } | { readonly baseUrl: string };
  readonly clientId: string;
  readonly clientSecret: string;
  readonly apiKey: string;
  readonly publicUrl: string;
  /** `<public-url>/oauth/callback`. */
  readonly redirectUri: string;
  readonly pollIntervalMs: number;
  readonly allowPrivateTargets: boolean;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `2s`, `5m`, `1h` or `500ms` (from 1 s to 24 h) into milliseconds.
 *
 * @throws RelayUsageError naming the flag.
 * @example
 * parseDuration('--poll-interval', '5m'); // 300_000
 */
export function parseDuration(flag: string, raw: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * UNITS[match[2]!]! : Number.NaN;
  if (!(ms >= 1_000 && ms <= 86_400_000)) throw new RelayUsageError(`${flag} must be a duration from 1s to 24h such as 2s, 5m or 1h (got ${JSON.stringify(raw)})`);
  return ms;
}

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        database: { type: 'string' },
        environment: { type: 'string' },
        'dexcom-base-url': { type: 'string' },
        'client-id': { type: 'string' },
        'public-url': { type: 'string' },
        'poll-interval': { type: 'string' },
        'allow-private-targets': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    // node's messages name the flag well, then add advice we do not need.
    throw new RelayUsageError((error as Error).message.split('. ')[0]!.replace(/\.$/, ''));
  }
}

function publicUrlOf(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RelayUsageError(`--public-url must be an absolute URL such as https://relay.example.com (got ${JSON.stringify(raw)})`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new RelayUsageError(`--public-url must use https (plain http only on loopback), e.g. https://relay.example.com (got ${url.protocol}//${url.host})`);
  }
  if (url.search !== '' || url.hash !== '') throw new RelayUsageError('--public-url must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

/**
 * Validates the flags and environment of `dexcom-relay`. `undefined` means `--help`.
 *
 * @throws RelayUsageError with one line saying what is wrong (never echoing a secret).
 * @example
 * const options = resolveRelayCliOptions(['--client-id', 'abc123'], process.env);
 */
export function resolveRelayCliOptions(argv: readonly string[], env: NodeJS.ProcessEnv): RelayCliOptions | undefined {
  const flags = parseFlags(argv);
  if (flags.help) return undefined;
  const apiKey = env.DEXCOM_RELAY_API_KEY ?? '';
  if (apiKey.length < MIN_API_KEY_LENGTH) {
    throw new RelayUsageError(`DEXCOM_RELAY_API_KEY must be set to a key of at least ${MIN_API_KEY_LENGTH} characters, e.g. export DEXCOM_RELAY_API_KEY=$(openssl rand -hex 32)`);
  }
  const clientId = flags['client-id'];
  if (clientId === undefined || clientId.trim() === '') throw new RelayUsageError('--client-id is required: your Dexcom app\'s client id, e.g. --client-id abc123');
  const clientSecret = env.DEXCOM_CLIENT_SECRET ?? '';
  if (clientSecret === '') throw new RelayUsageError('DEXCOM_CLIENT_SECRET must be set to your Dexcom app\'s client secret');

  const rawPort = flags.port ?? '8790';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65_535) throw new RelayUsageError(`--port must be a whole number from 0 to 65535 (got ${JSON.stringify(rawPort)})`);
  const host = flags.host ?? '127.0.0.1';
  if (host.trim() === '') throw new RelayUsageError('--host must not be empty, e.g. --host 127.0.0.1');

  if (flags.environment !== undefined && flags['dexcom-base-url'] !== undefined) throw new RelayUsageError('Give --environment or --dexcom-base-url, not both');
  const endpoint = flags['dexcom-base-url'] !== undefined ? { baseUrl: flags['dexcom-base-url'] } : { environment: (flags.environment ?? 'sandbox') as DexcomEnvironment };
  try {
    resolveEndpoint(endpoint);
  } catch (error) {
    const flag = 'baseUrl' in endpoint ? '--dexcom-base-url' : '--environment';
    throw new RelayUsageError(`${flag}: ${(error as Error).message.split(', e.g.')[0]}`);
  }

  const rawDatabase = flags.database ?? './.dexcom-relay';
  const database = /^postgres(ql)?:\/\//.test(rawDatabase) ? { url: rawDatabase } : { dataDir: resolve(rawDatabase) };
  if (rawDatabase.trim() === '') throw new RelayUsageError('--database must be a folder or a postgres:// URL');

  const defaultPublic = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (flags['public-url'] === undefined && !isLoopbackHost(host)) {
    throw new RelayUsageError(`--public-url is required when listening on ${host}: the https URL Dexcom redirects browsers to, e.g. --public-url https://relay.example.com`);
  }
  const publicUrl = publicUrlOf(flags['public-url'] ?? defaultPublic);
  return {
    port,
    host,
    database,
    endpoint,
    clientId,
    clientSecret,
    apiKey,
    publicUrl,
    redirectUri: `${publicUrl}/oauth/callback`,
    pollIntervalMs: parseDuration('--poll-interval', flags['poll-interval'] ?? '5m'),
    allowPrivateTargets: flags['allow-private-targets'] ?? false,
  };
}
