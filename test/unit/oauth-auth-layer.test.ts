/**
 * The auth layer on its own: a scripted `next`, the exact call log, token sources with and without
 * renewal, the single re-send after a 401 and aborts.
 */
import { describe, expect, it } from 'vitest';
import { bearerAuth } from '../../plugins/auth.js';
import { type IssuedToken, type TokenSource } from '../../src/core/token-source.js';
import {
  DexcomAbortError,
  DexcomConfigurationError,
  DexcomReauthorizationRequiredError,
} from '../../src/core/errors.js';
import { makeContext, makeRequest, scriptedNext } from './context.js';

const ok = () => new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
const unauthorized = () => new Response('{"error":"invalid_token"}', { status: 401 });

/** A token source that hands out `tokens` in order and records what was renewed. */
function renewingSource(tokens: IssuedToken[], renewed: Array<IssuedToken | undefined>): TokenSource & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    token: async () => {
      log.push('token');
      return tokens[0]!;
    },
    renew: async (rejected) => {
      log.push(`renew v${rejected.version}`);
      return renewed.shift();
    },
  };
}

describe('bearerAuth', () => {
  it("sets the client's token on every attempt of an operation that needs one", async () => {
    let calls = 0;
    const seen: string[] = [];
    const { next, calls: log } = scriptedNext([(request) => (seen.push(request.headers.get('authorization')!), ok())]);
    await bearerAuth({ accessToken: () => `t${++calls}` })(next)(makeRequest(), makeContext());
    expect(seen).toEqual(['Bearer t1']);
    expect(log).toEqual(['GET 1']);
  });

  it("prefers the call's tokenSource over the client's accessToken", async () => {
    const { next } = scriptedNext([(request) => new Response(request.headers.get('authorization'), { status: 200 })]);
    const source = renewingSource([{ value: 'user-token', version: 3 }], []);
    const response = await bearerAuth({ accessToken: 'client-token' })(next)(makeRequest(), makeContext({ tokenSource: source }));
    expect(await response.text()).toBe('Bearer user-token');
  });

  it('without any token source the call fails before sending, with an example', async () => {
    const { next, calls } = scriptedNext([]);
    await expect(bearerAuth({})(next)(makeRequest(), makeContext())).rejects.toThrow(/forUser\('patient-42'\)/);
    expect(calls).toEqual([]);
  });

  it('asks for no token when the operation needs none, and refuses plain http to other hosts', async () => {
    const source = renewingSource([{ value: 't', version: 1 }], []);
    const { next } = scriptedNext([(request) => new Response(String(request.headers.has('authorization')))]);
    const response = await bearerAuth({ requiresAuth: () => false })(next)(makeRequest(), makeContext({ tokenSource: source, operationId: 'postToken' }));
    expect(await response.text()).toBe('false');
    expect(source.log).toEqual([]);
    await expect(
      bearerAuth({ accessToken: 't' })(scriptedNext([]).next)(new Request('http://api.dexcom.com/v3/users/self/egvs'), makeContext()),
    ).rejects.toBeInstanceOf(DexcomConfigurationError);
  });

  it('after a 401, renews once and sends once more with the new token (same attempt number)', async () => {
    const source = renewingSource([{ value: 'old', version: 1 }], [{ value: 'new', version: 2 }]);
    const tokens: string[] = [];
    const { next, calls } = scriptedNext([
      (request) => (tokens.push(request.headers.get('authorization')!), unauthorized()),
      (request) => (tokens.push(request.headers.get('authorization')!), ok()),
    ]);
    const context = makeContext({ tokenSource: source });
    const response = await bearerAuth({})(next)(makeRequest(), context);
    expect(response.status).toBe(200);
    expect(calls).toEqual(['GET 1', 'GET 1']);
    expect(tokens).toEqual(['Bearer old', 'Bearer new']);
    expect(source.log).toEqual(['token', 'renew v1']);
    expect(context.attempts.map((a) => a.status)).toEqual([401, 200]);
  });

  it('a second 401 is returned as is: no second renewal, no loop', async () => {
    const source = renewingSource([{ value: 'old', version: 1 }], [{ value: 'new', version: 2 }, { value: 'newer', version: 3 }]);
    const { next, calls } = scriptedNext([unauthorized(), unauthorized()]);
    const response = await bearerAuth({})(next)(makeRequest(), makeContext({ tokenSource: source }));
    expect(response.status).toBe(401);
    expect(calls).toEqual(['GET 1', 'GET 1']);
    expect(source.log).toEqual(['token', 'renew v1']);
  });

  it('returns the 401 when the source has nothing newer, or cannot renew at all', async () => {
    const nothingNewer = renewingSource([{ value: 'old', version: 1 }], [undefined]);
    const first = scriptedNext([unauthorized()]);
    expect((await bearerAuth({})(first.next)(makeRequest(), makeContext({ tokenSource: nothingNewer }))).status).toBe(401);
    expect(first.calls).toEqual(['GET 1']);

    const plain = scriptedNext([unauthorized()]);
    expect((await bearerAuth({ accessToken: 'static' })(plain.next)(makeRequest(), makeContext())).status).toBe(401);
    expect(plain.calls).toEqual(['GET 1']);
  });

  it('a failure of the renewal is thrown and the 401 is discarded', async () => {
    const reauth = new DexcomReauthorizationRequiredError('sign in again');
    const failing: TokenSource = { token: async () => ({ value: 'old', version: 1 }), renew: async () => Promise.reject(reauth) };
    await expect(bearerAuth({})(scriptedNext([unauthorized()]).next)(makeRequest(), makeContext({ tokenSource: failing }))).rejects.toBe(reauth);
  });

  it('sends the same body again after a 401', async () => {
    const source = renewingSource([{ value: 'old', version: 1 }], [{ value: 'new', version: 2 }]);
    const bodies: string[] = [];
    const { next } = scriptedNext([
      async (request) => (bodies.push(await request.text()), unauthorized()),
      async (request) => (bodies.push(await request.text()), ok()),
    ]);
    await bearerAuth({})(next)(makeRequest({ method: 'POST', body: 'payload' }), makeContext({ tokenSource: source, method: 'POST' }));
    expect(bodies).toEqual(['payload', 'payload']);
  });

  it("stops waiting for a slow token when the call's signal aborts", async () => {
    const controller = new AbortController();
    const source: TokenSource = { token: () => new Promise<IssuedToken>(() => {}) };
    const { next, calls } = scriptedNext([]);
    const pending = bearerAuth({})(next)(makeRequest(), makeContext({ tokenSource: source, signal: controller.signal }));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(DexcomAbortError);
    expect(calls).toEqual([]);
  });
});
