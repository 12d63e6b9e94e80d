import type { Database } from '../../stores/postgres/database.js';

/** The `db` option pg-boss accepts instead of opening its own pool. */
export interface PgBossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * pg-boss on a {@link Database}, so the queue shares the relay's connection (a `pg` pool or the
 * embedded PGlite). Parameterised SQL goes through `query()`. pg-boss also sends parameterless
 * SQL, some of it several statements at once (its migrations): those go through `query()` when
 * one statement (its rows are needed) and through `exec()` when PGlite refuses several in one
 * prepared statement.
 *
 * @example
 * const boss = new PgBoss({ db: pgBossDatabase(database), schema: 'dexcom_relay_queue' });
 */
export function pgBossDatabase(database: Database): PgBossDb {
  return {
    async executeSql(text, values) {
      if (values && values.length > 0) return { rows: (await database.query(text, values)).rows ?? [] };
      try {
        return { rows: (await database.query(text)).rows ?? [] };
      } catch (error) {
        if (!/multiple commands/i.test(String((error as Error)?.message))) throw error;
        await database.exec(text);
        return { rows: [] };
      }
    },
  };
}
