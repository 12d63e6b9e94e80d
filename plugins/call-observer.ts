import {
  DexcomAbortError,
  type DexcomError,
  DexcomNetworkError,
  isDexcomError,
} from '../src/core/errors.js';
import { errorFromResponse } from '../src/core/http-errors.js';
import type { CallContext, Middleware } from '../src/core/middleware.js';

/**
 * The outermost layer: sees each logical call once. It turns a final non-2xx response (status 400
 * and above; a 3xx is passed on, since redirects are never followed) into a typed
 * {@link DexcomError}, makes sure anything else thrown below is a DexcomError too, and emits
 * `call-end` with the outcome and duration.
 *
 * @example
 * const layers = [callObserver(), retry, wireObserver()];
 */
export function callObserver(): Middleware {
  return (next) => async (request, context) => {
    const started = performance.now();
    let status: number | undefined;
    try {
      const response = await next(request, context);
      status = response.status;
      if (response.status >= 400) throw await errorFromResponse(response, context);
      emitCallEnd(context, started, status);
      return response;
    } catch (error) {
      const typed = toDexcomError(error, context);
      emitCallEnd(context, started, typed.status ?? status, typed);
      throw typed;
    }
  };
}

function emitCallEnd(context: CallContext, started: number, status?: number, error?: DexcomError): void {
  const { invocationId, operationId, method, pathTemplate, events } = context;
  events.emit('call-end', {
    invocationId,
    operationId,
    method,
    pathTemplate,
    attempts: context.attempts.length,
    durationMs: performance.now() - started,
    ...(status === undefined ? {} : { status }),
    ...(error === undefined ? {} : { error: error.name, errorCode: error.code, errorMessage: error.message }),
  });
}

/** Whatever escaped the pipeline, the caller gets a DexcomError with the call's attempts. */
function toDexcomError(error: unknown, context: CallContext): DexcomError {
  if (isDexcomError(error)) return error;
  const details = { cause: error, attempts: context.attempts, operationId: context.operationId, invocationId: context.invocationId };
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  if (name === 'AbortError' || context.signal?.aborted) {
    return new DexcomAbortError(`${context.method} ${context.pathTemplate} was aborted by the caller`, details);
  }
  return new DexcomNetworkError(`${context.method} ${context.pathTemplate} failed: ${String((error as Error)?.message ?? error)}`, details);
}
