import { Registry } from 'prom-client';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryWorker, FAILING_DISABLE_AFTER_MS, type RelayEngineEvent } from '../../src/relay/delivery/delivery-worker.js';
import { RETRY_SCHEDULE_MS } from '../../src/relay/delivery/retry-schedule.js';
import { nextRetryDelayMs } from '../../src/relay/delivery/retry-schedule.js';
import { createRelayMetrics } from '../../src/relay/metrics/relay-metrics.js';
import { writeBatchToOutbox } from '../../src/relay/outbox/outbox-writer.js';
import type { Database } from '../../src/stores/postgres/database.js';
import type { AnySyncBatch } from '../../src/sync/index.js';
import { egv, engineDatabaseKinds, engineSchema, insertSubscription, startReceiver, type EngineDatabase, type Receiver } from './engine-support.js';

const T0 = Date.parse('2026-11-30T00:00:00Z');
const batchOf = (records: unknown[], type = 'egvs'): AnySyncBatch =>
  ({ type, window: { start: new Date(T0), end: new Date(T0 + 86_400_000) }, upserts: records, deletions: [] }) as unknown as AnySyncBatch;

describe('retry schedule', () => {
  it('follows at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, with ±20 % jitter, then stops', () => {
    expect(RETRY_SCHEDULE_MS).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => nextRetryDelayMs(n, undefined, () => 0.5))).toEqual(RETRY_SCHEDULE_MS.slice(1));
    expect(nextRetryDelayMs(8, undefined)).toBeUndefined();
    expect(nextRetryDelayMs(2, undefined, () => 0)).toBe(240_000);
    expect(nextRetryDelayMs(2, undefined, () => 1)).toBe(360_000);
    expect(nextRetryDelayMs(1, 60_000, () => 0.5)).toBe(60_000);
    expect(nextRetryDelayMs(1, 10 * 86_400_000, () => 0.5)).toBe(86_400_000);
  });
});

describe.each(await engineDatabaseKinds())('delivery worker on %s', (_kind, open) => {
  let database: Database;
  let db: EngineDatabase;
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    database = await open();
  }, 120_000);
  afterAll(async () => database?.close());
  beforeEach(async () => {
    db = await engineSchema(database);
  });
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
    await db.drop();
  });

  function setup(options: { clock?: { now: number }; logs?: unknown[]; events?: RelayEngineEvent[] } = {}) {
    const registry = new Registry();
    const metrics = createRelayMetrics(registry);
    const record = (level: string) => (fields: unknown, message?: string) => options.logs?.push({ level, fields, message });
    const worker = new DeliveryWorker({
      database: db.database,
      schema: db.schema,
      metrics,
      allowPrivateTargets: true,
      random: () => 0.5,
      ...(options.clock ? { now: () => new Date(options.clock!.now) } : {}),
      logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
      onEvent: (event) => options.events?.push(event),
    });
    return { worker, registry, metrics };
  }
  const write = (records: unknown[], at: number, userKey = 'u1') =>
    writeBatchToOutbox(batchOf(records), { database: db.database, schema: db.schema, userKey, now: () => new Date(at) });
  const attempts = async () =>
    (await db.database.query<{ attempt: number; status: number | null; error: string | null; next_retry_at: Date | null; attempted_at: Date }>(
      `SELECT attempt, status, error, next_retry_at, attempted_at FROM ${db.schema}.delivery_attempts ORDER BY id`,
    )).rows;
  const delivery = async () => (await db.database.query<{ state: string; attempts: number }>(`SELECT state, attempts FROM ${db.schema}.deliveries`)).rows[0];

  it('delivers to a real receiver on 127.0.0.1 that verifies with standardwebhooks', async () => {
    receiver = await startReceiver();
    const { id, secret } = await insertSubscription(db, { url: `${receiver.url}?key=canary-query-value` });
    const logs: unknown[] = [];
    const { worker, registry } = setup({ logs });
    await write([egv(T0, 111), egv(T0 + 300_000, 112)], Date.now());
    expect(await worker.drain()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const { headers, body } = receiver.received[0]!;
    const payload = new Webhook(secret).verify(body, headers as Record<string, string>) as { type: string; data: { records: { value: number }[] } };
    expect(payload.type).toBe('records.created');
    expect(payload.data.records.map((r) => r.value)).toEqual([111, 112]);
    expect(headers['webhook-id']).toMatch(/^evt_/);
    expect(await delivery()).toMatchObject({ state: 'delivered' });
    const [attempt] = await worker.store.attempts(id, 10) ?? [];
    expect(attempt).toMatchObject({ attempt: 1, status: 204, error: null, nextRetryAt: null });
    expect(await registry.getSingleMetricAsString('dexcom_relay_deliveries_total')).toContain('outcome="delivered"} 1');
    const logged = JSON.stringify(logs);
    expect(logged).not.toContain('canary-query-value');
    expect(logged).not.toContain(secret.slice(6));
    expect(logged).not.toContain('111');
  });

  it('retries on the schedule with a fake clock, dead-letters after the last attempt, and replays', async () => {
    let healthy = false;
    receiver = await startReceiver(() => ({ status: healthy ? 200 : 503 }));
    const clock = { now: T0 };
    const events: RelayEngineEvent[] = [];
    const { id } = await insertSubscription(db, { url: receiver.url });
    const { worker, registry } = setup({ clock, events });
    await write([egv(T0)], T0);
    const ids = new Set<string>();
    for (let n = 1; n <= 8; n++) {
      expect(await worker.drain()).toBe(1);
      const due = (await attempts()).at(-1)!;
      expect(due).toMatchObject({ attempt: n, status: 503, error: 'http_503' });
      if (n < 8) {
        expect(new Date(due.next_retry_at!).getTime() - clock.now).toBe(RETRY_SCHEDULE_MS[n]);
        clock.now += RETRY_SCHEDULE_MS[n]! - 1;
        expect(await worker.drain()).toBe(0); // not due yet
        clock.now += 1;
      } else expect(due.next_retry_at).toBeNull();
      ids.add(receiver.received.at(-1)!.headers['webhook-id'] as string);
    }
    expect(ids.size).toBe(1); // the same webhook-id on every retry
    expect(await delivery()).toMatchObject({ state: 'dead', attempts: 8 });
    expect(events).toContainEqual(expect.objectContaining({ type: 'delivery.dead', subscriptionId: id }));
    expect(await registry.getSingleMetricAsString('dexcom_relay_deliveries_total')).toMatch(/outcome="dead"} 1/);
    healthy = true;
    expect(await worker.store.replay(id, new Date(T0 - 1), new Date(clock.now))).toBe(1);
    expect(await worker.drain()).toBe(1);
    expect(await delivery()).toMatchObject({ state: 'delivered' });
    expect(receiver.received.at(-1)!.headers['webhook-id']).toBe([...ids][0]);
    expect(await worker.store.replay('sub_missing', new Date(0), new Date())).toBeUndefined();
  });

  it('honours Retry-After and keeps each stream in order behind a failing head', async () => {
    const answers = [429, 200, 200];
    receiver = await startReceiver((n) => ({ status: answers[n] ?? 200, headers: n === 0 ? { 'retry-after': '3600' } : ({} as Record<string, string>) }));
    const clock = { now: T0 };
    await insertSubscription(db, { url: receiver.url });
    const { worker } = setup({ clock });
    await write([egv(T0)], T0);
    await write([egv(T0 + 300_000)], T0);
    expect(await worker.drain()).toBe(1);
    expect(new Date((await attempts())[0]!.next_retry_at!).getTime() - T0).toBe(3_600_000);
    clock.now += 3_600_000;
    expect(await worker.drain()).toBe(2);
    const values = receiver.received.map((r) => JSON.parse(r.body).data.records[0].recordId);
    expect(values).toEqual([`egv-${T0}`, `egv-${T0}`, `egv-${T0 + 300_000}`]);
  });

  it('disables a subscription on 410 and after five days of failures, with an event and a metric', async () => {
    receiver = await startReceiver((_n, request) => ({ status: JSON.parse(request.body).data.userKey === 'gone-user' ? 410 : 500 }));
    const clock = { now: T0 };
    const events: RelayEngineEvent[] = [];
    const gone = await insertSubscription(db, { url: receiver.url, userKey: 'gone-user' });
    const failing = await insertSubscription(db, { url: receiver.url, userKey: 'u1' });
    const { worker, registry } = setup({ clock, events });
    await write([egv(T0)], T0, 'gone-user');
    await write([egv(T0)], T0, 'u1');
    await worker.drain();
    const statuses = async () => Object.fromEntries((await db.database.query<{ id: string; status: string; disabled_reason: string | null }>(`SELECT id, status, disabled_reason FROM ${db.schema}.subscriptions`)).rows.map((r) => [r.id, `${r.status}/${r.disabled_reason}`]));
    expect((await statuses())[gone.id]).toBe('disabled/gone');
    expect((await statuses())[failing.id]).toBe('enabled/null');
    // Five days later, more events keep failing: the subscription is disabled.
    for (let day = 1; day <= 5; day++) {
      clock.now = T0 + day * 86_400_000;
      await write([egv(T0 + day * 86_400_000)], clock.now, 'u1');
      await db.database.query(`UPDATE ${db.schema}.deliveries SET next_attempt_at = $1 WHERE state = 'pending'`, [new Date(clock.now)]);
      await worker.drain();
    }
    expect(clock.now - T0).toBe(FAILING_DISABLE_AFTER_MS);
    expect((await statuses())[failing.id]).toBe('disabled/failing');
    expect(events.filter((e) => e.type === 'subscription.disabled')).toEqual([
      { type: 'subscription.disabled', subscriptionId: gone.id, reason: 'gone' },
      { type: 'subscription.disabled', subscriptionId: failing.id, reason: 'failing' },
    ]);
    const metric = await registry.getSingleMetricAsString('dexcom_relay_subscriptions_disabled_total');
    expect(metric).toContain('reason="gone"} 1');
    expect(metric).toContain('reason="failing"} 1');
  });

  it('never sends one event twice at once when two workers drain together', async () => {
    receiver = await startReceiver();
    await insertSubscription(db, { url: receiver.url });
    for (let i = 0; i < 5; i++) await write([egv(T0 + i * 300_000)], Date.now(), `user-${i}`);
    const a = setup().worker;
    const b = setup().worker;
    const [na, nb] = await Promise.all([a.drain(), b.drain()]);
    expect(na + nb).toBe(5);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(5);
    expect(receiver.received).toHaveLength(5);
  });
});
