import { DexcomValidationError } from '../core/errors.js';
import { assertSyncRecordType, type SyncRecordType } from './record-types.js';
import { assertUserKey } from '../user-key.js';

/**
 * A record delivered inside the overlap period: `[recordId, systemTime in epoch ms, fingerprint]`.
 * The fingerprint is a hash of the whole record, so a revised value shows up as a new fingerprint.
 *
 * @example
 * const entry: DeliveredRecord = ['egvs-1717199700000', 1717199700000, 'q2Xz0V9Yk1c3bA7e'];
 */
export type DeliveredRecord = readonly [recordId: string, systemTimeMs: number, fingerprint: string];

/**
 * Where a sync of one record type for one user stands. JSON-safe, so any store can keep it as is.
 *
 * Its size is bounded by the overlap, not by the history: it holds the end of the last window the
 * consumer finished, and fingerprints of the records delivered in the overlap before that end only
 * (about 36 EGVs for the default 3 hours), which is all the next run needs to tell a repeat from a
 * revision when it re-reads the overlap.
 *
 * @example
 * const checkpoint: SyncCheckpoint = { version: 1, syncedUntil: '2024-06-01T00:00:00.000Z', delivered: [] };
 */
export interface SyncCheckpoint {
  /** Format version; a store that reads another version must not guess. */
  readonly version: 1;
  /** UTC ISO time: every record with a `systemTime` before this was delivered and its handler finished. */
  readonly syncedUntil: string;
  /** Records delivered in `[syncedUntil - overlap, syncedUntil)`, oldest first. */
  readonly delivered: readonly DeliveredRecord[];
}

/**
 * Which checkpoint: one per user and record type.
 *
 * @example
 * const checkpoint = await store.get({ userKey: 'patient-42', type: 'egvs' });
 */
export interface CheckpointKey {
  /** Your id for the Dexcom account being synced (never sent anywhere). `'self'` by default. */
  readonly userKey: string;
  /** The record type. */
  readonly type: SyncRecordType;
}

/**
 * Keeps {@link SyncCheckpoint}s between runs. `sync` calls `set` only after your handler finished a
 * window, so whatever `get` returns is safe to resume from. Use `MemoryCheckpointStore`,
 * `FileCheckpointStore` or `PostgresCheckpointStore` (`dexcom-api-client/postgres`), or implement it
 * over your own database (one row per key) and check it with `checkpointStoreConformance`
 * (`dexcom-api-client/testing`).
 *
 * @example
 * const store: CheckpointStore = {
 *   get: async ({ userKey, type }) => (await db.checkpoints.find(userKey, type))?.value,
 *   set: async ({ userKey, type }, checkpoint) => db.checkpoints.upsert(userKey, type, checkpoint),
 * };
 */
export interface CheckpointStore {
  /** The checkpoint saved for `key`, or `undefined` before the first sync. */
  get(key: CheckpointKey): Promise<SyncCheckpoint | undefined>;
  /** Saves `checkpoint` for `key`, replacing the previous one; resolves once it is durable. */
  set(key: CheckpointKey, checkpoint: SyncCheckpoint): Promise<void>;
}

/**
 * Validates an unknown value (e.g. parsed JSON) as a {@link SyncCheckpoint}, throwing a
 * `DexcomValidationError` that names `source` when it is not one.
 *
 * @example
 * const checkpoint = parseCheckpoint(JSON.parse(text), 'checkpoints/self.egvs.json');
 */
export function parseCheckpoint(value: unknown, source: string): SyncCheckpoint {
  const fail = (why: string): never => {
    throw new DexcomValidationError(`${source} is not a sync checkpoint: ${why}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const { version, syncedUntil, delivered } = value as Record<string, unknown>;
  if (version !== 1) return fail(`unsupported version ${JSON.stringify(version)}`);
  if (typeof syncedUntil !== 'string' || Number.isNaN(Date.parse(syncedUntil))) return fail('syncedUntil is not an ISO time');
  if (!Array.isArray(delivered)) return fail('delivered is not an array');
  for (const entry of delivered) {
    const ok =
      Array.isArray(entry) && entry.length === 3 && typeof entry[0] === 'string' && Number.isFinite(entry[1]) && typeof entry[2] === 'string';
    if (!ok) return fail(`bad delivered entry ${JSON.stringify(entry)}`);
  }
  return { version, syncedUntil, delivered: delivered as DeliveredRecord[] };
}

/**
 * Validates a {@link CheckpointKey}.
 *
 * @example
 * assertCheckpointKey({ userKey: 'patient-42', type: 'egvs' });
 */
export function assertCheckpointKey(key: unknown): asserts key is CheckpointKey {
  if (typeof key !== 'object' || key === null) throw new DexcomValidationError(`a checkpoint key is { userKey, type }, e.g. { userKey: 'patient-42', type: 'egvs' }`);
  const { userKey, type } = key as Record<string, unknown>;
  assertUserKey(userKey);
  assertSyncRecordType(type);
}

export { assertUserKey };
