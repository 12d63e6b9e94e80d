/**
 * A server-side quota over a sliding window: a request is admitted when fewer than `limit`
 * requests were admitted in the `windowMs` before it (arrival times, half-open window
 * `(now - windowMs, now]`), else it is answered 429. This is the strictest reading of
 * "R requests per second": no window of one second, wherever it starts, holds more than R.
 */
export class SlidingWindowQuota {
  readonly #limit: number;
  readonly #windowMs: number;
  /** Arrival times (ms, `performance.now()`) of admitted requests still inside the window. */
  #recent: number[] = [];
  /** Every admitted arrival time since the last reset, for the report. */
  #admitted: number[] = [];
  #rejected = 0;

  /**
   * @param limit most requests admitted in any window
   * @param windowMs length of the window, in ms
   *
   * @example
   * const quota = new SlidingWindowQuota(50, 1_000);
   */
  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /**
   * Admits or rejects a request arriving at `now`; a rejection says how many ms until a slot frees.
   *
   * @example
   * const verdict = quota.admit(performance.now());
   * if (!verdict.admitted) res.writeHead(429, { 'retry-after': String(Math.ceil(verdict.retryAfterMs / 1000)) });
   */
  admit(now: number): { admitted: true } | { admitted: false; retryAfterMs: number } {
    let drop = 0;
    while (drop < this.#recent.length && this.#recent[drop]! <= now - this.#windowMs) drop++;
    if (drop > 0) this.#recent = this.#recent.slice(drop);
    if (this.#recent.length >= this.#limit) {
      this.#rejected++;
      return { admitted: false, retryAfterMs: this.#recent[0]! + this.#windowMs - now };
    }
    this.#recent.push(now);
    this.#admitted.push(now);
    return { admitted: true };
  }

  /**
   * What the quota saw since the last reset.
   *
   * @example
   * const { admitted, rejected } = quota.stats();
   */
  stats(): { admitted: number[]; rejected: number } {
    return { admitted: [...this.#admitted], rejected: this.#rejected };
  }

  /** Forgets everything (between scenarios). */
  reset(): void {
    this.#recent = [];
    this.#admitted = [];
    this.#rejected = 0;
  }
}
