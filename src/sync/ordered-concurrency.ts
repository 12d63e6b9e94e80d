import { DexcomAbortError } from '../core/errors.js';

/**
 * Runs `task` over `items` with at most `concurrency` tasks in flight and yields the results in
 * the order of `items`, whatever order they finish in.
 *
 * Bounds: tasks in flight plus results waiting for the consumer never exceed `concurrency`; a new
 * task starts only when the consumer takes the oldest result, so a slow consumer stops the
 * fetching (backpressure) and memory holds at most `concurrency` results plus the one being
 * consumed. Items are pulled lazily from `items`.
 *
 * Each task gets a signal that fires when the caller's `signal` does or when the consumer stops
 * early (`break`, an error): work still in flight is cancelled and its outcome ignored. A failed
 * task fails the iteration when its turn comes, so results before it are still delivered.
 *
 * Why not `p-map`'s `pMapIterable` (ordered, concurrent, with backpressure): it is not a dependency
 * of this package, and it gives a mapper no signal, so a consumer that stops early or aborts would
 * leave up to `concurrency` requests running against the user's quota; here they are cancelled.
 *
 * @example
 * for await (const page of mapInOrder(windows, 4, (w, signal) => fetchWindow(w, signal), signal)) use(page);
 */
export async function* mapInOrder<I, O>(
  items: Iterable<I>,
  concurrency: number,
  task: (item: I, signal: AbortSignal) => Promise<O>,
  signal?: AbortSignal,
): AsyncGenerator<O, void, undefined> {
  const stop = new AbortController();
  const taskSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const source = items[Symbol.iterator]();
  const pending: Array<Promise<O>> = [];
  const fill = (): void => {
    while (pending.length < concurrency && !taskSignal.aborted) {
      const next = source.next();
      if (next.done) return;
      const running = Promise.resolve().then(() => task(next.value, taskSignal));
      // Marks the rejection handled now; it is re-thrown when this result's turn comes.
      running.catch(() => undefined);
      pending.push(running);
    }
  };
  try {
    throwIfAborted(signal);
    fill();
    while (pending.length > 0) {
      const result = await pending.shift()!;
      throwIfAborted(signal);
      fill();
      yield result;
      throwIfAborted(signal);
    }
  } finally {
    stop.abort();
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DexcomAbortError('The read was aborted by the caller', { cause: signal.reason });
}
