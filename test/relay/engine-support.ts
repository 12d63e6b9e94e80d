import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase, type Database } from '../../src/stores/postgres/database.js';
import { migrate, quoteSchema } from '../../src/stores/postgres/migrations.js';
import { relayManagementMigrations } from '../../src/relay/management/migrations.js';
import { relayDeliveryMigrations } from '../../src/relay/outbox/delivery-migrations.js';
import { generateWebhookSecret } from '../../src/webhooks/index.js';
import { postgresUrlOrSkip } from '../support/services.js';

/** A random schema holding the relay's tables on a shared database; `drop()` removes the schema. */
export interface EngineDatabase {
  readonly database: Database;
  readonly schemaName: string;
  /** Quoted. */
  readonly schema: string;
  drop(): Promise<void>;
}

/**
 * The database kinds every engine suite runs on: PGlite always, the PostgreSQL server when it
 * answers. Open each once per file (PGlite takes seconds to start) and take a schema per test.
 */
export async function engineDatabaseKinds(): Promise<Array<[string, () => Promise<Database>]>> {
  const kinds: Array<[string, () => Promise<Database>]> = [['pglite', () => openDatabase({ dataDir: 'memory://' })]];
  const url = await postgresUrlOrSkip();
  if (url) kinds.push(['postgres', () => openDatabase({ url })]);
  return kinds;
}

/** A fresh random schema with the relay's tables on `database`. */
export async function engineSchema(database: Database): Promise<EngineDatabase> {
  const schemaName = `relay_test_${randomBytes(6).toString('hex')}`;
  await migrate(database, schemaName, relayManagementMigrations);
  await migrate(database, schemaName, relayDeliveryMigrations);
  return {
    database,
    schemaName,
    schema: quoteSchema(schemaName),
    async drop() {
      // The queue (pg-boss) keeps its tables in a schema of its own next to the relay's.
      await database.exec(`DROP SCHEMA IF EXISTS ${quoteSchema(schemaName)} CASCADE; DROP SCHEMA IF EXISTS ${quoteSchema(`${schemaName}_queue`)} CASCADE`);
    },
  };
}

/** Inserts a subscription row directly, as the management side would. */
export async function insertSubscription(
  db: EngineDatabase,
  fields: { url: string; userKey?: string | null; events?: string[] | null; recordTypes?: string[] | null; createdAt?: Date; secret?: string; id?: string },
): Promise<{ id: string; secret: string }> {
  const id = fields.id ?? `sub_${randomBytes(8).toString('hex')}`;
  const secret = fields.secret ?? generateWebhookSecret();
  await db.database.query(
    `INSERT INTO ${db.schema}.subscriptions (id, url, user_key, events, record_types, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [id, fields.url, fields.userKey ?? null, fields.events ?? null, fields.recordTypes ?? null, secret, fields.createdAt ?? new Date(0)],
  );
  return { id, secret };
}

/** One request a {@link Receiver} got. */
export interface ReceivedWebhook {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A webhook receiver on 127.0.0.1 answering with a scripted status per request. */
export interface Receiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  close(): Promise<void>;
}

/** Starts a receiver; `answer` picks the status (and headers) for the n-th request (0-based). */
export async function startReceiver(answer: (n: number, request: ReceivedWebhook) => { status: number; headers?: Record<string, string> } = () => ({ status: 204 })): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const { status, headers } = answer(received.length, request);
      received.push(request);
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** An EGV record as Dexcom returns it, at `t`. */
export function egv(t: number, value = 120): Record<string, unknown> & { recordId: string; systemTime: string } {
  return { recordId: `egv-${t}`, systemTime: new Date(t).toISOString().slice(0, 19), displayTime: new Date(t).toISOString().slice(0, 19), value, trend: 'flat', unit: 'mg/dL' };
}
