import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConnection, deleteConnection, getConnection, listConnections, oauthCallback } from '../../generated/relay/sdk.gen.js';
import { sha256Hex } from '../../src/relay/management/secrets.js';
import type { Database } from '../../src/stores/postgres/database.js';
import { harnessBackends, openHarnessDatabase, type RelayHarness, startRelayHarness } from './api-harness.js';

describe.each(await harnessBackends())('connections on $kind', (where) => {
  let database: Database;
  let h: RelayHarness;
  // PGlite needs seconds to start on a busy machine.
  beforeAll(async () => {
    database = await openHarnessDatabase(where);
  }, 120_000);
  afterAll(() => database?.close());
  beforeEach(async () => {
    h = await startRelayHarness(database);
  });
  afterEach(() => h.close());

  const start = async (userKey = 'patient-42') => {
    const { data, response } = await createConnection({ client: h.client, body: { userKey } });
    expect(response.status).toBe(201);
    return data!;
  };
  const stateRows = async () => (await h.database.query<{ state_hash: string; user_key: string; used_at: Date | null }>(`SELECT state_hash, user_key, used_at FROM "${h.schema}".oauth_states`)).rows;

  it('connects a user: sign-in URL with a state, callback exchanges the code, tokens stored, status active, hook called', async () => {
    const started = await start();
    const url = new URL(started.authorizationUrl);
    expect(url.origin + url.pathname).toBe(`${h.fake.url}/v2/oauth2/login`);
    expect(url.searchParams.get('client_id')).toBe(h.fake.clientId);
    expect(started.expiresAt).toBe(new Date(h.now() + 10 * 60_000).toISOString());
    const state = url.searchParams.get('state')!;
    expect(state.length).toBeGreaterThanOrEqual(43);
    // Only the state's hash is stored, bound to the user.
    expect(await stateRows()).toEqual([{ state_hash: sha256Hex(state), user_key: 'patient-42', used_at: null }]);
    expect((await getConnection({ client: h.client, path: { userKey: 'patient-42' } })).data).toMatchObject({ status: 'pending', connectedAt: null });

    const { code, state: echoed } = await h.signIn(started.authorizationUrl);
    expect(echoed).toBe(state);
    const page = await oauthCallback({ client: h.anonymous, query: { code, state }, parseAs: 'text' });
    expect(page.response.status).toBe(200);
    expect(page.response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.data).toContain('Connected');
    expect(page.data).not.toContain(code);
    expect(page.data).not.toContain(state);

    expect(h.fake.tokenRequests.map((r) => [r.grantType, r.form.code, r.form.redirect_uri])).toEqual([['authorization_code', code, 'https://relay.example.test/oauth/callback']]);
    const record = await h.tokenStore.get('patient-42');
    expect(record).toMatchObject({ version: 1, reauthorizationRequired: false, environment: h.fake.url });
    expect(record!.accessToken).toMatch(/^at-/);
    expect(h.calls).toEqual(['connected patient-42']);
    const connection = (await getConnection({ client: h.client, path: { userKey: 'patient-42' } })).data!;
    expect(connection).toEqual({
      userKey: 'patient-42',
      status: 'active',
      createdAt: new Date(h.now()).toISOString(),
      connectedAt: new Date(h.now()).toISOString(),
      lastPollAt: null,
      nextPollAt: null,
      reauthorizationRequired: false,
      lastError: null,
    });
    expect((await listConnections({ client: h.client })).data).toEqual({ data: [connection] });
  });

  it('refuses a reused state with 400 and stores nothing more', async () => {
    const started = await start();
    const { code, state } = await h.signIn(started.authorizationUrl);
    expect((await oauthCallback({ client: h.anonymous, query: { code, state }, parseAs: 'text' })).response.status).toBe(200);
    const second = await h.fake.issueCode('SandboxUser7', 'https://relay.example.test/oauth/callback');
    const again = await oauthCallback({ client: h.anonymous, query: { code: second, state }, parseAs: 'text' });
    expect(again.response.status).toBe(400);
    expect(again.error).toContain('already used');
    expect(h.fake.tokenRequests).toHaveLength(1);
    expect((await h.tokenStore.get('patient-42'))!.version).toBe(1);
    expect(h.calls).toEqual(['connected patient-42']);
  });

  it('refuses a forged state with 400: no token request, no tokens, still pending', async () => {
    await start();
    const code = h.fake.issueCode('SandboxUser7', 'https://relay.example.test/oauth/callback');
    const page = await oauthCallback({ client: h.anonymous, query: { code, state: 'forged-state-0123456789' }, parseAs: 'text' });
    expect(page.response.status).toBe(400);
    expect(h.fake.tokenRequests).toHaveLength(0);
    expect(await h.tokenStore.get('patient-42')).toBeUndefined();
    expect((await getConnection({ client: h.client, path: { userKey: 'patient-42' } })).data!.status).toBe('pending');
    expect(h.calls).toEqual([]);
  });

  it('refuses a state after its 10 minutes, and accepts it just before', async () => {
    const late = await start('late-user');
    const onTime = await start('on-time-user');
    const lateSignIn = await h.signIn(late.authorizationUrl);
    const onTimeSignIn = await h.signIn(onTime.authorizationUrl);
    h.advance(10 * 60_000 - 1);
    expect((await oauthCallback({ client: h.anonymous, query: onTimeSignIn, parseAs: 'text' })).response.status).toBe(200);
    h.advance(1);
    const page = await oauthCallback({ client: h.anonymous, query: lateSignIn, parseAs: 'text' });
    expect(page.response.status).toBe(400);
    expect(page.error).toContain('expired');
    expect(h.fake.tokenRequests).toHaveLength(1);
    expect(await h.tokenStore.get('late-user')).toBeUndefined();
    expect(h.calls).toEqual(['connected on-time-user']);
  });

  it('answers 400 for a code Dexcom refuses, with the state used up and nothing stored', async () => {
    const started = await start();
    const { state } = await h.signIn(started.authorizationUrl);
    const page = await oauthCallback({ client: h.anonymous, query: { code: 'US_not-a-real-code', state }, parseAs: 'text' });
    expect(page.response.status).toBe(400);
    expect(page.error).toContain('did not accept');
    expect(await h.tokenStore.get('patient-42')).toBeUndefined();
    expect((await stateRows())[0]!.used_at).not.toBeNull();
    expect(h.calls).toEqual([]);
  });

  it('answers the HTML page, not JSON, when Dexcom redirects without a code', async () => {
    const started = await start();
    const state = new URL(started.authorizationUrl).searchParams.get('state')!;
    const response = await fetch(`${h.url}/oauth/callback?error=access_denied&state=${state}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('cancelled');
    expect((await stateRows())[0]!.used_at).toBeNull();
  });

  it('disconnects: polling stopped first, tokens dropped, rows gone; a second delete is 404', async () => {
    const started = await start();
    await oauthCallback({ client: h.anonymous, query: await h.signIn(started.authorizationUrl), parseAs: 'text' });
    const deleted = await deleteConnection({ client: h.client, path: { userKey: 'patient-42' } });
    expect(deleted.response.status).toBe(204);
    expect(h.calls).toEqual(['connected patient-42', 'disconnected patient-42']);
    expect(await h.tokenStore.get('patient-42')).toMatchObject({ accessToken: '', refreshToken: '', reauthorizationRequired: true, reauthorizationReason: 'no_tokens', version: 2 });
    expect(await stateRows()).toEqual([]);
    const missing = await getConnection({ client: h.client, path: { userKey: 'patient-42' } });
    expect(missing.response.status).toBe(404);
    expect(missing.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await deleteConnection({ client: h.client, path: { userKey: 'patient-42' } })).response.status).toBe(404);
  });

  it('signs a disconnected user in again', async () => {
    const first = await start();
    await oauthCallback({ client: h.anonymous, query: await h.signIn(first.authorizationUrl), parseAs: 'text' });
    await deleteConnection({ client: h.client, path: { userKey: 'patient-42' } });
    const second = await start();
    expect((await oauthCallback({ client: h.anonymous, query: await h.signIn(second.authorizationUrl), parseAs: 'text' })).response.status).toBe(200);
    expect(await h.tokenStore.get('patient-42')).toMatchObject({ reauthorizationRequired: false, version: 3 });
    expect((await getConnection({ client: h.client, path: { userKey: 'patient-42' } })).data!.status).toBe('active');
  });
});
