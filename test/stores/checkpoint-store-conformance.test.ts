import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCheckpointStore, MemoryCheckpointStore } from '../../src/index.js';
import { PostgresCheckpointStore } from '../../src/stores/postgres/checkpoint-store.js';
import { type Database, openDatabase } from '../../src/stores/postgres/database.js';
import { type CheckpointStoreFixture, checkpointStoreConformance } from '../../src/testing/conformance/checkpoint-store.js';
import { postgresUrlOrSkip } from '../support/services.js';

const serverUrl = await postgresUrlOrSkip();
const api = { describe, it, expect };

/** A Database that fails every statement while broken, as one whose connection dropped would. */
function breakable(db: Database) {
  let broken = false;
  const dropped = () => Promise.reject(Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' }));
  const database: Database = {
    kind: db.kind,
    query: (text, params) => (broken ? dropped() : db.query(text, params)),
    exec: (sql) => (broken ? dropped() : db.exec(sql)),
    transaction: (fn) => (broken ? dropped() : db.transaction(fn)),
    close: () => db.close(),
  };
  return { database, breakBackend: async () => void (broken = true), healBackend: async () => void (broken = false) };
}

const randomSchema = () => `ckpt_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;

checkpointStoreConformance(api, 'MemoryCheckpointStore', () => ({ store: new MemoryCheckpointStore() }));

checkpointStoreConformance(api, 'FileCheckpointStore', async (): Promise<CheckpointStoreFixture> => {
  const root = await mkdtemp(join(tmpdir(), 'dexcom-checkpoint-conformance-'));
  const directory = join(root, 'checkpoints');
  return {
    store: new FileCheckpointStore({ directory }),
    reopen: () => new FileCheckpointStore({ directory }),
    // A file where the directory was: every read and write fails with ENOTDIR or EEXIST.
    breakBackend: async () => {
      await rename(directory, `${directory}.away`).catch(() => undefined);
      await writeFile(directory, 'not a directory');
    },
    healBackend: async () => {
      await rm(directory);
      await rename(`${directory}.away`, directory).catch(() => undefined);
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe('PostgresCheckpointStore on embedded PGlite', () => {
  let pglite: Database;
  // Starting the WebAssembly engine can take a while on a busy machine; it happens once per file.
  beforeAll(async () => {
    pglite = await openDatabase({ dataDir: 'memory://' });
  }, 120_000);
  afterAll(() => pglite?.close());
  checkpointStoreConformance(api, 'PostgresCheckpointStore (PGlite)', async (): Promise<CheckpointStoreFixture> => {
    const db = pglite;
    const schema = randomSchema();
    const faults = breakable(db);
    return {
      store: new PostgresCheckpointStore({ database: faults.database, schema }),
      reopen: () => new PostgresCheckpointStore({ database: db, schema }),
      breakBackend: faults.breakBackend,
      healBackend: faults.healBackend,
      cleanup: () => db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`),
    };
  });
});

describe.runIf(serverUrl)('PostgresCheckpointStore on the PostgreSQL server', () => {
  checkpointStoreConformance(api, 'PostgresCheckpointStore (server)', async (): Promise<CheckpointStoreFixture> => {
    const db = await openDatabase({ url: serverUrl! });
    const schema = randomSchema();
    const faults = breakable(db);
    const opened: PostgresCheckpointStore[] = [];
    return {
      store: new PostgresCheckpointStore({ database: faults.database, schema }),
      // A second store on its own pool, as another process would have.
      reopen: () => {
        const other = new PostgresCheckpointStore({ url: serverUrl!, schema });
        opened.push(other);
        return other;
      },
      breakBackend: faults.breakBackend,
      healBackend: faults.healBackend,
      cleanup: async () => {
        await Promise.all(opened.map((store) => store.close()));
        await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await db.close();
      },
    };
  });
});
