/**
 * The TokenStore conformance suite against every implementation in this package: in memory, one
 * JSON file, PostgreSQL on embedded PGlite, and the PostgreSQL server (each test on its own random
 * schema, dropped afterwards; skipped with a reason when the server is missing).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FileTokenStore, InMemoryTokenStore } from '../../src/index.js';
import { openDatabase, type Database } from '../../src/stores/postgres/database.js';
import { PostgresTokenStore } from '../../src/stores/postgres/token-store.js';
import { tokenStoreConformance } from '../../src/testing/conformance/token-store.js';
import { postgresUrlOrSkip } from '../support/services.js';

const api = { describe, it, expect, beforeEach, afterEach };
const randomSchema = () => `tokens_${randomBytes(6).toString('hex')}`;

tokenStoreConformance(api, 'InMemoryTokenStore', () => {
  const store = new InMemoryTokenStore();
  return { store, peer: store };
});

tokenStoreConformance(api, 'FileTokenStore', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'dexcom-tokens-'));
  // One instance per file is the file store's rule, so the "other process" is the same instance.
  const store = new FileTokenStore({ path: join(directory, 'tokens.json') });
  return { store, peer: store, cleanup: () => rm(directory, { recursive: true, force: true }) };
});

describe('on embedded PGlite', () => {
  let pglite: PGlite;
  let database: Database;
  beforeAll(async () => {
    pglite = await PGlite.create();
    database = await openDatabase({ pglite });
    // Starting the WebAssembly engine takes seconds on a busy machine.
  }, 120_000);
  afterAll(async () => {
    await pglite.close();
  });
  tokenStoreConformance(api, 'PostgresTokenStore (PGlite)', () => {
    const schema = randomSchema();
    return {
      store: new PostgresTokenStore({ database, schema }),
      peer: new PostgresTokenStore({ database, schema }),
      serialized: true,
      cleanup: async () => {
        await database.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      },
    };
  });
});

const url = await postgresUrlOrSkip();
describe.skipIf(url === undefined)('on the PostgreSQL server', () => {
  tokenStoreConformance(api, 'PostgresTokenStore (server)', () => {
    const schema = randomSchema();
    const store = new PostgresTokenStore({ url: url!, schema });
    const peer = new PostgresTokenStore({ url: url!, schema });
    return {
      store,
      peer,
      cleanup: async () => {
        await Promise.all([store.close(), peer.close()]);
        const admin = new pg.Pool({ connectionString: url! });
        try {
          await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await admin.end();
        }
      },
    };
  });
});
