import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnySyncBatch, DexcomAbortError, MemoryCheckpointStore, type SyncRecordMap, type SyncRecordType } from '../../src/index.js';
import { recordFingerprint } from '../../src/sync/record-fingerprint.js';
import type { RecordSource } from '../../src/sync/record-source.js';
import { syncRecords } from '../../src/sync/sync.js';
import { FakeDexcomData } from '../support/fake-dexcom-server.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 1);
const TYPES = ['egvs', 'calibrations', 'events', 'alerts'] as const;

/** The fake's data as an in-memory RecordSource that fails the fetch number `abortAt` with an abort. */
function memorySource(data: FakeDexcomData, abort: { at: number; controller: AbortController } | undefined): RecordSource {
  let fetches = 0;
  return {
    async fetchWindow<T extends SyncRecordType>(type: T, window: { start: Date; end: Date }, signal: AbortSignal) {
      expect(window.end.getTime() - window.start.getTime()).toBeLessThanOrEqual(30 * DAY);
      if (abort && ++fetches === abort.at) abort.controller.abort();
      if (signal.aborted) throw new DexcomAbortError('aborted');
      const end = type === 'alerts' ? window.end.getTime() : window.end.getTime() + 1000;
      return data.recordsIn(type, window.start.getTime(), end) as unknown as SyncRecordMap[T][];
    },
    async getDataRange({ lastSyncTime }) {
      return data.dataRange(lastSyncTime?.getTime());
    },
  };
}

type Step =
  | { kind: 'advance'; ms: number }
  | { kind: 'revise'; ageMs: number; value: number }
  | { kind: 'delete-latest-event' }
  | { kind: 'sync'; lagMs: number; concurrency: number; crash?: { mode: 'throw-before' | 'throw-after' | 'abort'; at: number } };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: MINUTE, max: 3 * DAY }) }),
  fc.record({ kind: fc.constant('revise' as const), ageMs: fc.integer({ min: 0, max: 2 * HOUR }), value: fc.integer({ min: 40, max: 400 }) }),
  fc.constant({ kind: 'delete-latest-event' as const }),
  fc.record(
    {
      kind: fc.constant('sync' as const),
      lagMs: fc.integer({ min: 0, max: 30 * MINUTE }),
      concurrency: fc.integer({ min: 1, max: 3 }),
      crash: fc.record({ mode: fc.constantFrom('throw-before' as const, 'throw-after' as const, 'abort' as const), at: fc.integer({ min: 1, max: 6 }) }),
    },
    { requiredKeys: ['kind', 'lagMs', 'concurrency'] },
  ),
);

describe('sync against a changing account (model-based)', () => {
  it('property: after any history of uploads, revisions, deletions, crashes and aborts, the consumer holds exactly the server data', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }).map((d) => d * DAY), fc.array(step, { maxLength: 12 }), async (initialSpan, steps) => {
        const data = new FakeDexcomData({ dataStart: new Date(T0), dataEnd: new Date(T0 + initialSpan) });
        const checkpointStore = new MemoryCheckpointStore();
        const consumer = new Map<string, unknown>();
        let deliveries = 0;
        let redeliveryAllowance = 0;
        const versions = new Set<string>();

        const sync = async (now: number, concurrency: number, crash?: Extract<Step, { kind: 'sync' }>['crash']) => {
          const controller = new AbortController();
          let batches = 0;
          const handler = (batch: AnySyncBatch) => {
            const crashing = crash && crash.mode !== 'abort' && ++batches === crash.at;
            if (crashing && crash.mode === 'throw-before') throw new Error('crash before commit');
            for (const r of batch.upserts) consumer.set(r.recordId, r);
            for (const r of batch.deletions) consumer.delete(r.recordId);
            const delivered = [...batch.upserts, ...batch.deletions];
            deliveries += delivered.length;
            for (const r of delivered) versions.add(`${r.recordId}:${recordFingerprint(r)}`);
            if (crashing) {
              // Committed but not acknowledged: the next run may deliver this window again.
              redeliveryAllowance += delivered.length;
              throw new Error('crash after commit');
            }
          };
          const abort = crash?.mode === 'abort' ? { at: crash.at, controller } : undefined;
          await syncRecords(memorySource(data, abort), { checkpointStore, handler, concurrency, signal: controller.signal, now: () => new Date(now) }).catch((error: unknown) => {
            if (!crash) throw error;
          });
        };

        for (const s of steps) {
          if (s.kind === 'advance') data.setDataEnd(new Date(data.dataEnd + s.ms));
          if (s.kind === 'revise') {
            const [t] = data.timesIn('egvs', data.dataEnd - s.ageMs - 5 * MINUTE, data.dataEnd - s.ageMs);
            if (t !== undefined) data.revise(FakeDexcomData.recordIdOf('egvs', t), { value: s.value });
          }
          if (s.kind === 'delete-latest-event') {
            const t = data.timesIn('events', data.dataEnd - 6 * HOUR, data.dataEnd).at(-1);
            if (t !== undefined) data.deleteEvent(FakeDexcomData.recordIdOf('events', t));
          }
          if (s.kind === 'sync') await sync(data.dataEnd + s.lagMs, s.concurrency, s.crash);
        }
        // New data of every type (a calibration comes every 12 hours), then a clean run. Its clock
        // reads one second after the last upload: a run reads whole seconds up to now, so a record
        // stamped within the second of `now` itself comes with the next run (the overlap re-reads
        // it), and this last run must be that next run.
        data.setDataEnd(new Date(data.dataEnd + 13 * HOUR));
        await sync(data.dataEnd + 1000, 2);

        const expected = new Map<string, unknown>();
        for (const type of TYPES) {
          for (const r of data.recordsIn(type, T0, data.dataEnd)) {
            if (!('eventStatus' in r && r.eventStatus === 'deleted')) expected.set(r.recordId, r);
          }
        }
        expect(consumer.size).toBe(expected.size);
        expect(consumer).toEqual(expected);
        // Each version once, except the windows whose handler crashed after committing.
        expect(deliveries - versions.size).toBeLessThanOrEqual(redeliveryAllowance);
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
