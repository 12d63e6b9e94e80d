/**
 * The rate limiter's waiting room: a bounded FIFO of requests waiting for a token, local to one
 * limiter. It knows nothing of buckets or stores; it admits, orders, announces and releases.
 */
import { DexcomQueueFullError } from '../src/core/errors.js';
import type { PipelineEvents } from '../src/core/events.js';
import type { CallContext } from '../src/core/middleware.js';
import { abortErrorOf } from './abort.js';

/** One request waiting for a token. */
export interface Waiter {
  readonly context: CallContext;
  readonly signal: AbortSignal;
}

interface Entry extends Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly onAbort: () => void;
  announced: boolean;
}

/**
 * A bounded FIFO queue of waiters. A waiter leaves it when granted, rejected, or as soon as its
 * call's signal fires (with the matching typed error); one more than `maxQueue` is refused at
 * once with `DexcomQueueFullError`. Emits `queued` once per waiter that really waits.
 *
 * @example
 * const queue = new RateLimitQueue(1_000, events, () => void pump());
 * await queue.enter(context, signal); // resolves when the pump calls queue.grantHead()
 */
export class RateLimitQueue {
  readonly #entries: Entry[] = [];
  readonly #maxQueue: number;
  readonly #events: PipelineEvents;
  readonly #onEnter: () => void;
  readonly #onLeave: () => void;

  /**
   * @param maxQueue most waiters; one more is refused
   * @param events the client's bus, for `queued`
   * @param onEnter called after a waiter joins (the pump starts here); it may grant that waiter
   *   synchronously, in which case the waiter is never counted or announced
   * @param onLeave called after any waiter left (granted, rejected or aborted)
   */
  constructor(maxQueue: number, events: PipelineEvents, onEnter: () => void, onLeave: () => void = () => {}) {
    this.#maxQueue = maxQueue;
    this.#events = events;
    this.#onEnter = onEnter;
    this.#onLeave = onLeave;
  }

  /** Waiters in the queue. */
  get length(): number {
    return this.#entries.length;
  }

  /** The waiter next in line, if any. */
  get head(): Waiter | undefined {
    return this.#entries[0];
  }

  /** The waiter at `index` (0: the head), if any. */
  at(index: number): Waiter | undefined {
    return this.#entries[index];
  }

  /** Joins the queue; resolves when granted a token, rejects on abort, overflow or {@link reject}. */
  enter(context: CallContext, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(abortErrorOf(signal, context));
    return new Promise<void>((resolve, reject) => {
      const entry: Entry = {
        context,
        signal,
        resolve,
        reject,
        announced: false,
        onAbort: () => {
          if (this.#remove(entry)) reject(abortErrorOf(signal, context));
        },
      };
      signal.addEventListener('abort', entry.onAbort, { once: true });
      this.#entries.push(entry);
      this.#onEnter();
      if (!this.#entries.includes(entry)) return;
      if (this.#entries.length > this.#maxQueue) {
        this.#remove(entry);
        reject(queueFullError(context, this.#maxQueue));
        return;
      }
      if (this.#entries.length > 1) this.#announce(entry);
    });
  }

  /** Hands a token to the head of the queue. */
  grantHead(): void {
    const head = this.#entries[0];
    if (head && this.#remove(head)) head.resolve();
  }

  /** Announces a waiter as waiting (`queued`, once per waiter). */
  announce(waiter: Waiter): void {
    if (this.#entries.includes(waiter as Entry)) this.#announce(waiter as Entry);
  }

  /** Fails one waiter (if still queued) with `error`. */
  reject(waiter: Waiter, error: unknown): void {
    const entry = waiter as Entry;
    if (this.#remove(entry)) entry.reject(error);
  }

  /** Fails every waiter for which `matches` is true; `errorFor` builds each one's error. */
  rejectWhere(matches: (waiter: Waiter) => boolean, errorFor: (waiter: Waiter) => unknown): void {
    for (const entry of [...this.#entries]) if (matches(entry)) this.reject(entry, errorFor(entry));
  }

  #remove(entry: Entry): boolean {
    const index = this.#entries.indexOf(entry);
    if (index < 0) return false;
    this.#entries.splice(index, 1);
    entry.signal.removeEventListener('abort', entry.onAbort);
    this.#onLeave();
    return true;
  }

  #announce(entry: Entry): void {
    if (entry.announced) return;
    entry.announced = true;
    const { invocationId, operationId } = entry.context;
    this.#events.emit('queued', { invocationId, operationId, queueDepth: this.#entries.length });
  }
}

function queueFullError(context: CallContext, maxQueue: number): DexcomQueueFullError {
  return new DexcomQueueFullError(
    `${context.method} ${context.pathTemplate} was not sent: ${maxQueue} requests already wait for a rate-limit token`,
    { maxQueue, attempts: context.attempts, operationId: context.operationId, invocationId: context.invocationId },
  );
}
