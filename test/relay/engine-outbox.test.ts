import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/stores/postgres/database.js';
import { eventId } from '../../src/relay/outbox/event-id.js';
import { MAX_RECORDS_PER_EVENT, writeBatchToOutbox } from '../../src/relay/outbox/outbox-writer.js';
import type { AnySyncBatch } from '../../src/sync/index.js';
import { egv, engineDatabaseKinds, engineSchema, insertSubscription, type EngineDatabase } from './engine-support.js';

const T0 = Date.parse('2026-11-30T00:00:00Z');
const batchOf = (upserts: unknown[], deletions: unknown[] = [], type = 'egvs'): AnySyncBatch =>
  ({ type, window: { start: new Date(T0), end: new Date(T0 + 86_400_000) }, upserts, deletions }) as unknown as AnySyncBatch;

describe.each(await engineDatabaseKinds())('outbox on %s', (_kind, open) => {
  let database: Database;
  let db: EngineDatabase;
  beforeAll(async () => {
    database = await open();
  }, 120_000);
  afterAll(async () => database?.close());
  beforeEach(async () => {
    db = await engineSchema(database);
  });
  afterEach(async () => db.drop());

  const write = (batch: AnySyncBatch, now = new Date(T0 + 86_400_000)) => writeBatchToOutbox(batch, { database: db.database, schema: db.schema, userKey: 'u1', now: () => now });
  const events = async () =>
    (await db.database.query<{ id: string; type: string; record_count: number; body: string }>(`SELECT id, type, record_count, body FROM ${db.schema}.events ORDER BY seq`)).rows;

  it('splits a batch into events of at most 288 records in time order, with deterministic ids', async () => {
    const records = Array.from({ length: 600 }, (_, i) => egv(T0 + i * 300_000));
    expect(await write(batchOf(records))).toEqual({ events: 3, deliveries: 0 });
    const stored = await events();
    expect(stored.map((e) => Number(e.record_count))).toEqual([MAX_RECORDS_PER_EVENT, MAX_RECORDS_PER_EVENT, 24]);
    const first = JSON.parse(stored[0]!.body);
    expect(first).toMatchObject({ type: 'records.created', data: { userKey: 'u1', recordType: 'egvs' } });
    expect(first.data.records[0]).toEqual(records[0]);
    const times = stored.flatMap((e) => JSON.parse(e.body).data.records.map((r: { systemTime: string }) => r.systemTime));
    expect(times).toEqual(records.map((r) => r.systemTime));
    expect(stored[0]!.id).toMatch(/^evt_[\w-]{22}$/);
    expect(eventId('u1', 'egvs', 'records.created', [{ recordId: 'a', fingerprint: 'x' }])).toBe(eventId('u1', 'egvs', 'records.created', [{ recordId: 'a', fingerprint: 'x' }]));
    expect(eventId('u2', 'egvs', 'records.created', [{ recordId: 'a', fingerprint: 'x' }])).not.toBe(eventId('u1', 'egvs', 'records.created', [{ recordId: 'a', fingerprint: 'x' }]));
  });

  it('is idempotent: the same batch again, or re-read with more records, stores no second event for a version', async () => {
    const records = Array.from({ length: 10 }, (_, i) => egv(T0 + i * 300_000));
    await write(batchOf(records));
    const before = await events();
    expect(await write(batchOf(records), new Date(T0 + 2 * 86_400_000))).toEqual({ events: 0, deliveries: 0 });
    // A crash before the checkpoint moved: the next run reads the window again, now with two more records.
    const more = [...records, egv(T0 + 10 * 300_000), egv(T0 + 11 * 300_000)];
    expect((await write(batchOf(more))).events).toBe(1);
    const after = await events();
    expect(after.slice(0, 1)).toEqual(before);
    expect(JSON.parse(after[1]!.body).data.records.map((r: { recordId: string }) => r.recordId)).toEqual([`egv-${T0 + 3_000_000}`, `egv-${T0 + 3_300_000}`]);
  });

  it('tells a revised value (records.updated) and a deletion (records.deleted) from new records', async () => {
    await write(batchOf([egv(T0, 100), egv(T0 + 300_000, 101)]));
    await write(batchOf([egv(T0, 140)]));
    const deleted = { recordId: 'ev-1', systemTime: '2026-11-30T01:00:00Z', eventStatus: 'deleted', eventType: 'carbs' };
    await write(batchOf([], [deleted], 'events'));
    await write(batchOf([], [deleted], 'events'));
    expect((await events()).map((e) => e.type)).toEqual(['records.created', 'records.updated', 'records.deleted']);
  });

  it('fans out to matching enabled subscriptions created before the event was found', async () => {
    const now = new Date(T0 + 86_400_000);
    const all = await insertSubscription(db, { url: 'https://a.example/h' });
    const mine = await insertSubscription(db, { url: 'https://b.example/h', userKey: 'u1', recordTypes: ['egvs'], events: ['records.created'] });
    await insertSubscription(db, { url: 'https://c.example/h', userKey: 'someone-else' });
    await insertSubscription(db, { url: 'https://d.example/h', recordTypes: ['events'] });
    await insertSubscription(db, { url: 'https://e.example/h', events: ['records.deleted'] });
    await insertSubscription(db, { url: 'https://f.example/h', createdAt: new Date(now.getTime() + 1) });
    const disabled = await insertSubscription(db, { url: 'https://g.example/h' });
    await db.database.query(`UPDATE ${db.schema}.subscriptions SET status = 'disabled' WHERE id = $1`, [disabled.id]);
    expect(await write(batchOf([egv(T0)]), now)).toEqual({ events: 1, deliveries: 2 });
    const { rows } = await db.database.query<{ subscription_id: string; state: string }>(`SELECT subscription_id, state FROM ${db.schema}.deliveries ORDER BY subscription_id`);
    expect(rows.map((r) => r.subscription_id).sort()).toEqual([all.id, mine.id].sort());
    expect(rows.every((r) => r.state === 'pending')).toBe(true);
  });
});
