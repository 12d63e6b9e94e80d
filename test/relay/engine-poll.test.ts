import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DexcomApiClient, InMemoryTokenStore } from '../../src/index.js';
import { createRelayEngine, type RelayEngine } from '../../src/relay/relay-engine.js';
import { verifyWebhook } from '../../src/webhooks/index.js';
import type { Database } from '../../src/stores/postgres/database.js';
import { type FakeDexcomServer, FakeDexcomData, startFakeDexcomServer } from '../support/fake-dexcom-server.js';
import { engineDatabaseKinds, engineSchema, insertSubscription, startReceiver, type EngineDatabase, type Receiver } from './engine-support.js';

const HOUR = 3_600_000;

describe.each(await engineDatabaseKinds())('polling on %s', (_kind, open) => {
  let database: Database;
  let db: EngineDatabase;
  let fake: FakeDexcomServer;
  let receiver: Receiver;
  let engine: RelayEngine | undefined;
  let tokenStore: InMemoryTokenStore;
  let dexcom: DexcomApiClient;
  const now = Date.now();

  beforeAll(async () => {
    database = await open();
  }, 120_000);
  afterAll(async () => database?.close());
  beforeEach(async () => {
    db = await engineSchema(database);
    fake = await startFakeDexcomServer({ dataStart: new Date(now - 2 * 86_400_000), dataEnd: new Date(now - HOUR) });
    receiver = await startReceiver();
    tokenStore = new InMemoryTokenStore();
    dexcom = new DexcomApiClient({ baseUrl: fake.url, rateLimit: false, oauth: { clientId: 'c', clientSecret: 's', tokenStore } });
  });
  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
    await Promise.all([fake.close(), receiver.close()]);
    await db.drop();
  });

  async function connect(userKey: string, reauthorizationRequired = false) {
    const t = Date.now();
    const record = { accessToken: reauthorizationRequired ? '' : `at-${userKey}`, refreshToken: reauthorizationRequired ? '' : 'rt', expiresAt: t + 7_200_000, environment: fake.url, version: 1, reauthorizationRequired, updatedAt: t };
    await tokenStore.compareAndSet(userKey, undefined, record);
    await db.database.query(`INSERT INTO ${db.schema}.connections (user_key, status, connected_at) VALUES ($1, 'active', now())`, [userKey]);
  }
  const received = () => receiver.received.flatMap((r) => (JSON.parse(r.body) as { data: { records: { recordId: string }[] } }).data.records.map((x) => x.recordId));

  it('a poll cycle writes what Dexcom has to the outbox and delivers it, signed; the next poll costs little and finds nothing', async () => {
    // The clock (and the data) stop 30 minutes after an event, so the next sync's overlap re-reads it.
    const lastEvent = fake.data.timesIn('events', fake.data.dataStart, fake.data.dataEnd).at(-1)!;
    fake.data.setDataEnd(new Date(lastEvent + 30 * 60_000));
    let clock = lastEvent + 40 * 60_000;
    engine = await createRelayEngine({ dexcom, database: db.database, schema: db.schemaName, allowPrivateTargets: true, now: () => new Date(clock) });
    const { secret } = await insertSubscription(db, { url: receiver.url, recordTypes: ['egvs', 'events'] });
    await connect('patient-1');
    const first = await engine.pollNow('patient-1');
    expect(first.outcome).toBe('data');
    expect(first.events).toBeGreaterThan(2);
    await engine.worker.drain();
    const expectedEgvs = fake.data.recordsIn('egvs', fake.data.dataStart, fake.data.dataEnd).map((r) => r.recordId);
    const expectedEvents = fake.data.recordsIn('events', fake.data.dataStart, fake.data.dataEnd).map((r) => r.recordId);
    expect(received().filter((id) => id.startsWith('egvs-'))).toEqual(expectedEgvs);
    expect(received().filter((id) => id.startsWith('events-'))).toEqual(expectedEvents);
    for (const r of receiver.received) expect(verifyWebhook(r.body, r.headers as Record<string, string>, secret, { now: () => new Date(clock) })).toBeTruthy();
    expect(receiver.received.every((r) => JSON.parse(r.body).data.records.length <= 288)).toBe(true);

    const second = await engine.pollNow('patient-1');
    expect(second).toMatchObject({ outcome: 'idle', events: 0 });
    expect(second.calls).toBeLessThanOrEqual(5);
    const { rows } = await db.database.query<{ last_poll_at: Date | null; next_poll_at: Date | null; last_error: string | null }>(
      `SELECT last_poll_at, next_poll_at, last_error FROM ${db.schema}.connections WHERE user_key = 'patient-1'`,
    );
    expect(rows[0]?.last_poll_at).not.toBeNull();
    expect(new Date(rows[0]!.next_poll_at!).getTime()).toBeGreaterThan(clock + 200_000);
    expect(rows[0]?.last_error).toBeNull();

    // New data appears, and the last event delivered is deleted.
    const deletedId = expectedEvents.at(-1)!;
    fake.data.deleteEvent(deletedId);
    // The next event appears too (events come every 6 hours), so the sync reads events again.
    fake.data.setDataEnd(new Date(lastEvent + 6.5 * HOUR));
    clock = lastEvent + 6.5 * HOUR + 10 * 60_000;
    const third = await engine.pollNow('patient-1');
    expect(third.outcome).toBe('data');
    await engine.worker.drain();
    const types = receiver.received.map((r) => JSON.parse(r.body).type);
    expect(types).toContain('records.deleted');
    const egvsNow = fake.data.recordsIn('egvs', fake.data.dataStart, fake.data.dataEnd).map((r) => r.recordId);
    expect(new Set(received().filter((id) => id.startsWith('egvs-')))).toEqual(new Set(egvsNow));
    expect(received().filter((id) => id.startsWith('egvs-'))).toHaveLength(egvsNow.length); // no duplicates
    expect(await engine.metrics()).toMatch(/dexcom_relay_polls_total\{outcome="data"\} 2/);
  });

  it('stops polling a user whose sign-in Dexcom refused, and the connection shows it', async () => {
    engine = await createRelayEngine({ dexcom, database: db.database, schema: db.schemaName, allowPrivateTargets: true });
    await connect('patient-2', true);
    const result = await engine.pollNow('patient-2');
    expect(result).toMatchObject({ outcome: 'reauthorization_required', nextPollAt: undefined });
    const { rows } = await db.database.query<{ status: string; last_error: string; next_poll_at: Date | null }>(
      `SELECT status, last_error, next_poll_at FROM ${db.schema}.connections WHERE user_key = 'patient-2'`,
    );
    expect(rows[0]).toMatchObject({ status: 'reauthorization_required', last_error: 'reauthorization_required', next_poll_at: null });
    expect((await engine.pollNow('patient-2')).outcome).toBe('skipped');
    expect(fake.requests).toHaveLength(0);
  });

  it('runs polls through pg-boss after start(): a connected user is polled and delivered without a call from the test', async () => {
    engine = await createRelayEngine({ dexcom, database: db.database, schema: db.schemaName, allowPrivateTargets: true, pollIntervalMs: 60_000 });
    await insertSubscription(db, { url: receiver.url, recordTypes: ['egvs'] });
    await connect('patient-3');
    await engine.start();
    await engine.hooks.connected('patient-3');
    const expected = fake.data.recordsIn('egvs', fake.data.dataStart, fake.data.dataEnd).length;
    const deadline = Date.now() + 60_000;
    while (received().length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(received()).toHaveLength(expected);
    expect(FakeDexcomData.recordIdOf('egvs', fake.data.timesIn('egvs', fake.data.dataStart, fake.data.dataEnd)[0]!)).toBe(received()[0]);
  }, 90_000);
});
