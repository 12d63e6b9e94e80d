/**
 * openapi-fetch has no retry of its own. To compare it with equivalent features, this is the
 * simplest honest retry a user would wrap around its `fetch` option: 3 attempts for GET/HEAD on
 * 408/429/5xx or a network error, exponential backoff, one clone of the request per attempt.
 */

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** Options of {@link retryingFetch}. */
export interface RetryingFetchOptions {
  /** Attempts per request, the first included. Default 3. */
  readonly maxAttempts?: number;
  /** Delay before the first retry, in ms; doubles per retry. Default 500. */
  readonly initialDelayMs?: number;
}

/**
 * A `fetch(request)` that sends a GET or HEAD again after a retryable status or a network error.
 *
 * @example
 * const client = createClient<Paths>({ baseUrl, fetch: retryingFetch() });
 */
export function retryingFetch(options: RetryingFetchOptions = {}): (request: Request) => Promise<Response> {
  const maxAttempts = options.maxAttempts ?? 3;
  const initialDelayMs = options.initialDelayMs ?? 500;
  return async (request) => {
    const idempotent = request.method === 'GET' || request.method === 'HEAD';
    for (let attempt = 1; ; attempt += 1) {
      const last = !idempotent || attempt >= maxAttempts;
      try {
        const response = await fetch(last ? request : request.clone());
        if (last || !RETRY_STATUSES.has(response.status)) return response;
        await response.body?.cancel();
      } catch (error) {
        if (last || !(error instanceof TypeError)) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, initialDelayMs * 2 ** (attempt - 1)));
    }
  };
}
