import PgBoss from 'pg-boss';
import type { LoggerLike } from '../../../plugins/logging.js';
import type { Database } from '../../stores/postgres/database.js';
import { pgBossDatabase } from './pg-boss-database.js';

/** The pg-boss queue of polls. */
export const POLL_QUEUE = 'dexcom-relay-poll';

/** Options of {@link PollQueue}. */
export interface PollQueueOptions {
  readonly database: Database;
  /** Unquoted schema for pg-boss's own tables. */
  readonly schema: string;
  /** Runs one poll; resolves when the user's next poll is due, or undefined to stop polling them. */
  readonly poll: (userKey: string) => Promise<Date | undefined>;
  /** Polls running at once in this process. Default 4. */
  readonly concurrency?: number;
  readonly logger?: LoggerLike;
}

/**
 * Polls scheduled with pg-boss on the relay's database: one job per user per poll, in a `short`
 * queue keyed by the user (at most one waiting per user), so any number of relay processes share
 * the users; the poll's own lease in `poll_state` keeps two polls of one user from overlapping,
 * also when a killed relay left a job marked active. Each poll schedules its successor with
 * `startAfter`.
 *
 * @example
 * const queue = new PollQueue({ database, schema: 'dexcom_relay_queue', poll: (userKey) => pollOnce(userKey) });
 * await queue.start();
 * await queue.schedule('patient-42', new Date());
 */
export class PollQueue {
  readonly #o: PollQueueOptions;
  readonly #boss: PgBoss;
  #started = false;

  constructor(options: PollQueueOptions) {
    this.#o = options;
    this.#boss = new PgBoss({
      db: pgBossDatabase(options.database) as PgBoss.Db,
      schema: options.schema,
      schedule: false,
    } as PgBoss.ConstructorOptions);
    // pg-boss reports its own failures (a lost race on a stately key, a dropped connection) as events.
    this.#boss.on('error', (error: Error) => options.logger?.warn({ event: 'relay.queue.error', error: error?.name }, 'poll queue error'));
  }

  /** Creates the queue if needed and starts working it. */
  async start(): Promise<void> {
    if (this.#started) return;
    await this.#boss.start();
    await this.#boss.createQueue(POLL_QUEUE, { name: POLL_QUEUE, policy: 'short', retryLimit: 0, expireInSeconds: 15 * 60 });
    for (let i = 0; i < (this.#o.concurrency ?? 4); i++) {
      await this.#boss.work<{ userKey: string }>(POLL_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
        if (!job) return;
        const next = await this.#o.poll(job.data.userKey);
        if (next) await this.schedule(job.data.userKey, next);
      });
    }
    this.#started = true;
  }

  /** Queues a poll of `userKey` at `at`; a poll already queued for the user wins. */
  async schedule(userKey: string, at: Date): Promise<void> {
    try {
      await this.#boss.send(POLL_QUEUE, { userKey }, { singletonKey: userKey, startAfter: at, retryLimit: 0 });
    } catch (error) {
      // A short queue refuses a second waiting job for the key: one is already waiting.
      if (!/duplicate key|unique/i.test(String((error as Error)?.message))) throw error;
    }
  }

  /** Stops working; polls in flight finish first. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.#boss.stop({ graceful: true, close: false, wait: true, timeout: 30_000 });
  }
}
