import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/stores/postgres/database.ts';
import { migrate, quoteSchema, type MigrationSet } from '../../src/stores/postgres/migrations.ts';
import { postgresUrlOrSkip } from '../support/services.ts';

const serverUrl = await postgresUrlOrSkip();

const set: MigrationSet = {
  component: 'widgets',
  migrations: [
    { version: 1, sql: 'CREATE TABLE {{schema}}.widgets (id int PRIMARY KEY);\nCREATE INDEX widgets_id ON {{schema}}.widgets (id);' },
    { version: 2, sql: 'ALTER TABLE {{schema}}.widgets ADD COLUMN name text;' },
  ],
};

function suite(name: string, open: () => Promise<Database>, concurrent: number) {
  describe(`migrate on ${name}`, () => {
    const opened: Database[] = [];
    afterAll(async () => {
      await Promise.all(opened.map((db) => db.close()));
    });

    it('applies each version once, also when several callers start at once, and again is a no-op', async () => {
      const schema = `mig_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      const dbs = await Promise.all(Array.from({ length: concurrent }, open));
      opened.push(...dbs);
      try {
        await Promise.all(dbs.map((db) => migrate(db, schema, set)));
        await migrate(dbs[0]!, schema, set);
        const { rows } = await dbs[0]!.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations WHERE component = 'widgets' ORDER BY version`);
        expect(rows.map((r) => r.version)).toEqual([1, 2]);
        await dbs[0]!.query(`INSERT INTO "${schema}".widgets (id, name) VALUES (1, 'a')`);
      } finally {
        await dbs[0]!.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    });
  });
}

suite('embedded PGlite', () => openDatabase({ dataDir: 'memory://' }), 1);
describe.runIf(serverUrl)('server', () => suite('a PostgreSQL server, 4 processes at once', () => openDatabase({ url: serverUrl! }), 4));

describe('migration input', () => {
  it('refuses a schema name that could inject SQL, and versions out of order', async () => {
    expect(() => quoteSchema('a"; DROP TABLE x; --')).toThrow(/for example \{ schema: 'dexcom' \}/);
    expect(quoteSchema('dexcom_2')).toBe('"dexcom_2"');
    const db = await openDatabase({ dataDir: 'memory://' });
    try {
      await expect(migrate(db, 'x', { component: 'c', migrations: [{ version: 2, sql: 'SELECT 1' }] })).rejects.toThrow(/numbered 1, 2, 3/);
    } finally {
      await db.close();
    }
  });
});
