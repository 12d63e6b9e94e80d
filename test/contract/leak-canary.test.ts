/**
 * Leak canary: plants secrets and PHI (access and refresh tokens, client secret, authorization
 * code, state, userId, transmitterId, glucose values) in every place a server can put them (data
 * bodies, error bodies that echo them back, token responses, truncated bodies) and runs the contract
 * and fault scenarios with logging at `trace` including the opt-in body log, metrics on, through a
 * direct-token client, a `forUser()` OAuth view and Prism. Then it fails if any planted value
 * appears in a log line, an error's message, JSON, string form, stack or cause chain, the metrics
 * output, or the events.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DexcomApiClient, type DexcomApiClientOptions, InMemoryTokenStore, isDexcomError } from '../../src/index.js';

const SECRETS = {
  accessToken: 'AT-canary-7f3e9b21c4',
  oauthAccessToken: 'AT-oauth-canary-5d82ae0c',
  refreshedAccessToken: 'AT-refreshed-canary-91c0d7',
  refreshToken: 'RT-canary-2b6f0a9e13',
  rotatedRefreshToken: 'RT-rotated-canary-c71e44',
  clientSecret: 'CS-canary-e08d5f7a62',
  code: 'CODE-canary-4a1c9f3d',
  state: 'STATE-canary-6e2b8d05',
  userId: 'USERID-canary-0f9e8d7c6b5a',
  transmitterId: 'TXID-canary-13579bdf',
} as const;
/** Glucose values and a trend rate no duration or count in these fast tests comes near. */
const GLUCOSE = [389, 397, 353] as const;
const TREND_RATE = 7.317;

const envelope = () => ({
  recordType: 'egv',
  recordVersion: '3.0',
  userId: SECRETS.userId,
  records: GLUCOSE.map((value, i) => ({
    recordId: `rec-${i}`,
    systemTime: `2024-01-01T00:0${i * 5 > 9 ? 9 : i * 5}:00`,
    displayTime: `2024-01-01T01:0${i}:00+01:00`,
    transmitterId: SECRETS.transmitterId,
    transmitterTicks: 1000 + i,
    value,
    trend: 'flat',
    trendRate: TREND_RATE,
    unit: 'mg/dL',
    rateUnit: 'mg/dL/min',
    displayDevice: 'iOS',
    transmitterGeneration: 'g7',
  })),
});

/** One scripted answer of the canary server for the next data request. */
type Fault = 'ok' | 'echo-401' | 'echo-400' | 'echo-503' | 'truncated' | 'html' | 'drop' | '429';

/** A hostile local server: it echoes every secret it receives back in its error bodies. */
let server: Server;
let baseUrl: string;
const faults: Fault[] = [];
let refreshes = 0;
/** Refresh tokens are single use, as rotation requires. */
const usedRefreshTokens = new Set<string>();

function answerData(req: IncomingMessage, res: ServerResponse): void {
  const fault = faults.shift() ?? 'ok';
  const echo = { authorization: req.headers.authorization, url: req.url, userId: SECRETS.userId, transmitterId: SECRETS.transmitterId, value: GLUCOSE[0] };
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  switch (fault) {
    case 'ok':
      return json(200, envelope());
    case 'echo-401':
      return json(401, { error: 'unauthorized', error_description: `token ${req.headers.authorization} rejected for ${SECRETS.userId}`, ...echo });
    case 'echo-400':
      return json(400, { error: 'bad_request', message: `bad request ${req.url} ${SECRETS.transmitterId}`, ...echo });
    case 'echo-503':
      return json(503, { fault: { faultstring: `backend down for ${SECRETS.userId}` }, ...echo });
    case '429':
      return json(429, { error: 'too_many_requests', ...echo }, { 'retry-after': '0' });
    case 'truncated': {
      const text = JSON.stringify(envelope());
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(text.slice(0, Math.floor(text.length / 2)));
    }
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end(`<html>${SECRETS.userId} ${GLUCOSE[1]}</html>`);
    case 'drop':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
      res.write(JSON.stringify(envelope()).slice(0, 200));
      return void setTimeout(() => res.socket?.destroy(), 5);
  }
}

function answerToken(form: URLSearchParams, res: ServerResponse): void {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const echo = Object.fromEntries(form);
  if (form.get('grant_type') === 'authorization_code') {
    if (form.get('code') !== SECRETS.code) return json(400, { error: 'invalid_grant', error_description: `code ${form.get('code')} unknown`, echo });
    return json(200, { access_token: SECRETS.oauthAccessToken, refresh_token: SECRETS.refreshToken, expires_in: 7200, token_type: 'Bearer', session_state: SECRETS.state });
  }
  refreshes += 1;
  if (refreshes === 1) return json(503, { error: 'temporarily_unavailable', error_description: `cannot refresh ${form.get('refresh_token')}`, echo });
  const presented = form.get('refresh_token') ?? '';
  if (presented === SECRETS.refreshToken && !usedRefreshTokens.has(presented)) {
    usedRefreshTokens.add(presented);
    return json(200, { access_token: SECRETS.refreshedAccessToken, refresh_token: SECRETS.rotatedRefreshToken, expires_in: 7200, token_type: 'Bearer' });
  }
  return json(400, { error: 'invalid_grant', error_description: `refresh token ${form.get('refresh_token')} was already used; secret ${form.get('client_secret')}`, echo });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/v2/oauth2/token')) {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => answerToken(new URLSearchParams(body), res));
      return;
    }
    answerData(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const logLines: string[] = [];
const eventDumps: string[] = [];
const errorDumps: string[] = [];
const registry = new Registry();

function capture(error: unknown): void {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth++) {
    const e = current as Error;
    parts.push(String(e), e.message ?? '', e.stack ?? '', JSON.stringify(e));
    current = e.cause;
  }
  errorDumps.push(parts.join('\n'));
}

async function expectFailure(work: Promise<unknown>): Promise<void> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isDexcomError(error)).toBe(true);
  capture(error);
}

function canaryClient(name: string, options: Partial<DexcomApiClientOptions>, url = baseUrl): DexcomApiClient {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const dexcom = new DexcomApiClient({
    baseUrl: url,
    logger: pino({ level: 'trace' }, stream),
    logging: { level: 'trace', logBodies: true },
    metrics: { registry, clientName: name },
    retry: { initialDelayMs: 1, maxDelayMs: 2, jitter: false },
    rateLimit: { coolDownMs: 1 },
    circuitBreaker: { threshold: 50 },
    ...options,
  });
  for (const name of ['attempt', 'retry', 'give-up', 'call-end', 'throttled', 'queued', 'break'] as const) {
    dexcom.events.on(name, (event) => eventDumps.push(JSON.stringify(event, (key, value) => (key === 'request' || key === 'response' ? undefined : value))));
  }
  return dexcom;
}

const start = new Date('2024-01-01T00:00:00Z');
const end = new Date('2024-01-02T00:00:00Z');

describe('leak canary', () => {
  it('runs the scenarios: every fault through a direct-token client', async () => {
    const dexcom = canaryClient('direct', { accessToken: SECRETS.accessToken });
    faults.push('ok');
    expect(await dexcom.getGlucoseReadings(start, end)).toHaveLength(3);
    for (const fault of ['echo-401', 'echo-400'] as const) {
      faults.push(fault);
      await expectFailure(dexcom.getGlucoseReadings(start, end));
    }
    for (const fault of ['echo-503', 'truncated', 'html', 'drop', '429'] as const) {
      faults.push(fault, fault, fault);
      await expectFailure(dexcom.getDevices());
    }
    faults.push('echo-503', 'ok');
    expect(await dexcom.getGlucoseReadings(start, end)).toHaveLength(3);
  });

  it('runs the scenarios: OAuth code exchange, refresh after a 5xx, rotation and a reused refresh token', async () => {
    const tokenStore = new InMemoryTokenStore();
    const dexcom = canaryClient('oauth', { oauth: { clientId: 'canary-client', clientSecret: SECRETS.clientSecret, tokenStore, redirectUri: 'http://127.0.0.1:8787/callback', refreshRetry: { initialDelayMs: 1, maxDelayMs: 2 } } });
    const { url } = dexcom.oauth.authorizationUrl({ state: SECRETS.state });
    expect(new URL(url).searchParams.get('state')).toBe(SECRETS.state);
    await expectFailure(dexcom.oauth.exchangeCode({ userKey: 'patient-1', code: `${SECRETS.code}-wrong` }));
    await dexcom.oauth.exchangeCode({ userKey: 'patient-1', code: SECRETS.code });
    faults.push('ok');
    expect(await dexcom.forUser('patient-1').getGlucoseReadings(start, end)).toHaveLength(3);
    // A 401 (echoing the token) makes the client refresh: the refresh answers 503 (echoing the
    // refresh token and client secret), which is not re-sent (the server may have rotated the token).
    faults.push('echo-401');
    await expectFailure(dexcom.forUser('patient-1').getGlucoseReadings(start, end));
    expect(refreshes).toBe(1);
    // Once the hold-off (refreshRetry.maxDelayMs) is over, the next 401 refreshes again and rotates the token.
    await new Promise((resolve) => setTimeout(resolve, 5));
    faults.push('echo-401', 'ok');
    expect(await dexcom.forUser('patient-1').getGlucoseReadings(start, end)).toHaveLength(3);
    expect(refreshes).toBe(2);
    // A second user is handed the same, now used, refresh token: after a 401 its refresh is refused
    // as reused (the server echoing it), and the user must sign in again.
    await dexcom.oauth.exchangeCode({ userKey: 'patient-2', code: SECRETS.code });
    faults.push('echo-401');
    await expectFailure(dexcom.forUser('patient-2').getDevices());
    await expectFailure(dexcom.forUser('patient-2').getDevices());
  });

  it('runs the contract scenarios against Prism with a planted token', async () => {
    const dexcom = canaryClient('prism', { accessToken: SECRETS.accessToken }, inject('prismUrl'));
    await dexcom.getGlucoseReadings(start, end);
    await dexcom.getDevices();
    await expectFailure(dexcom.api.getDevicesV3({ headers: { prefer: 'code=401' } }));
    await expectFailure(dexcom.api.getEstimatedGlucoseValuesV3({ query: { startDate: 'not-a-date', endDate: '2024-01-02T00:00:00' } }));
  });

  it('finds no planted secret or PHI in logs, errors, events or metrics', async () => {
    await new Promise((resolve) => setTimeout(resolve, 20)); // let async body-log lines land
    const metrics = await registry.metrics();
    const places = { logs: logLines.join('\n'), errors: errorDumps.join('\n'), events: eventDumps.join('\n'), metrics };
    // The scenarios really ran and produced output to search.
    expect(logLines.length).toBeGreaterThan(40);
    expect(errorDumps.length).toBeGreaterThanOrEqual(11);
    expect(places.logs).toContain('[REDACTED]');
    for (const [where, text] of Object.entries(places)) {
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(text.includes(secret), `${name} leaked into ${where}`).toBe(false);
      }
      for (const value of [...GLUCOSE, TREND_RATE]) {
        expect(new RegExp(`["':= ]${String(value).replace('.', '\\.')}(?![0-9])`).test(text), `glucose ${value} leaked into ${where}`).toBe(false);
      }
    }
  });
});
