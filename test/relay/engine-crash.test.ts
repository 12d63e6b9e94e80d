import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/stores/postgres/database.js';
import { startFakeDexcomServer, type FakeDexcomServer } from '../support/fake-dexcom-server.js';
import { postgresUrlOrSkip } from '../support/services.js';
import { engineSchema, insertSubscription, startReceiver, type EngineDatabase, type Receiver } from './engine-support.js';

const url = await postgresUrlOrSkip();
const child = fileURLToPath(new URL('./engine-crash-child.ts', import.meta.url));

describe.skipIf(!url)('a relay SIGKILLed mid-backfill and restarted on the same database', () => {
  let database: Database;
  let db: EngineDatabase;
  let fake: FakeDexcomServer;
  let receiver: Receiver;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    database = await openDatabase({ url: url! });
    db = await engineSchema(database);
    const now = Date.now();
    // 120 days with a slow Dexcom: the backfill takes seconds, long enough to kill it half-way.
    fake = await startFakeDexcomServer({ dataStart: new Date(now - 120 * 86_400_000), dataEnd: new Date(now - 3_600_000), latencyMs: 400 });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await Promise.all([fake?.close(), receiver?.close()]);
    await db?.drop();
    await database?.close();
  });

  function startRelay(): ChildProcess {
    const proc = spawn(process.execPath, ['--import', 'tsx', child], {
      env: { ...process.env, RELAY_DATABASE_URL: url!, RELAY_SCHEMA: db.schemaName, RELAY_DEXCOM_URL: fake.url, RELAY_USER_KEY: 'patient-crash' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(proc);
    return proc;
  }
  const until = async (condition: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  };

  it('loses nothing: every record arrives, every signature verifies', async () => {
    const { secret } = await insertSubscription(db, { url: receiver.url });
    await db.database.query(`INSERT INTO ${db.schema}.connections (user_key, status, connected_at) VALUES ('patient-crash', 'active', now())`);
    const first = startRelay();
    await until(() => receiver.received.length >= 3, 90_000);
    expect(receiver.received.length).toBeGreaterThanOrEqual(3);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const beforeRestart = receiver.received.length;

    startRelay();
    const expected = (type: 'egvs' | 'events' | 'calibrations' | 'alerts') => fake.data.recordsIn(type, fake.data.dataStart, fake.data.dataEnd).map((r) => r.recordId);
    const all = [...expected('egvs'), ...expected('events'), ...expected('calibrations'), ...expected('alerts')];
    const received = () => new Set(receiver.received.flatMap((r) => (JSON.parse(r.body) as { data: { records: { recordId: string }[] } }).data.records.map((x) => x.recordId)));
    await until(() => received().size >= all.length, 200_000);
    expect(receiver.received.length).toBeGreaterThan(beforeRestart);
    expect([...received()].sort()).toEqual([...all].sort());
    const wh = new Webhook(secret);
    for (const r of receiver.received) expect(() => wh.verify(r.body, r.headers as Record<string, string>)).not.toThrow();
    // Deliveries are at least once; the same event keeps its webhook-id, so receivers can drop repeats.
    const { rows } = await db.database.query<{ n: string }>(`SELECT count(*) AS n FROM ${db.schema}.events`);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(Number(rows[0]!.n));
  }, 330_000);
});
