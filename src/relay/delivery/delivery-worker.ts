import type { LoggerLike } from '../../../plugins/logging.js';
import type { Database } from '../../stores/postgres/database.js';
import type { RelayMetrics } from '../metrics/relay-metrics.js';
import { type ClaimedDelivery, DeliveryStore, type DeliveryResolution } from './delivery-store.js';
import { nextRetryDelayMs } from './retry-schedule.js';
import { type AttemptOutcome, sendAttempt, type SendAttemptOptions } from './send-attempt.js';
import type { AddressResolver } from './ssrf-guard.js';

/** A subscription failing without a single success for this long is disabled: 5 days, as Svix. */
export const FAILING_DISABLE_AFTER_MS = 5 * 86_400_000;

/** Something the engine did that an operator should hear about. */
export type RelayEngineEvent =
  | { readonly type: 'subscription.disabled'; readonly subscriptionId: string; readonly reason: 'gone' | 'failing' }
  | { readonly type: 'delivery.dead'; readonly subscriptionId: string; readonly eventId: string; readonly error: string | null };

/** Options of {@link DeliveryWorker}. */
export interface DeliveryWorkerOptions {
  readonly database: Database;
  /** Quoted schema. */
  readonly schema: string;
  readonly metrics: RelayMetrics;
  readonly logger?: LoggerLike;
  /** Wall clock (scheduling, `webhook-timestamp`). Default `() => new Date()`. */
  readonly now?: () => Date;
  /** Jitter source. Default `Math.random`. */
  readonly random?: () => number;
  readonly allowPrivateTargets?: boolean;
  /** DNS for the SSRF guard (tests inject one). Default system DNS. */
  readonly resolve?: AddressResolver;
  /** Attempt timeout. Default 15 s. */
  readonly timeoutMs?: number;
  /** Attempts in flight at once per process. Default 8. */
  readonly concurrency?: number;
  /** Idle wait between two looks at the queue when nothing woke the worker, in ms. Default 1,000. */
  readonly idleMs?: number;
  readonly onEvent?: (event: RelayEngineEvent) => void;
}

/**
 * Sends due deliveries: claims the head of each stream, makes one signed attempt through the SSRF
 * guard, records it, and schedules the next on the Standard Webhooks schedule (with jitter and
 * `Retry-After`), dead-letters after the last, disables a subscription on 410 or after five days
 * of failure. Any number of processes may run one on the same database.
 *
 * @example
 * const worker = new DeliveryWorker({ database, schema: '"dexcom_relay"', metrics });
 * worker.start(); // ... later
 * await worker.stop();
 */
export class DeliveryWorker {
  readonly store: DeliveryStore;
  readonly #o: DeliveryWorkerOptions;
  readonly #now: () => Date;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #woken = false;

  constructor(options: DeliveryWorkerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.store = new DeliveryStore(options.database, options.schema);
  }

  /**
   * Sends every delivery due now, until none is left (a stream's next event becomes due once its
   * head is delivered, so this loops). Resolves how many attempts were made.
   */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.store.claimDue(this.#now(), this.#o.concurrency ?? 8);
      if (claimed.length === 0) break;
      await Promise.all(claimed.map((claim) => this.#attempt(claim)));
      total += claimed.length;
    }
    await this.#updateBacklog();
    return total;
  }

  /** Starts draining in the background: on {@link wake} and every `idleMs`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Makes a started worker look at the queue now (new events were written). */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Stops after the attempts in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      try {
        await this.drain();
      } catch (error) {
        this.#o.logger?.error({ event: 'relay.delivery.drain_failed', error: (error as Error)?.name ?? 'Error' }, 'delivery drain failed');
      }
      if (!this.#running || this.#woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#o.idleMs ?? 1_000);
        this.#wake = () => (clearTimeout(timer), resolve());
      });
      this.#wake = undefined;
    }
  }

  async #attempt(claim: ClaimedDelivery): Promise<void> {
    const { metrics, logger } = this.#o;
    const attemptedAt = this.#now();
    const sendOptions: SendAttemptOptions = {
      ...(this.#o.allowPrivateTargets !== undefined ? { allowPrivateTargets: this.#o.allowPrivateTargets } : {}),
      ...(this.#o.resolve ? { resolve: this.#o.resolve } : {}),
      ...(this.#o.timeoutMs !== undefined ? { timeoutMs: this.#o.timeoutMs } : {}),
    };
    const outcome = await sendAttempt({ url: claim.url, eventId: claim.eventId, body: claim.body, secrets: claim.secrets, now: attemptedAt }, sendOptions);
    metrics.attemptDuration.observe(outcome.latencyMs / 1000);
    const resolution = this.#resolution(claim, outcome, attemptedAt);
    await this.store.resolve(claim, { attemptedAt, status: outcome.status, latencyMs: outcome.latencyMs, error: outcome.error }, resolution);
    const outcomeLabel = resolution.state === 'delivered' ? 'delivered' : outcome.refused ? 'refused' : outcome.status === 410 ? 'gone' : resolution.state === 'dead' ? 'dead' : 'retry';
    metrics.deliveries.inc({ outcome: outcomeLabel });
    // Ids and codes only: never the URL, body, records or secrets.
    const fields = { event: 'relay.delivery', outcome: outcomeLabel, subscriptionId: claim.subscriptionId, eventId: claim.eventId, attempt: claim.attempts + 1, status: outcome.status, error: outcome.error, latencyMs: outcome.latencyMs };
    if (resolution.state === 'delivered') {
      metrics.deliveryLatency.observe(Math.max(0, attemptedAt.getTime() + outcome.latencyMs - claim.foundAt.getTime()) / 1000);
      logger?.debug(fields, 'webhook delivered');
      return;
    }
    logger?.warn(fields, resolution.state === 'dead' ? 'webhook dead-lettered' : 'webhook attempt failed');
    if (resolution.state === 'dead') this.#o.onEvent?.({ type: 'delivery.dead', subscriptionId: claim.subscriptionId, eventId: claim.eventId, error: outcome.error });
    if (outcome.status === 410) await this.#disable(claim.subscriptionId, 'gone', attemptedAt);
    else if (claim.failingSince && attemptedAt.getTime() - claim.failingSince.getTime() >= FAILING_DISABLE_AFTER_MS) {
      await this.#disable(claim.subscriptionId, 'failing', attemptedAt);
    }
  }

  #resolution(claim: ClaimedDelivery, outcome: AttemptOutcome, at: Date): DeliveryResolution {
    if (outcome.ok) return { state: 'delivered' };
    // A refused target is never retried (the URL resolves somewhere it must not go); 410 means gone.
    if (outcome.refused || outcome.status === 410) return { state: 'dead' };
    const delay = nextRetryDelayMs(claim.attempts + 1, outcome.retryAfterMs, this.#o.random);
    return delay === undefined ? { state: 'dead' } : { state: 'pending', nextAttemptAt: new Date(at.getTime() + delay) };
  }

  async #disable(subscriptionId: string, reason: 'gone' | 'failing', now: Date): Promise<void> {
    if (!(await this.store.disableSubscription(subscriptionId, reason, now))) return;
    this.#o.metrics.subscriptionsDisabled.inc({ reason });
    this.#o.logger?.warn({ event: 'relay.subscription.disabled', subscriptionId, reason }, 'subscription disabled');
    this.#o.onEvent?.({ type: 'subscription.disabled', subscriptionId, reason });
  }

  async #updateBacklog(): Promise<void> {
    const { pending, oldestAgeMs } = await this.store.backlog(this.#now());
    this.#o.metrics.queueDepth.set(pending);
    this.#o.metrics.oldestUndeliveredAge.set(oldestAgeMs / 1000);
  }
}
