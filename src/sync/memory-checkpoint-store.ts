import { assertCheckpointKey, type CheckpointKey, type CheckpointStore, parseCheckpoint, type SyncCheckpoint } from './checkpoint.js';

/**
 * A {@link CheckpointStore} in process memory: for tests, scripts and single runs. Lost on exit, so
 * a restarted process syncs from the beginning again; use `FileCheckpointStore` or your database to
 * resume after a crash. Stores copies, so later changes to a checkpoint object do not leak in.
 *
 * @example
 * const checkpointStore = new MemoryCheckpointStore();
 * await dexcom.sync({ checkpointStore, handler: async (batch) => save(batch) });
 */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly #entries = new Map<string, SyncCheckpoint>();

  /** The saved checkpoint for `key`, or `undefined`. */
  async get(key: CheckpointKey): Promise<SyncCheckpoint | undefined> {
    assertCheckpointKey(key);
    const saved = this.#entries.get(keyOf(key));
    return saved === undefined ? undefined : structuredClone(saved);
  }

  /** Saves a copy of `checkpoint` for `key`; refuses (a `DexcomValidationError`) what is not a checkpoint. */
  async set(key: CheckpointKey, checkpoint: SyncCheckpoint): Promise<void> {
    assertCheckpointKey(key);
    this.#entries.set(keyOf(key), structuredClone(parseCheckpoint(checkpoint, 'the checkpoint to save')));
  }
}

function keyOf({ userKey, type }: CheckpointKey): string {
  return JSON.stringify([userKey, type]);
}
