/**
 * A small hostile HTTP server on 127.0.0.1 for tests: it answers every request with what a
 * scripted `behave` function does, and records each request it received (method, path, query,
 * headers, body), so a test can assert the exact number of wire requests and what was sent.
 *
 * Behaviours that a real gateway or a broken server shows and the SDK must survive:
 * `redirectTo` (a 3xx to another host, e.g. a second hostile server that counts hits),
 * `echoSecrets` (an error body that repeats the bearer token and every form field in `error`,
 * `code`, `message` and `error_description`), `announceHugeBody` (a 200 whose Content-Length
 * promises more than the runtime can read) and `ok` (a plain JSON answer).
 *
 * Loopback only: it binds 127.0.0.1 on a free port and nothing else.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { DexcomApiClient, type DexcomApiClientOptions } from '../../src/index.js';

/** One request as the server received it. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path with query, as on the request line. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** The body as text ('' when none). */
  readonly body: string;
}

/** What the server does with one request. */
export type Behaviour = (request: ReceivedRequest, response: ServerResponse) => void;

/** A running hostile server. */
export interface HostileServer {
  /** Base URL, e.g. `http://127.0.0.1:51234`. */
  readonly url: string;
  /** `host:port` of the server, as a `Location` host would show it. */
  readonly host: string;
  /** Every request received, oldest first. */
  readonly requests: readonly ReceivedRequest[];
  /** Replaces the behaviour for the requests that follow. */
  behave(behaviour: Behaviour): void;
  /** Stops the server, dropping open connections. */
  close(): Promise<void>;
}

/**
 * Starts a hostile server on a free loopback port.
 *
 * @example
 * const target = await startHostileServer(ok({ records: [] }));
 * const server = await startHostileServer(redirectTo(`${target.url}/steal`, 302));
 * // ... drive a client at server.url; target.requests.length must stay 0
 * await Promise.all([server.close(), target.close()]);
 */
export async function startHostileServer(initial: Behaviour): Promise<HostileServer> {
  let behaviour = initial;
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: ReceivedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(received);
      behaviour(received, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    behave(next) {
      behaviour = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Answers 200 with `body` as JSON.
 *
 * @example
 * await startHostileServer(ok({ records: [] }));
 */
export function ok(body: unknown): Behaviour {
  return (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
}

/**
 * Redirects to `location` (absolute, typically another hostile server with a query that
 * carries a secret) with `status`, and a small body as gateways send.
 *
 * @example
 * await startHostileServer(redirectTo('http://127.0.0.1:9/steal?token=x', 307));
 */
export function redirectTo(location: string, status: 301 | 302 | 303 | 307 | 308): Behaviour {
  return (_request, response) => {
    response.writeHead(status, { location, 'content-type': 'text/plain' });
    response.end(`Moved to ${location}`);
  };
}

/**
 * Answers `status` with a JSON error body that echoes what the request carried: the bearer
 * token (whole and without its scheme) and every form field or query value, in `error`, `code`,
 * `message`, `error_description` and a nested `detail`.
 *
 * @example
 * await startHostileServer(echoSecrets(401));
 */
export function echoSecrets(status: number): Behaviour {
  return (request, response) => {
    const authorization = String(request.headers.authorization ?? '');
    const token = authorization.replace(/^\S+\s+/, '');
    const query = new URL(request.url, 'http://hostile.invalid').searchParams;
    const values = [token, ...new URLSearchParams(request.body).values(), ...query.values()].filter(Boolean);
    const echoed = values.join(' ');
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        error: values[0] ?? 'nothing',
        code: values[values.length - 1] ?? 'nothing',
        message: `rejected ${authorization} ${echoed}`,
        error_description: `you sent ${echoed}`,
        detail: { echoed: values },
      }),
    );
  };
}

/**
 * Answers 200 with a `Content-Length` of `bytes` (more than the runtime can hold as a string),
 * writes the start of a JSON body and drops the connection shortly after.
 *
 * @example
 * await startHostileServer(announceHugeBody(600 * 1024 * 1024));
 */
export function announceHugeBody(bytes: number): Behaviour {
  return (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes) });
    response.write('{"records":[');
    // Then the connection drops: a client that waited for the rest sees a network failure.
    setTimeout(() => response.destroy(), 50);
  };
}

/** An {@link observedClient}: the client, and everything it emitted. */
export interface ObservedClient {
  readonly dexcom: DexcomApiClient;
  /** Every line the client's pino logger wrote, parsed. */
  readonly lines: readonly Record<string, unknown>[];
  /** The client's metrics registry. */
  readonly registry: Registry;
  /** The `dexcom_requests_total` samples, label sets with their values. */
  requestCounts(): Promise<{ labels: Record<string, string | number>; value: number }[]>;
  /**
   * Everything the client and `error` emit, as one string to search for canaries: the log lines,
   * the metrics exposition, `stats()`, and the error's message, stack, `toJSON()`, `JSON.stringify`,
   * `util.inspect` (also with `showHidden`), `String(error)` and pino's `err` serializer.
   */
  outputs(error?: unknown): Promise<string>;
}

/**
 * A real `DexcomApiClient` aimed at `baseUrl` with a pino logger writing into an array and a
 * prom-client Registry, quick retries and timeouts, so a test can look at every output.
 *
 * @example
 * const { dexcom, lines, outputs } = observedClient(server.url, { accessToken: 'canary-token' });
 */
export function observedClient(baseUrl: string, options: Partial<DexcomApiClientOptions> = {}): ObservedClient {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'trace' }, lineSink(lines));
  const registry = new Registry();
  const dexcom = new DexcomApiClient({
    baseUrl,
    accessToken: 'hostile-test-token',
    retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20 },
    timeout: { attemptMs: 2_000, totalMs: 10_000 },
    logger,
    logging: { level: 'debug' },
    metrics: { registry },
    ...options,
  });
  return {
    dexcom,
    lines,
    registry,
    async requestCounts() {
      const metric = registry.getSingleMetric('dexcom_requests_total');
      return metric ? (await metric.get()).values.map(({ labels, value }) => ({ labels: labels as Record<string, string | number>, value })) : [];
    },
    async outputs(error?: unknown) {
      await new Promise((resolve) => setImmediate(resolve));
      const parts = [JSON.stringify(lines), await registry.metrics(), JSON.stringify(await dexcom.stats())];
      if (error !== undefined) {
        const serialized: Record<string, unknown>[] = [];
        pino({}, lineSink(serialized)).error({ err: error }, 'app log of the error');
        const e = error as Error;
        parts.push(
          e.message,
          String(e.stack),
          String(error),
          JSON.stringify(error),
          JSON.stringify((error as { toJSON?: () => unknown }).toJSON?.()),
          inspect(error, { depth: 10 }),
          inspect(error, { depth: 10, showHidden: true }),
          JSON.stringify(serialized),
        );
      }
      return parts.join('\n');
    },
  };
}

function lineSink(into: Record<string, unknown>[]): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) into.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
}
