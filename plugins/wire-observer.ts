import { isDexcomError } from '../src/core/errors.js';
import type { Middleware } from '../src/core/middleware.js';

/**
 * Records every wire attempt in `context.attempts` (status or error, duration) and emits the
 * `attempt` and `attempt-end` events that logging and metrics subscribe to. Sits just above the
 * transport, so it sees each attempt exactly once, retries included, and the request as sent (token
 * included): it leaves that on `context.sentRequest` for the call observer's scrub.
 *
 * @example
 * const layers = [retry, wireObserver()]; // one record per attempt in context.attempts
 */
export function wireObserver(): Middleware {
  return (next) => async (request, context) => {
    const { invocationId, operationId, method, pathTemplate, attempt, events } = context;
    // Kept (a reference, no copy) so the call observer can scrub the token this attempt carried
    // out of an error the server echoed it into.
    context.sentRequest = request;
    events.emit('attempt', { invocationId, operationId, method, pathTemplate, attempt });
    const started = performance.now();
    try {
      const response = await next(request, context);
      const durationMs = performance.now() - started;
      context.attempts.push({ attempt, status: response.status, durationMs });
      events.emit('attempt-end', { invocationId, operationId, method, pathTemplate, attempt, status: response.status, durationMs, request, response });
      return response;
    } catch (error) {
      const durationMs = performance.now() - started;
      const name = errorName(error);
      context.attempts.push({ attempt, error: name, durationMs });
      events.emit('attempt-end', { invocationId, operationId, method, pathTemplate, attempt, error: name, durationMs, request });
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
