import { parseDexcomTimestamp } from '../../timestamps.js';
import { recordFingerprint } from '../../sync/record-fingerprint.js';
import type { SyncRecord } from '../../sync/record-types.js';
import type { AnySyncBatch, SyncHandler } from '../../sync/sync-options.js';
import type { Database, SqlQueryable } from '../../stores/postgres/database.js';
import type { RelayEventType } from '../relay-types.js';
import { eventId } from './event-id.js';

/** Most records in one webhook: one day of EGVs at one every 5 minutes. */
export const MAX_RECORDS_PER_EVENT = 288;

/** What the outbox stored for one batch. */
export interface OutboxWrite {
  /** New events (an event already stored is not counted again). */
  readonly events: number;
  /** Deliveries queued for them. */
  readonly deliveries: number;
}

/** Options of {@link writeBatchToOutbox} and {@link outboxHandler}. */
export interface OutboxOptions {
  readonly database: Database;
  /** Quoted schema name. */
  readonly schema: string;
  readonly userKey: string;
  /** The clock: the events' `found_at` and body timestamp. */
  readonly now: () => Date;
  /** Called after a batch's transaction committed, e.g. to wake the delivery worker. */
  readonly onWritten?: (write: OutboxWrite) => void;
}

interface PlannedEvent {
  readonly id: string;
  readonly type: RelayEventType;
  readonly records: readonly SyncRecord[];
  readonly versions: readonly { recordId: string; fingerprint: string }[];
}

/**
 * Writes one sync batch to the outbox in one transaction: splits it into events
 * (`records.created` for versions never stored, `records.updated` for a new version of a stored
 * record, `records.deleted`), at most {@link MAX_RECORDS_PER_EVENT} records each in time order,
 * skips versions already in an event, and queues a delivery for every enabled subscription that
 * matches and existed when the event was found. Idempotent: writing the same batch twice stores
 * nothing new.
 *
 * @example
 * const write = await writeBatchToOutbox(batch, { database, schema: '"dexcom_relay"', userKey: 'patient-42', now: () => new Date() });
 */
export async function writeBatchToOutbox(batch: AnySyncBatch, options: OutboxOptions): Promise<OutboxWrite> {
  const { database, schema, userKey } = options;
  const upserts = batch.upserts as readonly SyncRecord[];
  const deletions = batch.deletions as readonly SyncRecord[];
  if (upserts.length === 0 && deletions.length === 0) return { events: 0, deliveries: 0 };
  const foundAt = options.now();
  const write = await database.transaction(async (tx) => {
    const stored = await storedVersions(tx, schema, userKey, batch.type, [...upserts, ...deletions]);
    const created: SyncRecord[] = [];
    const updated: SyncRecord[] = [];
    const deleted: SyncRecord[] = [];
    for (const record of upserts) {
      const versions = stored.get(record.recordId);
      if (versions?.has(recordFingerprint(record))) continue;
      (versions ? updated : created).push(record);
    }
    for (const record of deletions) {
      if (!stored.get(record.recordId)?.has(recordFingerprint(record))) deleted.push(record);
    }
    const planned = [
      ...chunk(created).map((records) => plan(userKey, batch.type, 'records.created', records)),
      ...chunk(updated).map((records) => plan(userKey, batch.type, 'records.updated', records)),
      ...chunk(deleted).map((records) => plan(userKey, batch.type, 'records.deleted', records)),
    ];
    let events = 0;
    let deliveries = 0;
    for (const event of planned) {
      const body = JSON.stringify({ type: event.type, timestamp: foundAt.toISOString(), data: { userKey, recordType: batch.type, records: event.records } });
      const inserted = await tx.query<{ seq: string }>(
        `INSERT INTO ${schema}.events (id, user_key, record_type, type, record_count, first_record_at, body, found_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING seq`,
        [event.id, userKey, batch.type, event.type, event.records.length, firstTime(event.records), body, foundAt],
      );
      await tx.query(
        `INSERT INTO ${schema}.event_records (user_key, record_type, record_id, fingerprint, event_id)
         SELECT $1, $2, r.id, r.fp, $3 FROM unnest($4::text[], $5::text[]) AS r(id, fp) ON CONFLICT DO NOTHING`,
        [userKey, batch.type, event.id, event.versions.map((v) => v.recordId), event.versions.map((v) => v.fingerprint)],
      );
      const seq = inserted.rows[0]?.seq;
      if (seq === undefined) continue;
      events++;
      deliveries += await fanOut(tx, schema, { id: event.id, seq, userKey, recordType: batch.type, type: event.type, foundAt });
    }
    return { events, deliveries };
  });
  options.onWritten?.(write);
  return write;
}

/**
 * A sync handler that writes each batch to the outbox before resolving, so `sync` moves the
 * checkpoint only once the batch is durable.
 *
 * @example
 * await dexcom.forUser(userKey).sync({ checkpointStore, handler: outboxHandler({ database, schema, userKey, now }) });
 */
export function outboxHandler(options: OutboxOptions): SyncHandler {
  return async (batch) => {
    await writeBatchToOutbox(batch, options);
  };
}

/** What fan-out needs to know about an event. */
export interface FanOutEvent {
  readonly id: string;
  readonly seq: string | number;
  readonly userKey: string;
  readonly recordType: string;
  readonly type: RelayEventType;
  readonly foundAt: Date;
}

/**
 * Queues a delivery of one event to every enabled subscription that matches it (its user or all
 * users, its event type, its record type) and was created no later than the event was found.
 * Resolves how many were queued.
 *
 * @example
 * await fanOut(tx, '"dexcom_relay"', { id, seq, userKey, recordType: 'egvs', type: 'records.created', foundAt });
 */
export async function fanOut(tx: SqlQueryable, schema: string, event: FanOutEvent): Promise<number> {
  const { rowCount } = await tx.query(
    `INSERT INTO ${schema}.deliveries (subscription_id, event_id, event_seq, stream, state, next_attempt_at, created_at)
     SELECT s.id, $1, $2, $3, 'pending', $4, $4 FROM ${schema}.subscriptions s
     WHERE s.status = 'enabled' AND s.created_at <= $4
       AND (s.user_key IS NULL OR s.user_key = $5)
       AND (s.events IS NULL OR $6 = ANY(s.events))
       AND (s.record_types IS NULL OR $7 = ANY(s.record_types))
     ON CONFLICT DO NOTHING`,
    [event.id, event.seq, streamOf(event.userKey, event.recordType), event.foundAt, event.userKey, event.type, event.recordType],
  );
  return rowCount;
}

/**
 * The ordering unit of deliveries within one subscription: one user's records of one type.
 *
 * @example
 * streamOf('patient-42', 'egvs'); // 'egvs:patient-42'
 */
export function streamOf(userKey: string, recordType: string): string {
  // A record type never holds ':', so the first one separates the two unambiguously (SQL builds the same in replay).
  return `${recordType}:${userKey}`;
}

async function storedVersions(tx: SqlQueryable, schema: string, userKey: string, type: string, records: readonly SyncRecord[]): Promise<Map<string, Set<string>>> {
  const ids = [...new Set(records.map((r) => r.recordId))];
  const { rows } = await tx.query<{ record_id: string; fingerprint: string }>(
    `SELECT record_id, fingerprint FROM ${schema}.event_records WHERE user_key = $1 AND record_type = $2 AND record_id = ANY($3::text[])`,
    [userKey, type, ids],
  );
  const stored = new Map<string, Set<string>>();
  for (const row of rows) stored.set(row.record_id, (stored.get(row.record_id) ?? new Set()).add(row.fingerprint));
  return stored;
}

function plan(userKey: string, recordType: string, type: RelayEventType, records: readonly SyncRecord[]): PlannedEvent {
  const versions = records.map((r) => ({ recordId: r.recordId, fingerprint: recordFingerprint(r) }));
  return { id: eventId(userKey, recordType, type, versions), type, records, versions };
}

function chunk(records: readonly SyncRecord[]): SyncRecord[][] {
  const chunks: SyncRecord[][] = [];
  for (let i = 0; i < records.length; i += MAX_RECORDS_PER_EVENT) chunks.push(records.slice(i, i + MAX_RECORDS_PER_EVENT));
  return chunks;
}

function firstTime(records: readonly SyncRecord[]): Date | null {
  const ms = parseDexcomTimestamp(records[0]?.systemTime);
  return ms === undefined ? null : new Date(ms);
}
