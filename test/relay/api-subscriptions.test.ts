import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptionDeliveries,
  listSubscriptions,
  replaySubscription,
  rotateSubscriptionSecret,
  updateSubscription,
} from '../../generated/relay/sdk.gen.js';
import type { Database } from '../../src/stores/postgres/database.js';
import { harnessBackends, openHarnessDatabase, REFUSED_HOST, type RelayHarness, startRelayHarness } from './api-harness.js';

const DAY_MS = 24 * 60 * 60_000;

/** A Standard Webhooks secret: `whsec_` + base64 of at least 24 bytes. */
function expectWebhookSecret(secret: string): void {
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
  expect(Buffer.from(secret.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24);
}

describe.each(await harnessBackends())('subscriptions on $kind', (where) => {
  let database: Database;
  let h: RelayHarness;
  beforeAll(async () => {
    database = await openHarnessDatabase(where);
  }, 120_000);
  afterAll(() => database?.close());
  beforeEach(async () => {
    h = await startRelayHarness(database);
  });
  afterEach(() => h.close());

  const secretsOf = async (id: string) =>
    (await h.database.query<{ secret: string; previous_secret: string | null; previous_secret_expires_at: Date | null }>(`SELECT secret, previous_secret, previous_secret_expires_at FROM "${h.schema}".subscriptions WHERE id = $1`, [id])).rows[0];

  it('creates, reads, lists, changes and deletes a subscription; the secret is returned only at creation', async () => {
    const created = await createSubscription({ client: h.client, body: { url: 'https://hooks.example.com/dexcom?token=abc', events: ['records.created'], recordTypes: ['egvs', 'events'] } });
    expect(created.response.status).toBe(201);
    const { secret, ...subscription } = created.data!;
    expectWebhookSecret(secret);
    expect(subscription).toEqual({
      id: expect.stringMatching(/^sub_[A-Za-z0-9_-]{22}$/),
      url: 'https://hooks.example.com/dexcom?token=abc',
      userKey: null,
      events: ['records.created'],
      recordTypes: ['egvs', 'events'],
      status: 'enabled',
      disabledReason: null,
      createdAt: new Date(h.now()).toISOString(),
      updatedAt: new Date(h.now()).toISOString(),
    });
    expect(h.calls).toEqual(['guard hooks.example.com']);
    const id = subscription.id;

    const read = await getSubscription({ client: h.client, path: { id } });
    expect(read.data).toEqual(subscription);
    expect(JSON.stringify(read.data)).not.toContain(secret);
    const listed = await listSubscriptions({ client: h.client });
    expect(listed.data).toEqual({ data: [subscription] });
    expect(JSON.stringify(listed.data)).not.toContain('whsec_');

    h.advance(60_000);
    const disabled = await updateSubscription({ client: h.client, path: { id }, body: { status: 'disabled', recordTypes: null } });
    expect(disabled.data).toEqual({ ...subscription, status: 'disabled', disabledReason: 'manual', recordTypes: null, updatedAt: new Date(h.now()).toISOString() });
    const moved = await updateSubscription({ client: h.client, path: { id }, body: { url: 'https://other.example.com/hook', status: 'enabled' } });
    expect(moved.data).toMatchObject({ url: 'https://other.example.com/hook', status: 'enabled', disabledReason: null, recordTypes: null, events: ['records.created'] });
    expect(h.calls).toEqual(['guard hooks.example.com', 'guard other.example.com']);

    expect((await deleteSubscription({ client: h.client, path: { id } })).response.status).toBe(204);
    expect((await getSubscription({ client: h.client, path: { id } })).response.status).toBe(404);
    expect((await deleteSubscription({ client: h.client, path: { id } })).response.status).toBe(404);
    expect((await updateSubscription({ client: h.client, path: { id }, body: { status: 'enabled' } })).response.status).toBe(404);
  });

  it('scopes a subscription to one user when asked', async () => {
    const { data } = await createSubscription({ client: h.client, body: { url: 'https://hooks.example.com/a', userKey: 'patient-42' } });
    expect(data).toMatchObject({ userKey: 'patient-42', events: null, recordTypes: null });
  });

  it('rotates the secret: a new one answered, the previous one kept signing for 24 hours', async () => {
    const { data: created } = await createSubscription({ client: h.client, body: { url: 'https://hooks.example.com/dexcom' } });
    h.advance(5_000);
    const rotated = await rotateSubscriptionSecret({ client: h.client, path: { id: created!.id } });
    expect(rotated.response.status).toBe(200);
    expect(rotated.response.headers.get('cache-control')).toBe('no-store');
    expectWebhookSecret(rotated.data!.secret);
    expect(rotated.data!.secret).not.toBe(created!.secret);
    expect(await secretsOf(created!.id)).toEqual({ secret: rotated.data!.secret, previous_secret: created!.secret, previous_secret_expires_at: new Date(h.now() + DAY_MS) });
    expect((await getSubscription({ client: h.client, path: { id: created!.id } })).data!.updatedAt).toBe(new Date(h.now()).toISOString());
    expect((await rotateSubscriptionSecret({ client: h.client, path: { id: 'sub_missing' } })).response.status).toBe(404);
  });

  it('refuses a URL the SSRF guard refuses with 400 naming url and the reason, and stores nothing', async () => {
    const refused = await createSubscription({ client: h.client, body: { url: `https://${REFUSED_HOST}/hook` } });
    expect(refused.response.status).toBe(400);
    expect(refused.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.error).toMatchObject({ status: 400, field: 'url', reason: 'ssrf_refused', detail: expect.stringContaining('private address') });
    expect((await listSubscriptions({ client: h.client })).data).toEqual({ data: [] });
    const { data } = await createSubscription({ client: h.client, body: { url: 'https://hooks.example.com/dexcom' } });
    const moved = await updateSubscription({ client: h.client, path: { id: data!.id }, body: { url: `https://${REFUSED_HOST}/hook` } });
    expect(moved.error).toMatchObject({ field: 'url', reason: 'ssrf_refused' });
    expect((await getSubscription({ client: h.client, path: { id: data!.id } })).data!.url).toBe('https://hooks.example.com/dexcom');
  });

  it('passes replay and deliveries to the engine, 404 for an unknown subscription', async () => {
    const { data } = await createSubscription({ client: h.client, body: { url: 'https://hooks.example.com/dexcom' } });
    const id = data!.id;
    const replayed = await replaySubscription({ client: h.client, path: { id }, body: { since: '2026-11-30T00:00:00Z' } });
    expect(replayed.response.status).toBe(202);
    expect(replayed.data).toEqual({ queued: 3 });
    h.attempts.push({ eventId: 'evt_1', attempt: 1, attemptedAt: '2026-12-01T20:00:00.000Z', status: 503, latencyMs: 12, error: 'http_503', nextRetryAt: '2026-12-01T20:00:05.000Z' });
    const deliveries = await listSubscriptionDeliveries({ client: h.client, path: { id }, query: { limit: 5 } });
    expect(deliveries.data).toEqual({ data: h.attempts });
    expect((await listSubscriptionDeliveries({ client: h.client, path: { id } })).response.status).toBe(200);
    expect(h.calls.slice(1)).toEqual([`replay ${id} 2026-11-30T00:00:00.000Z`, `deliveries ${id} 5`, `deliveries ${id} 100`]);
    expect((await replaySubscription({ client: h.client, path: { id: 'sub_missing' }, body: { since: '2026-11-30T00:00:00Z' } })).response.status).toBe(404);
    expect((await listSubscriptionDeliveries({ client: h.client, path: { id: 'sub_missing' } })).response.status).toBe(404);
  });
});
