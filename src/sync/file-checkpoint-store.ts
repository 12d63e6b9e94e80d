import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { DexcomCheckpointStoreError, DexcomValidationError } from '../core/errors.js';
import { assertCheckpointKey, type CheckpointKey, type CheckpointStore, parseCheckpoint, type SyncCheckpoint } from './checkpoint.js';

/**
 * Options of {@link FileCheckpointStore}.
 *
 * @example
 * new FileCheckpointStore({ directory: '/var/lib/cgm-sync/checkpoints' });
 */
export interface FileCheckpointStoreOptions {
  /** Directory for the checkpoint files; created (mode 0700) when missing. */
  directory: string;
}

/**
 * A durable {@link CheckpointStore}: one JSON file per user and record type in `directory`, mode
 * 0600 (a checkpoint holds record ids of a patient's data).
 *
 * Each `set` is atomic: the checkpoint goes to a temporary file in the same directory, which is
 * fsynced, then renamed over the old file, and the directory is fsynced so the rename itself
 * survives a power loss. A crash at any point leaves either the old or the new checkpoint, never a
 * torn one, so `sync` resumes without a gap. A failing file system surfaces as a
 * `DexcomCheckpointStoreError` (the system error in `cause`).
 *
 * @example
 * const checkpointStore = new FileCheckpointStore({ directory: './dexcom-checkpoints' });
 * await dexcom.sync({ userKey: 'patient-42', checkpointStore, handler });
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly #directory: string;

  constructor(options: FileCheckpointStoreOptions) {
    if (typeof options?.directory !== 'string' || options.directory === '') {
      throw new DexcomValidationError(`FileCheckpointStore needs a directory, e.g. new FileCheckpointStore({ directory: './dexcom-checkpoints' })`);
    }
    this.#directory = options.directory;
  }

  /** The checkpoint saved for `key`, or `undefined` when there is no file yet. */
  async get(key: CheckpointKey): Promise<SyncCheckpoint | undefined> {
    assertCheckpointKey(key);
    const path = this.#pathOf(key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw ioError('read', key, error);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new DexcomValidationError(`${path} is not a sync checkpoint: not JSON`);
    }
    return parseCheckpoint(json, path);
  }

  /** Atomically replaces the checkpoint for `key` (temp file, fsync, rename, directory fsync). */
  async set(key: CheckpointKey, checkpoint: SyncCheckpoint): Promise<void> {
    assertCheckpointKey(key);
    parseCheckpoint(checkpoint, 'the checkpoint to save');
    try {
      await writeFileAtomic(this.#pathOf(key), JSON.stringify(checkpoint));
    } catch (error) {
      throw ioError('save', key, error);
    }
  }

  #pathOf({ userKey, type }: CheckpointKey): string {
    return join(this.#directory, `${fileSafe(userKey)}.${type}.json`);
  }
}

/**
 * A user key as a file name: readable when it is plain (letters, digits, `-`, `_`), otherwise a
 * hash, so no key can escape the directory, clash by case or exceed file-name limits.
 */
function fileSafe(userKey: string): string {
  if (/^[A-Za-z0-9_-]{1,100}$/.test(userKey) && userKey.toLowerCase() === userKey) return userKey;
  return `key-${createHash('sha256').update(userKey).digest('hex').slice(0, 32)}`;
}

/** A typed error for a failed read or write, naming the type and the system error code only. */
function ioError(action: 'read' | 'save', { type }: CheckpointKey, cause: unknown): DexcomCheckpointStoreError {
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  const outcome = action === 'save' ? '; the file holds the previous checkpoint or this one, never part of one' : '';
  return new DexcomCheckpointStoreError(`Could not ${action} the ${type} sync checkpoint file${typeof code === 'string' ? ` (${code})` : ''}${outcome}`, { cause });
}
