/**
 * At most one running task per key: a second `run` with the same key while the first is running
 * gets the first one's promise instead of starting its own. One instance per client, so the state
 * lives and dies with it.
 *
 * @example
 * const refreshes = new SingleFlight<TokenRecord>();
 * const record = await refreshes.run(userKey, () => refreshTokens(userKey)); // concurrent callers share one request
 */
export class SingleFlight<T> {
  readonly #running = new Map<string, Promise<T>>();

  /** Joins the task running for `key`, or starts `work` as that task. */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.#running.get(key);
    if (running) return running;
    const task = (async () => {
      try {
        return await work();
      } finally {
        this.#running.delete(key);
      }
    })();
    this.#running.set(key, task);
    return task;
  }
}
