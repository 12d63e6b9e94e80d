import { isDexcomError } from '../src/core/errors.js';
import type { AttemptDetail } from '../src/core/events.js';
import type { Middleware } from '../src/core/middleware.js';

/** Options of {@link wireObserver}. */
export interface WireObserverOptions {
  /**
   * Builds the redacted {@link AttemptDetail} for the debug log: called with the request before it
   * is sent (a body is one-shot), the function it returns with the response once it arrived.
   * Default none: `attempt-end` then carries no `detail`.
   */
  describe?: (request: Request) => (response: Response | undefined) => Promise<AttemptDetail>;
}

/** Name of the {@link wireObserver} layer in the pipeline (see `src/client-pipeline.ts`). */
export const WIRE_OBSERVER_LAYER = 'wire-observer';

/**
 * Records every wire attempt in `context.attempts` (status or error, duration) and emits the
 * `attempt` and `attempt-end` events that logging and metrics subscribe to. Sits just above the
 * transport, so it sees each attempt exactly once, retries included, and the request as sent (token
 * included): it leaves that on `context.sentRequest` for the call observer's scrub. The events
 * carry facts (status, duration, limiter wait, redacted detail), never the `Request` or the `Response`.
 *
 * @example
 * const layers = [retry, wireObserver()]; // one record per attempt in context.attempts
 */
export function wireObserver(options: WireObserverOptions = {}): Middleware {
  const { describe } = options;
  return (next) => async (request, context) => {
    const { invocationId, operationId, method, pathTemplate, attempt, events } = context;
    // Kept (a reference, no copy) so the call observer can scrub the token this attempt carried
    // out of an error the server echoed it into.
    context.sentRequest = request;
    const limiterWaitMs = context.attemptLimiterWaitMs;
    events.emit('attempt', { invocationId, operationId, method, pathTemplate, attempt, limiterWaitMs });
    const finish = describe?.(request);
    const started = performance.now();
    try {
      const response = await next(request, context);
      const durationMs = performance.now() - started;
      context.attempts.push({ attempt, status: response.status, durationMs });
      const detail = finish && (await finish(response));
      events.emit('attempt-end', { invocationId, operationId, method, pathTemplate, attempt, status: response.status, durationMs, limiterWaitMs, detail });
      return response;
    } catch (error) {
      const durationMs = performance.now() - started;
      const name = errorName(error);
      context.attempts.push({ attempt, error: name, durationMs });
      const detail = finish && (await finish(undefined));
      events.emit('attempt-end', { invocationId, operationId, method, pathTemplate, attempt, error: name, durationMs, limiterWaitMs, detail });
      throw error;
    }
  };
}

function errorName(error: unknown): string {
  if (isDexcomError(error)) return error.name;
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'name' in error)) {
    return String((error as { name: unknown }).name);
  }
  return 'Error';
}
