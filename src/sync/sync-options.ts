import { assertValidDate, DAY_MS, type TimeWindow } from '../dates.js';
import { DexcomValidationError } from '../core/errors.js';
import { assertUserKey, type CheckpointStore } from './checkpoint.js';
import { assertOptionalSignal, resolveConcurrency } from './iterate-options.js';
import { assertSyncRecordType, maxWindowDaysOf, SYNC_RECORD_TYPES, type SyncRecordMap, type SyncRecordType } from './record-types.js';

/**
 * What one window changed for one record type, as the sync handler receives it.
 *
 * @example
 * const handler = async (batch: SyncBatch<'events'>) => {
 *   for (const event of batch.deletions) await db.events.delete(event.recordId);
 * };
 */
export interface SyncBatch<T extends SyncRecordType = SyncRecordType> {
  /** The record type. */
  readonly type: T;
  /** The window `[start, end)` read; every record's `systemTime` lies in it. */
  readonly window: TimeWindow;
  /**
   * Records to insert or replace by `recordId`: new ones, and new versions of delivered ones (a
   * value revised after the fact), in `systemTime` order.
   */
  readonly upserts: SyncRecordMap[T][];
  /** Records to delete by `recordId` (events with `eventStatus: 'deleted'`), in `systemTime` order. */
  readonly deletions: SyncRecordMap[T][];
}

/**
 * A {@link SyncBatch} of any type; narrow it with `batch.type`.
 *
 * @example
 * const handler = (batch: AnySyncBatch) => {
 *   if (batch.type === 'egvs') console.log(batch.upserts.map((egv) => egv.value));
 * };
 */
export type AnySyncBatch = { [K in SyncRecordType]: SyncBatch<K> }[SyncRecordType];

/**
 * Called once per window, in time order, one at a time. The checkpoint moves past the window only
 * after the returned promise resolves, so write the batch durably before resolving; if it rejects,
 * the sync stops and the next one delivers the window again.
 *
 * @example
 * const handler: SyncHandler = async ({ type, upserts, deletions }) => db.apply(type, upserts, deletions);
 */
export type SyncHandler = (batch: AnySyncBatch) => Promise<void> | void;

/**
 * Options of `dexcom.sync(options)`.
 *
 * @example
 * await dexcom.sync({ types: ['egvs', 'events'], userKey: 'patient-42', checkpointStore, handler, overlapMs: 6 * 3_600_000 });
 */
export interface SyncOptions {
  /** Where checkpoints live between runs (required): `FileCheckpointStore`, `MemoryCheckpointStore`, `PostgresCheckpointStore` or your own. */
  checkpointStore: CheckpointStore;
  /** Receives every window's changes (required). */
  handler: SyncHandler;
  /** Record types to sync, in this order. Default: `['egvs', 'calibrations', 'events', 'alerts']`. */
  types?: readonly SyncRecordType[];
  /** Your id for this Dexcom account in the checkpoint store (never sent to Dexcom). Default `'self'`. */
  userKey?: string;
  /**
   * How far before the checkpoint each run re-reads, in ms (rounded up to whole seconds). Default
   * {@link DEFAULT_OVERLAP_MS} (3 hours). At most one window (30 days in v3).
   */
  overlapMs?: number;
  /**
   * Earliest time to sync. Without it the first sync starts where `dataRange` says the data begins;
   * with it, no run reads before it. Default: none.
   */
  start?: Date;
  /** Windows fetched ahead while the handler works, 1 to 16. Default 1. The handler still runs in order. */
  concurrency?: number;
  /** Stops the sync; the checkpoint stays at the last window the handler finished. */
  signal?: AbortSignal;
  /** The clock, for the 30-day `lastSyncTime` rule and the end of alert reads. Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * Default re-read overlap: 3 hours. Dexcom serves data 1 to 3 hours late (reference §1.4: a 3-hour
 * delay in the older FAQ, about 1 hour per Validic in 2024), uploads arrive in batches, and values
 * can be revised after the fact; everything within the last 3 hours before the checkpoint may still
 * change, so each run reads it again. It costs no extra request (the tail joins the first window of
 * at most 30 days) and keeps the checkpoint small (36 EGV fingerprints).
 *
 * @example
 * await dexcom.sync({ checkpointStore, handler, overlapMs: 2 * DEFAULT_OVERLAP_MS }); // for late-uploading receivers
 */
export const DEFAULT_OVERLAP_MS = 3 * 3_600_000;

/**
 * The default `userKey` when one process syncs one account.
 *
 * @example
 * await store.get({ userKey: DEFAULT_USER_KEY, type: 'egvs' });
 */
export const DEFAULT_USER_KEY = 'self';

/**
 * {@link SyncOptions} validated, with defaults filled in.
 *
 * @example
 * const { overlapMs, concurrency }: ResolvedSyncOptions = resolveSyncOptions({ checkpointStore, handler });
 */
export interface ResolvedSyncOptions {
  readonly checkpointStore: CheckpointStore;
  readonly handler: SyncHandler;
  readonly types: readonly SyncRecordType[];
  readonly userKey: string;
  readonly overlapMs: number;
  readonly start: Date | undefined;
  readonly concurrency: number;
  readonly signal: AbortSignal | undefined;
  readonly now: () => Date;
}

/**
 * Validates {@link SyncOptions} before any request or store access and fills in the defaults; bad
 * input throws a `DexcomValidationError` whose message shows a correct call.
 *
 * @example
 * resolveSyncOptions({ checkpointStore, handler }).overlapMs; // 10_800_000
 */
export function resolveSyncOptions(options: unknown): ResolvedSyncOptions {
  const example = `e.g. dexcom.sync({ checkpointStore: new FileCheckpointStore({ directory: './checkpoints' }), handler: async (batch) => save(batch) })`;
  if (typeof options !== 'object' || options === null) throw new DexcomValidationError(`sync needs options, ${example}`);
  const o = options as Partial<Record<keyof SyncOptions, unknown>>;
  const store = o.checkpointStore as Partial<CheckpointStore> | undefined;
  if (typeof store?.get !== 'function' || typeof store.set !== 'function') {
    throw new DexcomValidationError(`checkpointStore must have async get(key) and set(key, checkpoint), ${example}`);
  }
  if (typeof o.handler !== 'function') throw new DexcomValidationError(`handler must be a function, ${example}`);
  const types = resolveTypes(o.types);
  const userKey = o.userKey ?? DEFAULT_USER_KEY;
  assertUserKey(userKey);
  if (o.start !== undefined) assertValidDate(o.start, 'start');
  if (o.now !== undefined && typeof o.now !== 'function') throw new DexcomValidationError('now must be a function returning a Date, e.g. { now: () => new Date() }');
  assertOptionalSignal(o.signal);
  return {
    checkpointStore: store as CheckpointStore,
    handler: o.handler as SyncHandler,
    types,
    userKey,
    overlapMs: resolveOverlap(o.overlapMs, types),
    start: o.start as Date | undefined,
    concurrency: resolveConcurrency(o.concurrency),
    signal: o.signal,
    now: (o.now as (() => Date) | undefined) ?? (() => new Date()),
  };
}

function resolveTypes(value: unknown): readonly SyncRecordType[] {
  if (value === undefined) return SYNC_RECORD_TYPES;
  if (!Array.isArray(value) || value.length === 0) {
    throw new DexcomValidationError(`types must be a non-empty array, e.g. { types: ['egvs', 'events'] }`);
  }
  for (const type of value) assertSyncRecordType(type);
  if (new Set(value).size !== value.length) throw new DexcomValidationError(`types must not repeat a type (got ${value.join(', ')})`);
  return [...(value as SyncRecordType[])];
}

function resolveOverlap(value: unknown, types: readonly SyncRecordType[]): number {
  if (value === undefined) return DEFAULT_OVERLAP_MS;
  // The overlap bounds the checkpoint's fingerprint set; beyond one window it would re-read more
  // than a whole request on every run and hold that much in the checkpoint.
  const maxMs = Math.min(...types.map(maxWindowDaysOf)) * DAY_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > maxMs) {
    throw new DexcomValidationError(`overlapMs must be a number of milliseconds from 0 to ${maxMs} (got ${String(value)}), e.g. { overlapMs: 3 * 3_600_000 }`);
  }
  return Math.ceil(value / 1000) * 1000;
}
