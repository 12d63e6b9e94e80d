import type { LoggerLike } from '../../../plugins/logging.js';
import type { RelayMetrics } from '../metrics/relay-metrics.js';
import type { PollQueue } from '../queue/poll-queue.js';
import { quotaStretch, type PollPlannerSettings } from './poll-planner.js';
import type { PollStateStore } from './poll-state.js';

/** How often the scheduler re-reads the fleet's demand and restarts broken poll chains: 30 s. */
export const SCHEDULER_TICK_MS = 30_000;

/** Options of {@link PollScheduler}. */
export interface PollSchedulerOptions {
  readonly queue: PollQueue;
  readonly state: PollStateStore;
  readonly settings: PollPlannerSettings;
  readonly metrics: RelayMetrics;
  readonly logger?: LoggerLike;
  readonly now: () => Date;
  /** Default {@link SCHEDULER_TICK_MS}. */
  readonly tickMs?: number;
}

/**
 * Keeps polling on schedule and inside the quota: every tick it measures the fleet's demand
 * (Σ cost / desired interval over active users, from the database, so every process sees the same
 * fleet), sets the quota stretch every poll uses for its next delay, and queues a poll for each
 * active user whose chain of jobs is overdue or never started.
 *
 * @example
 * const scheduler = new PollScheduler({ queue, state, settings, metrics, now: () => new Date() });
 * await scheduler.start();
 * await scheduler.connected('patient-42'); // first poll now
 */
export class PollScheduler {
  readonly #o: PollSchedulerOptions;
  #stretch = 1;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;

  constructor(options: PollSchedulerOptions) {
    this.#o = options;
  }

  /** The stretch the next poll delays use (1 while the fleet fits in the quota). */
  stretch(): number {
    return this.#stretch;
  }

  /** Runs one tick now, then every `tickMs`. */
  async start(): Promise<void> {
    await this.tick();
    this.#timer = setInterval(() => {
      this.#tick ??= this.tick()
        .catch((error: unknown) => this.#o.logger?.warn({ event: 'relay.scheduler.tick_failed', error: (error as Error)?.name }, 'scheduler tick failed'))
        .finally(() => (this.#tick = undefined));
    }, this.#o.tickMs ?? SCHEDULER_TICK_MS);
    this.#timer.unref();
  }

  /** Measures demand, updates the stretch and restarts overdue users. */
  async tick(): Promise<void> {
    const demand = await this.#o.state.demandPerHour();
    this.#stretch = quotaStretch(demand, this.#o.settings);
    this.#o.metrics.pollInterval.set((this.#o.settings.pollIntervalMs * this.#stretch) / 1000);
    const now = this.#o.now();
    // A chain is overdue once a whole interval passed its due time: the queue normally handles it.
    const overdueBefore = new Date(now.getTime() - this.#o.settings.pollIntervalMs);
    // At most 500 a tick: a fleet starting cold fills up over a few ticks instead of one burst.
    for (const userKey of await this.#o.state.overdueUsers(now, overdueBefore, 500)) await this.#o.queue.schedule(userKey, now);
  }

  /** A user just connected (or signed in again): poll now. */
  async connected(userKey: string): Promise<void> {
    await this.#o.queue.schedule(userKey, this.#o.now());
  }

  /**
   * A user is disconnecting: waits (up to `waitMs`, default 30 s) until no poll of theirs runs,
   * then forgets their poll state; a poll queued later finds the connection gone and ends the chain.
   */
  async disconnected(userKey: string, waitMs = 30_000): Promise<void> {
    const deadline = Date.now() + waitMs;
    while ((await this.#o.state.polling(userKey, this.#o.now())) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await this.#o.state.forget(userKey);
  }

  /** Stops ticking. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#tick;
  }
}
