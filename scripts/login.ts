/**
 * Signs one Dexcom user in and saves their tokens in a token file (`npm run login`):
 *
 *   DEXCOM_CLIENT_SECRET=... npm run login -- --env sandbox --client-id <id> --redirect-port 8787
 *
 * It listens on 127.0.0.1 for the redirect, prints the sign-in URL (it never opens a browser),
 * checks the redirect's `state`, exchanges the code through DexcomApiClient (the same pipeline
 * as every other call) and saves the tokens with FileTokenStore. It prints no token, code or
 * client secret. Register `http://127.0.0.1:<port>/callback` as a redirect URI of your app.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEXCOM_ENVIRONMENTS, DexcomApiClient, type DexcomEnvironment, FileTokenStore, isDexcomError, type TokenStatus } from '../src/index.js';

/**
 * Where the helper writes its messages and reads its environment (injectable for tests).
 *
 * @example
 * const io: LoginIo = { stdout: console.log, stderr: console.error, env: process.env };
 */
export interface LoginIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const USAGE = `Usage: npm run login -- --client-id ID [options]   (client secret from DEXCOM_CLIENT_SECRET)

  --env sandbox|us|eu|jp   Dexcom environment (default sandbox)
  --base-url URL           another server instead, e.g. a local fake (plain http only to loopback)
  --client-id ID           the app's client id (or DEXCOM_CLIENT_ID)
  --client-secret SECRET   the app's client secret (prefer DEXCOM_CLIENT_SECRET: arguments show up in ps)
  --redirect-port PORT     loopback port of the redirect listener (default 8787; 0 picks a free one)
  --redirect-path PATH     path of the redirect URI (default /callback)
  --store PATH             token file (default .dexcom-tokens.json, gitignored)
  --user-key KEY           key the tokens are saved under (default "default")
  --token-path v2|v3       OAuth path version (default v2)
  --timeout SECONDS        how long to wait for the redirect (default 300)`;

/** A failure the helper explains in one line (exit code 1). */
class LoginError extends Error {}

/**
 * Runs the login flow; resolves with the process exit code (0 saved, 1 failed, 2 bad usage).
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], io: LoginIo = processIo()): Promise<number> {
  let settings: Settings | 'help';
  try {
    settings = parseSettings(argv, io.env);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (settings === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  try {
    const status = await signIn(settings, io);
    io.stdout(
      `Signed in. Tokens for user key "${settings.userKey}" saved to ${settings.store} ` +
        `(${status.environment}, access token valid until ${status.expiresAt?.toISOString() ?? 'unknown'}).`,
    );
    return 0;
  } catch (error) {
    // DexcomError messages never hold tokens, codes or the client secret; other errors get a fixed text.
    const message = error instanceof LoginError || isDexcomError(error) ? error.message : 'unexpected error (details withheld: they may hold secrets)';
    io.stderr(`Login failed: ${message}`);
    return 1;
  }
}

interface Settings {
  readonly endpoint: { environment: DexcomEnvironment } | { baseUrl: string };
  readonly clientId: string;
  readonly clientSecret: string;
  readonly port: number;
  readonly path: string;
  readonly store: string;
  readonly userKey: string;
  readonly tokenPath: 'v2' | 'v3';
  readonly timeoutMs: number;
}

function parseSettings(argv: readonly string[], env: LoginIo['env']): Settings | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      env: { type: 'string', default: 'sandbox' },
      'base-url': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'redirect-port': { type: 'string', default: '8787' },
      'redirect-path': { type: 'string', default: '/callback' },
      store: { type: 'string', default: '.dexcom-tokens.json' },
      'user-key': { type: 'string', default: 'default' },
      'token-path': { type: 'string', default: 'v2' },
      timeout: { type: 'string', default: '300' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const environment = values.env;
  if (values['base-url'] === undefined && !Object.hasOwn(DEXCOM_ENVIRONMENTS, environment)) {
    throw new Error(`--env must be one of ${Object.keys(DEXCOM_ENVIRONMENTS).join(', ')}`);
  }
  const clientId = values['client-id'] ?? env.DEXCOM_CLIENT_ID;
  if (!clientId) throw new Error('--client-id is required (or set DEXCOM_CLIENT_ID)');
  const clientSecret = values['client-secret'] ?? env.DEXCOM_CLIENT_SECRET;
  if (!clientSecret) throw new Error('The client secret is required: set DEXCOM_CLIENT_SECRET (or pass --client-secret)');
  const port = Number(values['redirect-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error('--redirect-port must be a port number, e.g. --redirect-port 8787');
  const path = values['redirect-path'];
  if (!path.startsWith('/')) throw new Error('--redirect-path must start with /, e.g. --redirect-path /callback');
  const tokenPath = values['token-path'];
  if (tokenPath !== 'v2' && tokenPath !== 'v3') throw new Error('--token-path must be v2 or v3');
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new Error('--timeout must be a positive number of seconds, e.g. --timeout 300');
  return {
    endpoint: values['base-url'] === undefined ? { environment: environment as DexcomEnvironment } : { baseUrl: values['base-url'] },
    clientId,
    clientSecret,
    port,
    path,
    store: values.store,
    userKey: values['user-key'],
    tokenPath,
    timeoutMs: Math.round(timeoutSeconds * 1_000),
  };
}

/** Listens for the redirect, prints the URL, and resolves once the tokens are saved. */
async function signIn(settings: Settings, io: LoginIo): Promise<TokenStatus> {
  let finish!: (outcome: { status: TokenStatus } | { error: unknown }) => void;
  const outcome = new Promise<{ status: TokenStatus } | { error: unknown }>((resolve) => {
    finish = resolve;
  });
  let expected: Expected | undefined;
  let handled = false;

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (request.method !== 'GET' || url.pathname !== settings.path || expected === undefined) {
      page(response, 404, 'Not found.');
      return;
    }
    if (handled) {
      page(response, 409, 'This sign-in was already handled. You can close this tab.');
      return;
    }
    handled = true;
    void handleRedirect(url, response, expected).then(finish);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, '127.0.0.1', () => resolve());
  }).catch((error: unknown) => {
    throw new LoginError(`cannot listen on 127.0.0.1:${settings.port} (${(error as NodeJS.ErrnoException).code ?? 'error'}); pick another --redirect-port`);
  });

  const timer = setTimeout(() => finish({ error: new LoginError(`no redirect arrived within ${settings.timeoutMs / 1_000} s; nothing was saved. Run the login again and finish the sign-in in the browser`) }), settings.timeoutMs);
  try {
    const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${settings.path}`;
    const dexcom = new DexcomApiClient({
      ...settings.endpoint,
      oauth: {
        clientId: settings.clientId,
        clientSecret: settings.clientSecret,
        redirectUri,
        tokenStore: new FileTokenStore({ path: settings.store }),
        tokenPath: settings.tokenPath,
      },
    });
    const { url, state } = dexcom.oauth.authorizationUrl();
    expected = { state, redirectUri, dexcom, userKey: settings.userKey };
    io.stdout(`Open this URL in a browser and sign in (this helper never opens one itself):\n\n  ${url}\n`);
    io.stdout(`Waiting up to ${settings.timeoutMs / 1_000} s for the redirect to ${redirectUri} ...`);
    const result = await outcome;
    if ('error' in result) throw result.error;
    return result.status;
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** What the redirect must match, and how to finish the sign-in. */
interface Expected {
  readonly state: string;
  readonly redirectUri: string;
  readonly dexcom: DexcomApiClient;
  readonly userKey: string;
}

async function handleRedirect(url: URL, response: ServerResponse, expected: Expected): Promise<{ status: TokenStatus } | { error: unknown }> {
  const error = url.searchParams.get('error');
  if (error !== null) {
    page(response, 400, 'Dexcom reported that the sign-in did not complete. You can close this tab.');
    // Only a plain OAuth code is echoed; a free-text description could hold anything.
    return { error: new LoginError(`Dexcom redirected with an error${/^[a-z_]{1,64}$/.test(error) ? ` (${error})` : ''}; nothing was saved`) };
  }
  if (!sameState(url.searchParams.get('state'), expected.state)) {
    page(response, 400, 'The sign-in could not be verified (state mismatch). Nothing was saved. Start the login again.');
    return { error: new LoginError('the redirect\'s state did not match this login (a stale or forged redirect); nothing was saved') };
  }
  const code = url.searchParams.get('code');
  if (!code) {
    page(response, 400, 'The redirect carried no authorization code. Start the login again.');
    return { error: new LoginError('the redirect carried no authorization code; nothing was saved') };
  }
  try {
    const status = await expected.dexcom.oauth.exchangeCode({ userKey: expected.userKey, code, redirectUri: expected.redirectUri });
    page(response, 200, 'Signed in. The tokens were saved; you can close this tab.');
    return { status };
  } catch (exchangeError) {
    page(response, 502, 'The sign-in worked, but exchanging the code for tokens failed. See the terminal.');
    return { error: exchangeError };
  }
}

/** Constant-time comparison, so the state cannot be guessed byte by byte from response timings. */
function sameState(received: string | null, expected: string): boolean {
  if (received === null) return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function page(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  response.end(`<!doctype html><title>Dexcom sign-in</title><p>${text}</p>\n`);
}

function processIo(): LoginIo {
  return {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
