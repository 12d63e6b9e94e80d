/**
 * The baseline and this SDK's contenders: raw `fetch`, the bare generated client, and
 * `DexcomApiClient` with everything on, at its resilience defaults, and with everything off.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createClient, createConfig } from '../../generated/client/index.js';
import { DexcomApi } from '../../generated/sdk.gen.js';
import { DexcomApiClient, type DexcomApiClientOptions } from '../../src/index.js';
import { type Contender, EGVS_PATH, QUERY, TOKEN, recordCount } from './contender.js';

/**
 * Raw `fetch` plus `res.json()`: the floor every client is compared with. The URL is built once,
 * so nothing but the wire and the parse is measured.
 *
 * @example
 * const floor = rawFetch('http://127.0.0.1:4010');
 */
export function rawFetch(baseUrl: string): Contender {
  const url = `${baseUrl}${EGVS_PATH}?${new URLSearchParams(QUERY)}`;
  const init = { headers: { authorization: `Bearer ${TOKEN}` } };
  return {
    name: 'raw fetch',
    config: 'global fetch + res.json(), no retry',
    async request() {
      const response = await fetch(url, init);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return recordCount(await response.json());
    },
  };
}

/**
 * The generated client alone (`DexcomApi` over `createClient`), as `npm run generate` emits it.
 *
 * @example
 * const bare = bareGenerated('http://127.0.0.1:4010');
 */
export function bareGenerated(baseUrl: string): Contender {
  const api = new DexcomApi({ client: createClient(createConfig({ baseUrl, throwOnError: true, auth: TOKEN })) });
  return {
    name: 'generated client (bare)',
    config: 'DexcomApi over createClient, no retry',
    request: () => api.getEstimatedGlucoseValuesV3({ query: QUERY }).then((r) => recordCount(r.data)),
  };
}

/** A rate limit that never throttles the benchmark: a million tokens, refilled at a million a second. */
const UNTHROTTLED = { capacity: 1_000_000, refillPerInterval: 1_000_000, intervalMs: 1_000 };

/** A pino logger writing to a sink that drops every byte: the serialisation is paid, no I/O. */
function nullLogger(): pino.Logger {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  return pino({ level: 'info' }, sink);
}

/**
 * Options of `DexcomApiClient` with every plugin on: retry, circuit breaker and timeouts at their
 * defaults, the rate limiter raised so it never waits, info logging to a discarding pino logger,
 * metrics into a fresh prom-client registry, correlation headers.
 *
 * @example
 * const dexcom = new DexcomApiClient(dexcomFullOptions('http://127.0.0.1:4010'));
 */
export function dexcomFullOptions(baseUrl: string): DexcomApiClientOptions {
  return {
    baseUrl,
    accessToken: TOKEN,
    rateLimit: UNTHROTTLED,
    logger: nullLogger(),
    logging: { level: 'info' },
    metrics: { registry: new Registry() },
  };
}

/**
 * `DexcomApiClient` with every plugin on (see {@link dexcomFullOptions}).
 *
 * @example
 * const full = dexcomFull('http://127.0.0.1:4010');
 */
export function dexcomFull(baseUrl: string): Contender {
  return dexcomContender(
    'DexcomApiClient, everything on',
    'retry 3 attempts, breaker, 30 s/120 s timeouts, limiter (unthrottled), info logs (pino), metrics (prom-client)',
    dexcomFullOptions(baseUrl),
  );
}

/**
 * `DexcomApiClient` at its resilience defaults (limiter raised), no logger, no metrics: what the
 * logging and metrics subscribers cost is the difference to {@link dexcomFull}.
 *
 * @example
 * const defaults = dexcomDefaults('http://127.0.0.1:4010');
 */
export function dexcomDefaults(baseUrl: string): Contender {
  return dexcomContender('DexcomApiClient, resilience only', 'as above without logger and metrics', {
    baseUrl,
    accessToken: TOKEN,
    rateLimit: UNTHROTTLED,
  });
}

/**
 * Options of `DexcomApiClient` with everything off that can be: no limiter, retry, breaker,
 * timeouts, correlation headers, logger or metrics. What remains is the call observer, the
 * total-deadline layer (it links the caller's signal), auth, the wire observer and the buffering,
 * validating transport.
 *
 * @example
 * const dexcom = new DexcomApiClient(dexcomMinimalOptions('http://127.0.0.1:4010'));
 */
export function dexcomMinimalOptions(baseUrl: string): DexcomApiClientOptions {
  return { baseUrl, accessToken: TOKEN, rateLimit: false, retry: false, circuitBreaker: false, timeout: false, correlation: false };
}

/**
 * `DexcomApiClient` with everything off that can be (see {@link dexcomMinimalOptions}).
 *
 * @example
 * const minimal = dexcomMinimal('http://127.0.0.1:4010');
 */
export function dexcomMinimal(baseUrl: string): Contender {
  return dexcomContender(
    'DexcomApiClient, everything off',
    'rateLimit/retry/circuitBreaker/timeout/correlation false, no logger/metrics',
    dexcomMinimalOptions(baseUrl),
  );
}

/** A contender that reads the page through `dexcom.api`, as the bare client does. */
function dexcomContender(name: string, config: string, options: DexcomApiClientOptions): Contender {
  const dexcom = new DexcomApiClient(options);
  return { name, config, request: () => dexcom.api.getEstimatedGlucoseValuesV3({ query: QUERY }).then((r) => recordCount(r.data)) };
}
