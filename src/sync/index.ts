/**
 * Backfill and incremental sync: `iterate` streams any range window by window, `sync` delivers what
 * changed since a checkpoint. `DexcomApiClient.iterate` and `.sync` are the usual entry points.
 *
 * @example
 * import { FileCheckpointStore } from 'dexcom-api-client';
 * await dexcom.sync({ checkpointStore: new FileCheckpointStore({ directory: './checkpoints' }), handler });
 */
export {
  assertCheckpointKey,
  type CheckpointKey,
  type CheckpointStore,
  type DeliveredRecord,
  parseCheckpoint,
  type SyncCheckpoint,
} from './checkpoint.js';
export { FileCheckpointStore, type FileCheckpointStoreOptions } from './file-checkpoint-store.js';
export { iterateRecords, type RecordIterable } from './iterate.js';
export { DEFAULT_CONCURRENCY, type IterateOptions, MAX_CONCURRENCY } from './iterate-options.js';
export { MemoryCheckpointStore } from './memory-checkpoint-store.js';
export { recordFingerprint } from './record-fingerprint.js';
export { clientRecordSource, type RecordSource, type SyncCapableClient } from './record-source.js';
export { maxWindowDaysOf, SYNC_RECORD_TYPES, type SyncRecord, type SyncRecordMap, type SyncRecordType } from './record-types.js';
export { type SyncReport, syncRecords, type TypeSyncReport } from './sync.js';
export {
  type AnySyncBatch,
  DEFAULT_OVERLAP_MS,
  DEFAULT_USER_KEY,
  type SyncBatch,
  type SyncHandler,
  type SyncOptions,
} from './sync-options.js';
export { LAST_SYNC_TIME_MAX_AGE_MS } from './sync-plan.js';
export type { WindowBatch } from './window-batches.js';
export { withParsedTimes, type WithParsedTimes } from './with-parsed-times.js';
