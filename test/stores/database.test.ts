import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/stores/postgres/database.ts';
import { isDexcomError } from '../../src/core/errors.ts';
import { postgresUrlOrSkip } from '../support/services.ts';

const serverUrl = await postgresUrlOrSkip();

function suite(name: string, open: () => Promise<Database>) {
  describe(`Database on ${name}`, () => {
    let db: Database;
    afterAll(() => db?.close());

    it('queries with parameters, runs several statements, and commits or rolls back a transaction', async () => {
      db = await open();
      const schema = `db_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      await db.exec(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (id int PRIMARY KEY, v text);`);
      try {
        const inserted = await db.query(`INSERT INTO ${schema}.t VALUES ($1, $2)`, [1, 'a']);
        expect(inserted.rowCount).toBe(1);
        await db.transaction(async (tx) => {
          await tx.query(`UPDATE ${schema}.t SET v = $1 WHERE id = 1`, ['b']);
        });
        await expect(
          db.transaction(async (tx) => {
            await tx.query(`UPDATE ${schema}.t SET v = $1 WHERE id = 1`, ['c']);
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        const { rows } = await db.query<{ v: string }>(`SELECT v FROM ${schema}.t WHERE id = $1`, [1]);
        expect(rows).toEqual([{ v: 'b' }]);
      } finally {
        await db.exec(`DROP SCHEMA ${schema} CASCADE`);
      }
    });
  });
}

suite('embedded PGlite', () => openDatabase({ dataDir: 'memory://' }));
describe.runIf(serverUrl)('server', () => suite('a PostgreSQL server', () => openDatabase({ url: serverUrl! })));

describe('openDatabase options', () => {
  it.each([
    [{}, /exactly one of url, pool, pglite or dataDir \(got none\)/],
    [{ url: 'postgres://x', dataDir: 'y' }, /got url, dataDir/],
    [{ url: 'mysql://127.0.0.1/x' }, /must start with postgres:\/\//],
    [{ url: 'not a url' }, /url is not a URL/],
  ])('refuses %j with a configuration error that shows an example', async (options, message) => {
    const error = await openDatabase(options as never).catch((e: unknown) => e);
    expect(isDexcomError(error) && error.code).toBe('configuration');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain("{ url: 'postgres://127.0.0.1:5432/app' }");
  });
});
