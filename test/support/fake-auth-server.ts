/**
 * A local fake of Dexcom's OAuth2 server and of enough data endpoints for the OAuth tests, on
 * 127.0.0.1 with a free port (node:http, nothing leaves the machine).
 *
 * - `GET /v2|v3/oauth2/login`: signs `loginUser` in at once and redirects (302) to
 *   `redirect_uri?code=...&state=...`.
 * - `POST /v2|v3/oauth2/token` (form body, client secret in the body): `authorization_code` and
 *   `refresh_token` grants. Refresh tokens ROTATE and are single use: a reused or unknown one gets
 *   `invalid_grant` (in the shape `errorStyle` picks). Scripted failures (`failTokenRequests`) and a
 *   gate that holds responses (`holdTokenResponses`) let tests stage outages and races. Every token
 *   request is counted in `tokenRequests`.
 * - `GET /v3/users/self/devices` and `/egvs`: a valid v3 envelope whose `userId` is the token's
 *   owner, or 401 for an expired or unknown bearer token. Each request is logged in
 *   `dataRequests` with the token, its owner and the `x-test-caller` header.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options of {@link startFakeAuthServer}. */
export interface FakeAuthServerOptions {
  /** Accepted client id. Default `fake-client-id`. */
  clientId?: string;
  /** Accepted client secret. Default `fake-client-secret-0123456789`. */
  clientSecret?: string;
  /** `expires_in` of issued access tokens, in seconds. Default 7200. */
  accessTokenLifetimeSeconds?: number;
  /** The user the login page signs in. Default `SandboxUser7`. */
  loginUser?: string;
  /**
   * Shape of an `invalid_grant` answer: `rfc` (400 JSON with `error_description`), `text`
   * (400 `text/plain`), `bare-401` (401 `{ "error": "invalid_grant" }`). Default `rfc`.
   */
  errorStyle?: 'rfc' | 'text' | 'bare-401';
}

/**
 * One scripted token-endpoint failure: a status and body, or `drop` (close the socket, no answer),
 * before the grant is looked at. With `afterRotation: true` (or `'drop-after-rotation'`) the
 * server first processes the grant (a refresh token is rotated away, a code used) and only then
 * fails: the answer that carried the new tokens is lost.
 */
export type TokenFailure = { status: number; body?: string; contentType?: string; afterRotation?: boolean } | 'drop' | 'drop-after-rotation';

/** A token request as the server saw it. */
export interface TokenRequestRecord {
  readonly path: string;
  readonly grantType: string | null;
  readonly contentType: string | undefined;
  /** The form fields received (including secrets: tests assert on them, nothing prints them). */
  readonly form: Readonly<Record<string, string>>;
  status: number;
}

/** A data request as the server saw it. */
export interface DataRequestRecord {
  readonly path: string;
  readonly token: string | undefined;
  /** The user the token was issued to, when the server knows the token. */
  readonly owner: string | undefined;
  /** The `x-test-caller` header: which test user made the call. */
  readonly caller: string | undefined;
  readonly status: number;
}

/** Tokens issued to a user (for seeding a store). */
export interface IssuedTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** A running fake server; see the module comment. */
export interface FakeAuthServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tokenRequests: TokenRequestRecord[];
  readonly dataRequests: DataRequestRecord[];
  /** Number of login-page requests. */
  readonly loginCount: () => number;
  /** Queues failures for the next token requests, in order. */
  failTokenRequests(...failures: TokenFailure[]): void;
  /** Holds every token response until the returned function is called. */
  holdTokenResponses(): () => void;
  /** When set, every data request is answered with this status (e.g. 401) regardless of the token. */
  setDataStatus(status: number | undefined): void;
  /** Issues tokens to `userId` directly (no sign-in); `expiresInSeconds` may be negative (already expired). */
  issueTokens(userId: string, expiresInSeconds?: number): IssuedTokens;
  /** Issues a sign-in code for `userId` bound to `redirectUri`, as the login page would. */
  issueCode(userId: string, redirectUri: string): string;
  /** `active`, `used` (rotated away) or `unknown`. */
  refreshTokenState(refreshToken: string): 'active' | 'used' | 'unknown';
  /** Every access token, refresh token and code the server issued (to assert none of them leaks). */
  issuedSecrets(): string[];
  close(): Promise<void>;
}

interface AccessGrant {
  readonly owner: string;
  readonly expiresAt: number;
}

/**
 * Starts a fake server on 127.0.0.1 with a free port.
 *
 * @example
 * const server = await startFakeAuthServer();
 * const dexcom = new DexcomApiClient({ baseUrl: server.url, oauth: { clientId: server.clientId, clientSecret: server.clientSecret, tokenStore } });
 * await server.close();
 */
export async function startFakeAuthServer(options: FakeAuthServerOptions = {}): Promise<FakeAuthServer> {
  const clientId = options.clientId ?? 'fake-client-id';
  const clientSecret = options.clientSecret ?? 'fake-client-secret-0123456789';
  const lifetimeSeconds = options.accessTokenLifetimeSeconds ?? 7_200;
  const loginUser = options.loginUser ?? 'SandboxUser7';
  const errorStyle = options.errorStyle ?? 'rfc';

  const accessTokens = new Map<string, AccessGrant>();
  const refreshTokens = new Map<string, { owner: string; used: boolean }>();
  const codes = new Map<string, { owner: string; redirectUri: string; used: boolean }>();
  const tokenRequests: TokenRequestRecord[] = [];
  const dataRequests: DataRequestRecord[] = [];
  const failures: TokenFailure[] = [];
  let logins = 0;
  let gate: Promise<void> | undefined;
  let dataStatus: number | undefined;

  const issueTokens = (owner: string, expiresInSeconds = lifetimeSeconds): IssuedTokens => {
    const accessToken = `at-${randomUUID()}`;
    const refreshToken = `rt-${randomUUID()}`;
    const expiresAt = Date.now() + expiresInSeconds * 1_000;
    accessTokens.set(accessToken, { owner, expiresAt });
    refreshTokens.set(refreshToken, { owner, used: false });
    return { accessToken, refreshToken, expiresAt };
  };
  const issueCode = (owner: string, redirectUri: string): string => {
    const code = `US_${randomUUID()}.${randomUUID()}`;
    codes.set(code, { owner, redirectUri, used: false });
    return code;
  };

  const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
  const invalidGrant = (response: ServerResponse): number => {
    if (errorStyle === 'text') {
      response.writeHead(400, { 'content-type': 'text/plain' });
      response.end('invalid_grant');
      return 400;
    }
    if (errorStyle === 'bare-401') {
      json(response, 401, { error: 'invalid_grant' });
      return 401;
    }
    json(response, 400, { error: 'invalid_grant', error_description: 'Token is not active' });
    return 400;
  };

  const handleLogin = (url: URL, response: ServerResponse): void => {
    logins += 1;
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    if (q.get('client_id') !== clientId || q.get('response_type') !== 'code' || q.get('scope') !== 'offline_access' || !redirectUri) {
      response.writeHead(400, { 'content-type': 'text/plain' });
      response.end('The client application is not known or is not authorized');
      return;
    }
    const location = new URL(redirectUri);
    location.searchParams.set('code', issueCode(loginUser, redirectUri));
    if (q.get('state') !== null) location.searchParams.set('state', q.get('state')!);
    response.writeHead(302, { location: location.href });
    response.end();
  };

  const handleToken = async (request: IncomingMessage, url: URL, response: ServerResponse): Promise<void> => {
    const form = new URLSearchParams(await readText(request));
    const record: TokenRequestRecord = {
      path: url.pathname,
      grantType: form.get('grant_type'),
      contentType: request.headers['content-type'],
      form: Object.fromEntries(form),
      status: 0,
    };
    tokenRequests.push(record);
    const scripted = failures.shift();
    const late = scripted === 'drop-after-rotation' || (typeof scripted === 'object' && scripted.afterRotation === true) ? scripted : undefined;
    const failure = late === undefined ? scripted : undefined;
    if (failure === 'drop') {
      record.status = -1;
      request.socket.destroy();
      return;
    }
    if (failure !== undefined && failure !== 'drop-after-rotation') {
      record.status = failure.status;
      response.writeHead(failure.status, { 'content-type': failure.contentType ?? 'application/json' });
      response.end(failure.body ?? JSON.stringify({ error: 'server_error' }));
      return;
    }
    if (gate) await gate;
    if (!/^application\/x-www-form-urlencoded/.test(record.contentType ?? '')) {
      record.status = 400;
      json(response, 400, { error: 'invalid_request' });
      return;
    }
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
      record.status = 401;
      json(response, 401, { error: 'invalid_client' });
      return;
    }
    let owner: string | undefined;
    if (record.grantType === 'authorization_code') {
      const code = codes.get(form.get('code') ?? '');
      if (code && !code.used && code.redirectUri === form.get('redirect_uri')) {
        code.used = true;
        owner = code.owner;
      }
    } else if (record.grantType === 'refresh_token') {
      const refresh = refreshTokens.get(form.get('refresh_token') ?? '');
      if (refresh && !refresh.used) {
        refresh.used = true; // rotation: this refresh token is dead from now on
        owner = refresh.owner;
      }
    } else {
      record.status = 400;
      json(response, 400, { error: 'unsupported_grant_type' });
      return;
    }
    if (owner === undefined) {
      record.status = invalidGrant(response);
      return;
    }
    const tokens = issueTokens(owner);
    if (late === 'drop-after-rotation') {
      record.status = -1;
      request.socket.destroy();
      return;
    }
    if (late !== undefined) {
      record.status = late.status;
      response.writeHead(late.status, { 'content-type': late.contentType ?? 'application/json' });
      response.end(late.body ?? JSON.stringify({ error: 'server_error' }));
      return;
    }
    record.status = 200;
    // Keycloak's shape, extra fields included, as in Dexcom's examples.
    json(response, 200, {
      access_token: tokens.accessToken,
      expires_in: lifetimeSeconds,
      refresh_expires_in: 0,
      refresh_token: tokens.refreshToken,
      token_type: 'Bearer',
      'not-before-policy': '0',
      session_state: randomUUID(),
      scope: 'offline_access',
    });
  };

  const handleData = (request: IncomingMessage, url: URL, response: ServerResponse): void => {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    const grant = token === undefined ? undefined : accessTokens.get(token);
    const valid = grant !== undefined && grant.expiresAt > Date.now();
    const status = dataStatus ?? (valid ? 200 : 401);
    const caller = request.headers['x-test-caller'];
    dataRequests.push({ path: url.pathname, token, owner: grant?.owner, caller: typeof caller === 'string' ? caller : undefined, status });
    if (status !== 200) {
      json(response, status, status === 401 ? { fault: { faultstring: 'Invalid Access Token' } } : { error: 'error' });
      return;
    }
    const recordType = url.pathname.endsWith('/devices') ? 'device' : 'egv';
    json(response, 200, { recordType, recordVersion: '3.0', userId: grant!.owner, records: [] });
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const route = `${request.method} ${url.pathname}`;
    let work: Promise<void> | void = undefined;
    if (/^GET \/v[23]\/oauth2\/login$/.test(route)) work = handleLogin(url, response);
    else if (/^POST \/v[23]\/oauth2\/token$/.test(route)) work = handleToken(request, url, response);
    else if (/^GET \/v3\/users\/self\/(devices|egvs)$/.test(route)) work = handleData(request, url, response);
    else json(response, 404, { error: 'not_found' });
    Promise.resolve(work).catch((error: unknown) => {
      if (!response.headersSent) json(response, 500, { error: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    clientId,
    clientSecret,
    tokenRequests,
    dataRequests,
    loginCount: () => logins,
    failTokenRequests: (...next) => void failures.push(...next),
    holdTokenResponses: () => {
      let release!: () => void;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
    setDataStatus: (status) => {
      dataStatus = status;
    },
    issueTokens,
    issueCode,
    refreshTokenState: (token) => {
      const state = refreshTokens.get(token);
      return state === undefined ? 'unknown' : state.used ? 'used' : 'active';
    },
    issuedSecrets: () => [...accessTokens.keys(), ...refreshTokens.keys(), ...codes.keys()],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
