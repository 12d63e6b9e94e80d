/**
 * A scriptable fault-injecting HTTP proxy for the chaos tests (test/chaos), placed between a
 * DexcomApiClient and the in-process Prism mock. Prism only answers politely (no delays, no broken
 * sockets: stoplightio/prism#1140, #471), so this proxy makes the wire misbehave on cue: each
 * incoming request consumes the next scripted {@link Fault}, and once the script is used up the
 * default fault (pass-through unless changed) applies. Every request is counted and timestamped on
 * arrival, so a test can assert the exact number of wire requests a call made and when they came.
 *
 * One proxy per test file (`startFaultProxy` in `beforeAll`, `close` in `afterAll`, `reset` in
 * `beforeEach`); nothing here is module-level state.
 */
import { Agent, createServer, request as sendUpstream, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { type AttemptRecord, DexcomApiClient, type DexcomApiClientOptions, type Device } from '../../src/index.js';

/** What the proxy does with one incoming request. Build them with {@link faults}. */
export type Fault =
  | { readonly kind: 'pass' }
  | { readonly kind: 'status'; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string }
  | { readonly kind: 'hold'; readonly release: number | Promise<unknown>; readonly then: Fault }
  | { readonly kind: 'drop-mid-body' }
  | { readonly kind: 'truncated-json' }
  | { readonly kind: 'html' }
  | { readonly kind: 'close-before-response' };

/** Name of a {@link Fault}, as recorded on each {@link WireRequest}. */
export type FaultKind = Fault['kind'];

/** One request as the proxy saw it. */
export interface WireRequest {
  /** 1-based arrival order. */
  readonly seq: number;
  readonly method: string;
  /** Path without the query string, e.g. `/v3/users/self/devices`. */
  readonly path: string;
  /** The `x-chaos-call` request header, which tests set to tell logical calls apart on the wire. */
  readonly callId: string | undefined;
  /** Wall-clock arrival time (`Date.now()`, the clock the SDK's limiter and retry use). */
  readonly arrivedAt: number;
  /** The fault applied (the outer one for `hold`). */
  readonly fault: FaultKind;
  /** When the status line went out or the socket was destroyed; unset while held or if the client left. */
  respondedAt?: number;
}

/** A running fault proxy; see {@link startFaultProxy}. */
export interface FaultProxy {
  /** Base URL to give the client, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Every request seen since the last `reset`, in arrival order. */
  readonly requests: readonly WireRequest[];
  /** Appends faults to the script; each incoming request consumes one. */
  script(...faults: readonly Fault[]): void;
  /** The fault applied once the script is used up (initially pass-through). */
  setDefault(fault: Fault): void;
  /** Faults of the script not consumed yet. */
  pending(): number;
  /** Requests seen since the last `reset`, all or for one path. */
  count(path?: string): number;
  /** Resolves once `n` requests have arrived since the last `reset`. */
  waitForRequests(n: number): Promise<void>;
  /** Clears the script, the records and the default (back to pass-through). */
  reset(): void;
  /** Destroys every open socket and held request, then stops listening. */
  close(): Promise<void>;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Base URL of the real server to forward to (the Prism mock). */
  upstream: string;
  /** Port to listen on; default 0 (a free one). */
  port?: number;
}

/** Header a test may set to label a logical call; stripped before forwarding. */
export const CALL_ID_HEADER = 'x-chaos-call';

const JSON_TYPE = 'application/json';

/**
 * Builders for {@link Fault}s.
 *
 * @example
 * proxy.script(...faults.times(2, faults.status(503)));             // two 503s, then pass-through
 * proxy.script(faults.tooManyRequests('1'), faults.slow(5_000));     // 429 Retry-After: 1, then a hung response
 * proxy.setDefault(faults.status(503));                              // a dead upstream
 */
export const faults = {
  /** Forward to the upstream (method, path, query, headers, body) and stream its answer back. */
  pass: (): Fault => ({ kind: 'pass' }),
  /** Answer `status` with a small JSON error body (or `body`) and extra `headers`. */
  status: (status: number, init: { headers?: Record<string, string>; body?: string } = {}): Fault => ({
    kind: 'status',
    status,
    headers: { 'content-type': JSON_TYPE, ...init.headers },
    body: init.body ?? JSON.stringify({ error: `status_${status}` }),
  }),
  /** 429, with `Retry-After: <retryAfter>` when given (seconds or an HTTP-date). */
  tooManyRequests: (retryAfter?: string): Fault =>
    faults.status(429, retryAfter === undefined ? {} : { headers: { 'retry-after': retryAfter } }),
  /** `n` copies of `fault` (a burst, or "N failures" before the default takes over). */
  times: (n: number, fault: Fault): Fault[] => Array.from({ length: n }, () => fault),
  /** Holds the request (no status line) for `ms`, then applies `then`; gives up if the client leaves. */
  slow: (ms: number, then: Fault = faults.pass()): Fault => ({ kind: 'hold', release: ms, then }),
  /** Holds the request until `release` settles, then applies `then`. */
  hold: (release: Promise<unknown>, then: Fault = faults.pass()): Fault => ({ kind: 'hold', release, then }),
  /** Sends the upstream's status, headers and half of its body, then destroys the socket. */
  dropMidBody: (): Fault => ({ kind: 'drop-mid-body' }),
  /** A complete 200 whose JSON body is cut in half (with a matching content-length). */
  truncatedJson: (): Fault => ({ kind: 'truncated-json' }),
  /** A 200 with an HTML page, as a captive portal or a misrouted gateway sends. */
  html: (): Fault => ({ kind: 'html' }),
  /** Destroys the socket as soon as the request arrives, before any byte of a response. */
  closeBeforeResponse: (): Fault => ({ kind: 'close-before-response' }),
} as const;

/**
 * Starts a fault proxy on 127.0.0.1 in front of `upstream`.
 *
 * @example
 * const proxy = await startFaultProxy({ upstream: inject('prismUrl') });
 * proxy.script(faults.status(503));
 * await chaosClient(proxy).getDevices();   // retried once through the proxy
 * proxy.count('/v3/users/self/devices');   // 2
 * await proxy.close();
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  // A fresh upstream connection per request: a pooled socket that the upstream closed while idle
  // would surface as a spurious failure and break the exact request counts.
  const agent = new Agent({ keepAlive: false });
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let script: Fault[] = [];
  let fallback: Fault = faults.pass();
  let requests: WireRequest[] = [];
  let waiters: Array<{ n: number; resolve: () => void }> = [];

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const apply = async (fault: Fault, req: IncomingMessage, res: ServerResponse, record: WireRequest, body: Buffer): Promise<void> => {
    if (res.destroyed) return;
    switch (fault.kind) {
      case 'close-before-response':
        record.respondedAt = Date.now();
        req.socket.destroy();
        return;
      case 'status':
        respond(res, record, fault.status, fault.headers, Buffer.from(fault.body));
        return;
      case 'html':
        respond(res, record, 200, { 'content-type': 'text/html; charset=utf-8' }, Buffer.from(HTML_PAGE));
        return;
      case 'hold':
        await (typeof fault.release === 'number' ? wait(fault.release) : fault.release.catch(() => undefined));
        // The client may have given up meanwhile (attempt timeout, abort): nobody is listening.
        if (!res.destroyed && !req.socket.destroyed) await apply(fault.then, req, res, record, body);
        return;
      default: {
        const answer = await forward(upstream, agent, req, body);
        if (res.destroyed) {
          answer.destroy();
          return;
        }
        const headers = copyHeaders(answer.headers);
        if (fault.kind === 'pass') {
          // Streamed as it comes; Node frames it anew (chunked), since hop-by-hop headers stay behind.
          record.respondedAt = Date.now();
          res.writeHead(answer.statusCode ?? 502, headers);
          answer.on('error', () => res.destroy());
          answer.pipe(res);
          return;
        }
        const full = await readBody(answer);
        if (res.destroyed) return;
        if (fault.kind === 'truncated-json') {
          respond(res, record, 200, { 'content-type': headers['content-type'] ?? JSON_TYPE }, half(full));
          return;
        }
        // drop-mid-body: promise the whole body, send half, then cut the connection.
        record.respondedAt = Date.now();
        res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': String(full.length) });
        res.write(half(full), () => setImmediate(() => res.socket?.destroy()));
      }
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy.invalid');
    const callId = req.headers[CALL_ID_HEADER];
    const fault = script.shift() ?? fallback;
    const record: WireRequest = {
      seq: requests.length + 1,
      method: req.method ?? 'GET',
      path: url.pathname,
      callId: typeof callId === 'string' ? callId : undefined,
      arrivedAt: Date.now(),
      fault: fault.kind,
    };
    // Count on arrival, before anything asynchronous, so a test never races the bookkeeping.
    requests.push(record);
    for (const waiter of waiters.filter((w) => requests.length >= w.n)) waiter.resolve();
    waiters = waiters.filter((w) => requests.length < w.n);
    if (fault.kind === 'close-before-response') {
      void apply(fault, req, res, record, Buffer.alloc(0));
      return;
    }
    readBody(req)
      .then((body) => apply(fault, req, res, record, body))
      .catch(() => {
        // The upstream failed or the client left mid-way: say so if anyone still listens.
        if (!res.destroyed && !res.headersSent) respond(res, record, 502, { 'content-type': JSON_TYPE }, Buffer.from('{"error":"fault_proxy_upstream"}'));
        else res.destroy();
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    script: (...more) => void script.push(...more),
    setDefault: (fault) => void (fallback = fault),
    pending: () => script.length,
    count: (path) => (path === undefined ? requests.length : requests.filter((r) => r.path === path).length),
    waitForRequests: (n) =>
      requests.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    reset: () => {
      script = [];
      fallback = faults.pass();
      requests = [];
      waiters = [];
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A DexcomApiClient pointed at a fault proxy, tuned so chaos tests stay fast: 3 attempts with 5 to
 * 50 ms backoff, a 2 s attempt timeout and 10 s total, a breaker of 5 failures / 500 ms, and a
 * bucket of 100 tokens a second with a 100 ms cool-down after a 429. `options` override any of it.
 *
 * @example
 * const dexcom = chaosClient(proxy, { retry: { maxAttempts: 1 } });
 */
export function chaosClient(proxy: Pick<FaultProxy, 'url'>, options: Partial<DexcomApiClientOptions> = {}): DexcomApiClient {
  return new DexcomApiClient({
    baseUrl: proxy.url,
    accessToken: 'chaos-test-token',
    retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 50 },
    timeout: { attemptMs: 2_000, totalMs: 10_000 },
    circuitBreaker: { threshold: 5, halfOpenAfterMs: 500 },
    rateLimit: { capacity: 100, refillPerInterval: 100, intervalMs: 1_000, coolDownMs: 100 },
    ...options,
  });
}

/** A valid authorization-code exchange for the token POST (Prism validates the form body). */
export const TOKEN_EXCHANGE = {
  body: {
    grant_type: 'authorization_code',
    code: 'auth-code',
    redirect_uri: 'http://127.0.0.1:8787/callback',
    client_id: 'client-abc',
    client_secret: 'secret',
  },
} as const;

/** The two kinds of call the chaos tests send: an idempotent read and the non-idempotent token POST. */
export type TaggedMethod = 'GET' | 'POST';

/**
 * Sends one logical call labelled with {@link CALL_ID_HEADER}, so the proxy can group its wire
 * requests by call: `GET` reads the devices (resolving to the records), `POST` exchanges
 * {@link TOKEN_EXCHANGE} (resolving to the token response).
 *
 * @example
 * await sendTagged(dexcom, 'GET', 'call-7');
 * proxy.requests.filter((r) => r.callId === 'call-7').length; // wire requests of that call
 */
export function sendTagged(dexcom: DexcomApiClient, method: TaggedMethod, callId: string): Promise<unknown> {
  const headers = { [CALL_ID_HEADER]: callId };
  return method === 'GET'
    ? dexcom.api.getDevicesV3({ headers }).then((r) => r.data.records)
    : dexcom.api.postToken({ ...TOKEN_EXCHANGE, headers }).then((r) => r.data);
}

/**
 * A loopback port that was free a moment ago and has nobody listening: connecting to it is
 * refused, which is how a test produces a request that provably never reached a server.
 *
 * @example
 * const dexcom = chaosClient({ url: `http://127.0.0.1:${await unusedPort()}` });
 */
export async function unusedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One wire attempt as its status, or its error name when no response arrived. */
export type AttemptOutcome = number | string;

/**
 * The attempts of a failed call as statuses and error names, oldest first.
 *
 * @example
 * expect(outcomesOf(error.attempts)).toEqual([503, 503, 503]);
 */
export function outcomesOf(attempts: readonly AttemptRecord[]): AttemptOutcome[] {
  return attempts.map((a) => a.status ?? a.error ?? 'unknown');
}

/**
 * Records the outcome of every wire attempt a client makes (its `attempt-end` events), which is
 * how a test sees the attempts of a call that succeeded (errors carry them; data does not).
 *
 * @example
 * const attempts = recordOutcomes(dexcom);
 * await dexcom.getDevices();
 * expect(attempts).toEqual(['DexcomTimeoutError', 200]);
 */
export function recordOutcomes(dexcom: DexcomApiClient): AttemptOutcome[] {
  const outcomes: AttemptOutcome[] = [];
  dexcom.events.on('attempt-end', (e) => outcomes.push(e.status ?? e.error ?? 'unknown'));
  return outcomes;
}

const HTML_PAGE = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>';

/** Headers that describe one hop's connection or framing, not the message; never copied across. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', CALL_ID_HEADER]);

function respond(res: ServerResponse, record: WireRequest, status: number, headers: Readonly<Record<string, string>>, body: Buffer): void {
  record.respondedAt = Date.now();
  res.writeHead(status, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

function half(body: Buffer): Buffer {
  return body.subarray(0, Math.max(1, Math.floor(body.length / 2)));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Sends the request on to the upstream with its method, path, query, headers and body; resolves with the answer's head. */
function forward(upstream: URL, agent: Agent, req: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = new URL(req.url ?? '/', upstream);
    const headers = { ...copyHeaders(req.headers), host: target.host, 'content-length': String(body.length) };
    const outgoing = sendUpstream(target, { method: req.method, agent, headers }, resolve);
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function copyHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    copy[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return copy;
}

/** What {@link useFaultProxy} gives a test file. */
export interface FaultProxyFixture {
  /** The proxy in front of Prism (reset before every test). */
  readonly proxy: FaultProxy;
  /** The devices Prism answers when nothing is injected, to compare a recovered call's data with. */
  readonly expected: Device[];
}

/**
 * Registers the hooks every chaos file needs: a fault proxy in front of the in-process Prism for
 * the whole file, reset before each test and closed after the last, plus the answer a clean call
 * gets. Read its fields inside tests (they are set by `beforeAll`).
 *
 * @example
 * const chaos = useFaultProxy();
 * it('...', async () => { chaos.proxy.script(faults.status(503)); ... expect(data).toEqual(chaos.expected); });
 */
export function useFaultProxy(): FaultProxyFixture {
  const fixture = {} as { proxy: FaultProxy; expected: Device[] };
  beforeAll(async () => {
    fixture.proxy = await startFaultProxy({ upstream: inject('prismUrl') });
    fixture.expected = await chaosClient(fixture.proxy).getDevices();
  });
  beforeEach(() => fixture.proxy.reset());
  afterAll(() => fixture.proxy.close());
  return fixture;
}
