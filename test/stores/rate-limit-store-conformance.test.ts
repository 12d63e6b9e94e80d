import { PGlite } from '@electric-sql/pglite';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryRateLimitStore } from '../../plugins/rate-limit-store.ts';
import { openDatabase, type Database } from '../../src/stores/postgres/database.ts';
import { PostgresRateLimitStore } from '../../src/stores/postgres/rate-limit-store.ts';
import { RedisRateLimitStore } from '../../src/stores/redis/rate-limit-store.ts';
import { rateLimitStoreConformance } from '../../src/testing/conformance/rate-limit-store.ts';
import { postgresUrlOrSkip, redisUrlOrSkip } from '../support/services.ts';

const postgresUrl = await postgresUrlOrSkip();
const redisUrl = await redisUrlOrSkip();
const api = { describe, it, expect, beforeEach, afterEach };
const unique = (prefix: string) => `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;

rateLimitStoreConformance(api, 'in-memory', () => {
  const store = new InMemoryRateLimitStore();
  return { store, peer: store };
});

describe('PGlite', () => {
  let pglite: PGlite;
  // Starting the WebAssembly engine takes seconds on a busy machine.
  beforeAll(async () => {
    pglite = new PGlite();
    await pglite.waitReady;
  }, 60_000);
  afterAll(() => pglite.close());

  // Both stores on one PGlite instance and schema, as two clients of one relay process would be.
  rateLimitStoreConformance(api, 'PGlite', () => {
    const schema = unique('rl');
    const key = unique('bucket');
    const store = new PostgresRateLimitStore({ pglite, schema, key });
    const peer = new PostgresRateLimitStore({ pglite, schema, key });
    return {
      store,
      peer,
      cleanup: async () => {
        await pglite.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      },
    };
  });
});

describe.runIf(postgresUrl)('PostgreSQL server', () => {
  let admin: Database;
  beforeAll(async () => {
    admin = await openDatabase({ url: postgresUrl! });
  });
  afterAll(() => admin.close());

  // Two pools, as two processes would have.
  rateLimitStoreConformance(api, 'PostgreSQL server', () => {
    const schema = unique('rl');
    const key = unique('bucket');
    const store = new PostgresRateLimitStore({ url: postgresUrl!, schema, key });
    const peer = new PostgresRateLimitStore({ database: admin, schema, key });
    return {
      store,
      peer,
      cleanup: async () => {
        await store.close();
        await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      },
    };
  });
});

describe.runIf(redisUrl)('Redis', () => {
  const client = createClient({ url: redisUrl });
  const prefix = unique('dexcom-test:rl');
  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}:*` })) if (keys.length) await client.del(keys);
    client.destroy();
  });

  // One store opens its own connection from the URL, the other uses a client passed in.
  rateLimitStoreConformance(api, 'Redis', () => {
    const key = `${prefix}:${unique('bucket')}`;
    const store = new RedisRateLimitStore({ url: redisUrl!, key });
    const peer = new RedisRateLimitStore({ client, key });
    return {
      store,
      peer,
      cleanup: async () => {
        await store.close();
        await client.del(key);
      },
    };
  });
});
