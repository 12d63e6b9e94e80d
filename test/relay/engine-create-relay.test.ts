import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DexcomApiClient, InMemoryTokenStore } from '../../src/index.js';
import { createRelay } from '../../src/relay/index.js';
import { isRelayError } from '../../src/relay/errors.js';
import { openDatabase, type Database } from '../../src/stores/postgres/database.js';
import { egv, startReceiver, type Receiver } from './engine-support.js';
import { writeBatchToOutbox } from '../../src/relay/outbox/outbox-writer.js';
import type { AnySyncBatch } from '../../src/sync/index.js';
import { verifyWebhook } from '../../src/webhooks/index.js';

describe('createRelay', () => {
  let database: Database;
  let receiver: Receiver;
  const dexcom = new DexcomApiClient({ baseUrl: 'http://127.0.0.1:9', rateLimit: false, oauth: { clientId: 'c', clientSecret: 's', redirectUri: 'http://127.0.0.1:9/oauth/callback', tokenStore: new InMemoryTokenStore() } });
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://' });
    receiver = await startReceiver();
  }, 120_000);
  afterAll(async () => {
    await receiver?.close();
    await database?.close();
  });

  it('refuses a private webhook URL at registration with a validation error that says why', async () => {
    const relay = await createRelay({ dexcom, database, schema: 'relay_public_only' });
    const error = await relay.subscriptions.create({ url: 'https://169.254.169.254/latest' }).catch((e: unknown) => e);
    expect(isRelayError(error) && error.status === 400 && error.field === 'url' && error.reason === 'ssrf_refused').toBe(true);
    expect(String((error as Error).message)).toContain('metadata');
    expect(await relay.subscriptions.list()).toEqual([]);
  });

  it('composes management and engine: a subscription receives, lists its attempts, replays; metrics are served', async () => {
    const relay = await createRelay({ dexcom, database, schema: 'relay_composed', allowPrivateTargets: true });
    const created = await relay.subscriptions.create({ url: receiver.url });
    expect(created.secret).toMatch(/^whsec_/);
    const batch = { type: 'egvs', window: { start: new Date(0), end: new Date(1) }, upserts: [egv(Date.now() - 600_000)], deletions: [] } as unknown as AnySyncBatch;
    await writeBatchToOutbox(batch, { database, schema: '"relay_composed"', userKey: 'u1', now: () => new Date() });
    await relay.start();
    try {
      const deadline = Date.now() + 20_000;
      while (receiver.received.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(verifyWebhook(receiver.received[0]!.body, receiver.received[0]!.headers as Record<string, string>, created.secret)).toMatchObject({ type: 'records.created' });
      const attempts = await relay.subscriptions.deliveries(created.id);
      expect(attempts?.[0]).toMatchObject({ attempt: 1, status: 204, error: null });
      expect(await relay.subscriptions.replay(created.id, new Date(0))).toEqual({ queued: 1 });
      expect(await relay.subscriptions.replay('sub_nope', new Date(0))).toBeUndefined();
      expect(await relay.metrics()).toContain('dexcom_relay_deliveries_total{outcome="delivered"}');
    } finally {
      await relay.stop();
    }
  });
});
