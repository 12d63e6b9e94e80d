import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayOpenApiDocument } from '../../generated/relay/spec-document.gen.js';
import { createConnection, createSubscription, oauthCallback, rotateSubscriptionSecret } from '../../generated/relay/sdk.gen.js';
import type { Database } from '../../src/stores/postgres/database.js';
import { API_KEY, openHarnessDatabase, type RelayHarness, startRelayHarness } from './api-harness.js';

describe('request validation against spec/relay.openapi.yaml, and what the API serves', () => {
  let database: Database;
  let h: RelayHarness;
  const logLines: string[] = [];
  beforeAll(async () => {
    database = await openHarnessDatabase({ kind: 'pglite' });
    const stream = new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) });
    h = await startRelayHarness(database, { logger: pino({ level: 'trace' }, stream) });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await database?.close();
  });

  const send = async (method: string, path: string, body?: string, contentType = 'application/json') => {
    const response = await fetch(`${h.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body }),
    });
    return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
  };

  it.each([
    ['a missing url', 'POST', '/v1/subscriptions', {}, 'url', 'required'],
    ['a url that is not a URL', 'POST', '/v1/subscriptions', { url: 'https://hooks example.com/' }, 'url', 'format'],
    ['a url of another scheme', 'POST', '/v1/subscriptions', { url: 'ftp://hooks.example.com/x' }, 'url', 'pattern'],
    ['a url of the wrong type', 'POST', '/v1/subscriptions', { url: 42 }, 'url', 'type'],
    ['an unknown event type', 'POST', '/v1/subscriptions', { url: 'https://h.example.com/', events: ['records.created', 'records.exploded'] }, 'events[1]', 'enum'],
    ['an empty list of record types', 'POST', '/v1/subscriptions', { url: 'https://h.example.com/', recordTypes: [] }, 'recordTypes', 'minItems'],
    ['an unknown field', 'POST', '/v1/subscriptions', { url: 'https://h.example.com/', secret: 'whsec_mine' }, 'secret', 'unknown_field'],
    ['a userKey of the wrong type', 'POST', '/v1/connections', { userKey: 42 }, 'userKey', 'type'],
    ['a userKey too long', 'POST', '/v1/connections', { userKey: 'x'.repeat(257) }, 'userKey', 'maxLength'],
    ['an empty patch', 'PATCH', '/v1/subscriptions/sub_abc', {}, 'body', 'minProperties'],
    ['a bad status', 'PATCH', '/v1/subscriptions/sub_abc', { status: 'paused' }, 'status', 'enum'],
    ['a replay without since', 'POST', '/v1/subscriptions/sub_abc/replay', {}, 'since', 'required'],
    ['a replay since a non-time', 'POST', '/v1/subscriptions/sub_abc/replay', { since: 'yesterday' }, 'since', 'format'],
    ['a malformed subscription id', 'GET', '/v1/subscriptions/not-an-id', undefined, 'path.id', 'pattern'],
    ['a limit of 0', 'GET', '/v1/subscriptions/sub_abc/deliveries?limit=0', undefined, 'query.limit', 'minimum'],
    ['a limit that is no number', 'GET', '/v1/subscriptions/sub_abc/deliveries?limit=ten', undefined, 'query.limit', 'type'],
  ])('answers %s with 400 problem+json naming the field', async (_what, method, path, body, field, reason) => {
    const answer = await send(method, path, body === undefined ? undefined : JSON.stringify(body));
    expect(answer.status).toBe(400);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ type: 'urn:dexcom-relay:problem:validation', title: 'Invalid request', status: 400, field, reason });
    expect(String(answer.body.detail).startsWith(`${field} `)).toBe(true);
  });

  it('answers a body that is not JSON with 400, and another media type with 415, without quoting the body', async () => {
    const broken = await send('POST', '/v1/subscriptions', '{"url": "https://h.example.com/?token=canary-in-json", ');
    expect(broken).toMatchObject({ status: 400, body: { field: 'body', reason: 'syntax' } });
    expect(JSON.stringify(broken.body)).not.toContain('canary');
    expect(await send('POST', '/v1/subscriptions', '<url>https://h.example.com/</url>', 'application/xml')).toMatchObject({ status: 415, body: { status: 415 } });
  });

  it('serves the document it validates against, health and metrics', async () => {
    expect(await (await fetch(`${h.url}/openapi.json`)).json()).toEqual(JSON.parse(JSON.stringify(relayOpenApiDocument)));
    const metrics = await fetch(`${h.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    expect(await metrics.text()).toContain('dexcom_relay_test_total 1');
  });

  it('logs no token, secret, code, state, API key or subscriber query string', async () => {
    logLines.length = 0;
    const { data: started } = await createConnection({ client: h.client, body: { userKey: 'patient-canary-user' } });
    const query = await h.signIn(started!.authorizationUrl);
    await oauthCallback({ client: h.anonymous, query, parseAs: 'text' });
    await oauthCallback({ client: h.anonymous, query, parseAs: 'text' });
    const { data: subscription } = await createSubscription({ client: h.client, body: { url: 'https://hooks.example.com/x?token=canary-query-secret' } });
    const { data: rotated } = await rotateSubscriptionSecret({ client: h.client, path: { id: subscription!.id } });
    await fetch(`${h.url}/v1/subscriptions`, { headers: { authorization: 'Bearer canary-wrong-key-123456' } });
    await fetch(`${h.url}/oauth/callback?code=canary-code&state=canary-state`);
    const record = await h.tokenStore.get('patient-canary-user');

    const logs = logLines.join('');
    expect(logLines.length).toBeGreaterThan(6);
    expect(logs).toContain('"route":"/oauth/callback"');
    const secrets = [API_KEY, query.code, query.state, subscription!.secret, rotated!.secret, 'canary', record!.accessToken, record!.refreshToken, h.fake.clientSecret, 'patient-canary-user', ...h.fake.issuedSecrets()];
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
