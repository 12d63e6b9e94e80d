import { decorrelatedJitterGenerator, ExponentialBackoff, type IBackoff } from 'cockatiel';
import { DexcomNetworkError, DexcomRateLimitError, DexcomServerError, DexcomTimeoutError } from '../core/errors.js';
import type { OAuthRefreshRetryOptions } from './oauth-options.js';

/**
 * Runs one refresh (`attempt` sends one token request) up to `maxAttempts` times, waiting with
 * exponential backoff and decorrelated jitter between tries, as long as the failure says the server
 * did not process the grant: a 5xx, a network error, a timeout or a 429 (Dexcom had refresh calls
 * fail during its nightly backups). Everything else, `invalid_grant` above all, ends at once. A 429
 * whose `Retry-After` is longer than `maxDelayMs` also ends at once.
 *
 * This is a new token request each time, not a re-send by the pipeline: the pipeline itself never
 * sends the token POST again once it may have reached the server. If a server did rotate the token
 * before failing, the next try gets `invalid_grant`, which the caller handles as a rotation race.
 *
 * @example
 * const tokens = await retryRefresh(() => refreshAccessToken(api, options), { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 10_000 });
 */
export async function retryRefresh<T>(attempt: () => Promise<T>, options: Readonly<Required<OAuthRefreshRetryOptions>>): Promise<T> {
  let backoff: IBackoff<unknown> = new ExponentialBackoff({
    initialDelay: options.initialDelayMs,
    maxDelay: options.maxDelayMs,
    generator: decorrelatedJitterGenerator,
  }).next();
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= options.maxAttempts || !isTransient(error)) throw error;
      const askedMs = error instanceof DexcomRateLimitError ? (error.retryAfterMs ?? 0) : 0;
      if (askedMs > options.maxDelayMs) throw error;
      const delayMs = Math.max(Math.ceil(backoff.duration), askedMs);
      backoff = backoff.next(undefined);
      await new Promise<void>((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

function isTransient(error: unknown): boolean {
  return (
    error instanceof DexcomServerError ||
    error instanceof DexcomNetworkError ||
    error instanceof DexcomTimeoutError ||
    error instanceof DexcomRateLimitError
  );
}
