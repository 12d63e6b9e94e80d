import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineEvents } from '../../src/core/events.js';
import type { CallContext } from '../../src/core/middleware.js';
import { fetchTransport } from '../../plugins/transport.js';
import { DexcomInvalidResponseError, DexcomNetworkError, DexcomRedirectError } from '../../src/core/errors.js';

function context(): CallContext {
  return {
    invocationId: 'call-1',
    operationId: 'getDevicesV3',
    method: 'GET',
    pathTemplate: '/v3/users/self/devices',
    attempt: 1,
    attempts: [],
    startedAt: 0,
    events: new PipelineEvents(),
  };
}

/** A loopback server whose answer is chosen by the request path. */
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    switch (req.url) {
      case '/ok':
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end('{"records":[]}');
        return;
      case '/truncated':
        res.setHeader('content-type', 'application/json');
        res.end('{"records":[{"recordId":');
        return;
      case '/html':
        res.setHeader('content-type', 'text/html');
        res.end('<html>maintenance</html>');
        return;
      case '/drop':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"records":[');
        setTimeout(() => res.socket?.destroy(), 10);
        return;
      case '/redirect':
        res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
        res.end();
        return;
      case '/chunked-big':
        // No Content-Length: only counting while reading can find the body too large.
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.write('{"records":[');
        res.end('1,2,3,4,5,6,7,8,9]}');
        return;
      case '/error':
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('down');
        return;
      default:
        res.writeHead(404);
        res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('fetchTransport', () => {
  const send = fetchTransport();

  it('returns a fully read response that can still be parsed', async () => {
    const response = await send(new Request(`${base}/ok`), context());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ records: [] });
  });

  it('passes non-2xx answers through untouched for the layers above', async () => {
    const response = await send(new Request(`${base}/error`), context());
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('down');
  });

  it('never follows a redirect', async () => {
    const response = await send(new Request(`${base}/redirect`), context());
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://127.0.0.1:1/elsewhere');
  });

  it('fails a 2xx with truncated JSON or a non-JSON body as an invalid response', async () => {
    await expect(send(new Request(`${base}/truncated`), context())).rejects.toThrow(DexcomInvalidResponseError);
    await expect(send(new Request(`${base}/html`), context())).rejects.toThrow(/content-type text\/html instead of JSON/);
  });

  it('turns a connection dropped mid-body into a network error that says the request was sent', async () => {
    const error = await send(new Request(`${base}/drop`), context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomNetworkError);
    expect((error as DexcomNetworkError).requestSent).toBe(true);
    expect((error as DexcomNetworkError).message).toContain('reading the response body');
  });

  it('marks a refused connection as never sent, so even a POST may be re-sent', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await send(new Request(`http://127.0.0.1:${port}/ok`, { method: 'POST', body: 'x' }), context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomNetworkError);
    expect((error as DexcomNetworkError).requestSent).toBe(false);
    expect((error as DexcomNetworkError).message).toContain('ECONNREFUSED');
  });

  it('throws the signal reason when the request was aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('attempt timed out');
    controller.abort(reason);
    await expect(send(new Request(`${base}/ok`, { signal: controller.signal }), context())).rejects.toBe(reason);
  });

  it('fails a body over maxBodyBytes as a non-retryable invalid response, by Content-Length or while reading', async () => {
    const small = fetchTransport({ maxBodyBytes: 16 });
    for (const path of ['/chunked-big', '/drop']) {
      const error = await small(new Request(`${base}${path}`), context()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DexcomInvalidResponseError);
      expect(error).toMatchObject({ code: 'invalid_response', status: 200, retryable: false });
      expect((error as Error).message).toContain('over 16 bytes');
    }
    const exact = fetchTransport({ maxBodyBytes: '{"records":[]}'.length });
    expect(await (await exact(new Request(`${base}/ok`), context())).json()).toEqual({ records: [] });
  });

  it('turns the opaque redirect of a spec-following fetch into a DexcomRedirectError', async () => {
    const opaque = { status: 0, type: 'opaqueredirect', statusText: '', headers: new Headers(), body: null } as unknown as Response;
    const error = await fetchTransport({ fetch: async () => opaque })(new Request(`${base}/ok`), context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomRedirectError);
    expect(error).toMatchObject({ code: 'redirect', status: undefined, locationHost: undefined, retryable: false });
  });
});
