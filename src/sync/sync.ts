import type { DataRangeResponse } from '../../generated/types.gen.js';
import { assertValidDate, type TimeWindow } from '../dates.js';
import { type DeliveredRecord, parseCheckpoint, type SyncCheckpoint } from './checkpoint.js';
import { diffWindow, rememberDelivered } from './delivered-index.js';
import type { RecordSource } from './record-source.js';
import type { SyncRecord, SyncRecordType } from './record-types.js';
import { type AnySyncBatch, type ResolvedSyncOptions, resolveSyncOptions, type SyncOptions } from './sync-options.js';
import { planDataRangeRequest, planSyncRange, type SyncRunState } from './sync-plan.js';
import { readWindowBatches } from './window-batches.js';

/**
 * What one record type did in a sync run.
 *
 * @example
 * const egvs = report.types.find((t) => t.type === 'egvs');
 * console.log(egvs?.status, egvs?.upserts, egvs?.syncedUntil);
 */
export interface TypeSyncReport {
  /** The record type. */
  readonly type: SyncRecordType;
  /** `synced` when windows were read, `up-to-date` when nothing was new, `no-data` when the user has none. */
  readonly status: 'synced' | 'up-to-date' | 'no-data';
  /** The range walked, when one was. */
  readonly range: TimeWindow | undefined;
  /** Windows read and handed to the handler. */
  readonly windows: number;
  /** Records delivered as upserts. */
  readonly upserts: number;
  /** Records delivered as deletions. */
  readonly deletions: number;
  /** The checkpoint after the run (unchanged when nothing was read), if there is one. */
  readonly syncedUntil: Date | undefined;
}

/**
 * What a sync run did.
 *
 * @example
 * const report: SyncReport = await dexcom.sync({ checkpointStore, handler });
 * console.log(report.lastSyncTime, report.types.length);
 */
export interface SyncReport {
  /** The `lastSyncTime` sent to `dataRange`, if it was asked with one. */
  readonly lastSyncTime: Date | undefined;
  /** Whether `dataRange` was asked at all (not for alerts alone once they have a checkpoint). */
  readonly dataRangeRequested: boolean;
  /** One report per type, in the order synced. */
  readonly types: readonly TypeSyncReport[];
}

/**
 * Incremental sync: asks `dataRange` what is new (with `lastSyncTime` when the checkpoint is recent),
 * walks only the windows that can hold new data plus a trailing overlap, and hands each window's
 * changes to `handler` in time order: every record once per version (a record revised in the overlap
 * comes again as an upsert, a deleted event as a deletion). Each type's checkpoint moves only after
 * the handler finished a window, so a crash or abort resumes with no gap and delivers again at most
 * the window that was in progress, with the same record ids. Run one sync per `userKey` at a time.
 *
 * @example
 * const report = await syncRecords(clientRecordSource(dexcom), {
 *   checkpointStore: new FileCheckpointStore({ directory: './checkpoints' }),
 *   handler: async ({ type, upserts, deletions }) => db.apply(type, upserts, deletions),
 * });
 */
export async function syncRecords(source: RecordSource, options: SyncOptions): Promise<SyncReport> {
  const resolved = resolveSyncOptions(options);
  const { checkpointStore, userKey, types, signal } = resolved;
  const nowDate = resolved.now();
  assertValidDate(nowDate, 'now()');
  const checkpoints = new Map<SyncRecordType, SyncCheckpoint>();
  for (const type of types) {
    const saved = await checkpointStore.get({ userKey, type });
    // A custom store may hand back anything: refuse to resume from what is not a checkpoint.
    if (saved !== undefined) checkpoints.set(type, parseCheckpoint(saved, `the checkpoint of ${type} for this userKey`));
  }
  const state: SyncRunState = {
    types,
    syncedUntil: new Map([...checkpoints].map(([type, checkpoint]) => [type, Date.parse(checkpoint.syncedUntil)])),
    overlapMs: resolved.overlapMs,
    startMs: resolved.start?.getTime(),
    nowMs: nowDate.getTime(),
  };
  const request = planDataRangeRequest(state);
  const dataRange = request.needed ? await source.getDataRange({ ...(request.lastSyncTime ? { lastSyncTime: request.lastSyncTime } : {}), signal }) : undefined;
  const reports: TypeSyncReport[] = [];
  for (const type of types) {
    reports.push(await syncType(source, resolved, type, state, dataRange, request.lastSyncTime, checkpoints.get(type)));
  }
  return { lastSyncTime: request.lastSyncTime, dataRangeRequested: request.needed, types: reports };
}

async function syncType(
  source: RecordSource,
  options: ResolvedSyncOptions,
  type: SyncRecordType,
  state: SyncRunState,
  dataRange: DataRangeResponse | undefined,
  lastSyncTime: Date | undefined,
  checkpoint: SyncCheckpoint | undefined,
): Promise<TypeSyncReport> {
  const syncedUntil = checkpoint ? new Date(checkpoint.syncedUntil) : undefined;
  const plan = planSyncRange(type, state, dataRange, lastSyncTime);
  const { checkpointStore, userKey, handler, overlapMs, concurrency, signal } = options;
  if (plan.kind === 'skip') {
    if (plan.advanceTo) await checkpointStore.set({ userKey, type }, { version: 1, syncedUntil: plan.advanceTo.toISOString(), delivered: [] });
    return { type, status: plan.reason, range: undefined, windows: 0, upserts: 0, deletions: 0, syncedUntil: plan.advanceTo ?? syncedUntil };
  }
  let known = new Map<string, DeliveredRecord>((checkpoint?.delivered ?? []).map((entry) => [entry[0], entry]));
  let windows = 0;
  let upserts = 0;
  let deletions = 0;
  let reached = syncedUntil;
  const walk = { type, start: plan.window.start, end: plan.window.end, concurrency, signal };
  for await (const batch of readWindowBatches(source, walk)) {
    const horizon = batch.window.end.getTime() - overlapMs;
    const changes = diffWindow<SyncRecord>(batch.records, batch.window, known, isDeletion, horizon);
    await handler({ type, window: batch.window, upserts: changes.upserts, deletions: changes.deletions } as AnySyncBatch);
    // Only now is the window the consumer's: remember it, then move the checkpoint past it.
    known = rememberDelivered(known, changes.seen, horizon);
    await checkpointStore.set({ userKey, type }, { version: 1, syncedUntil: batch.window.end.toISOString(), delivered: [...known.values()] });
    reached = batch.window.end;
    windows++;
    upserts += changes.upserts.length;
    deletions += changes.deletions.length;
  }
  return { type, status: 'synced', range: plan.window, windows, upserts, deletions, syncedUntil: reached };
}

/** Dexcom marks deletions on events only: a deleted event keeps its id with `eventStatus: 'deleted'`. */
function isDeletion(record: SyncRecord): boolean {
  return 'eventStatus' in record && record.eventStatus === 'deleted';
}
