import {
  DexcomAbortError,
  type DexcomError,
  DexcomNetworkError,
  isDexcomError,
} from '../src/core/errors.js';
import { errorFromResponse } from '../src/core/http-errors.js';
import type { CallContext, Middleware } from '../src/core/middleware.js';
import { scrubError, sentValues } from '../src/core/sent-values.js';

/** Name of the {@link callObserver} layer in the pipeline (see `src/client-pipeline.ts`). */
export const CALL_OBSERVER_LAYER = 'call-observer';

/**
 * The outermost layer: sees each logical call once. It turns a final response that is not 2xx (a
 * 3xx included: redirects are never followed, so one is a failure) into a typed
 * {@link DexcomError}, makes sure anything else thrown below is a DexcomError too, scrubs every
 * value the call sent (token, query values, form fields) out of that error, and emits `call-end`
 * with the outcome and duration.
 *
 * @example
 * const layers = [callObserver(), retry, wireObserver()];
 */
export function callObserver(): Middleware {
  return (next) => async (request, context) => {
    const started = performance.now();
    // A body goes on the wire once; only the token request has one, and it is the request whose
    // answer most often echoes what it was sent, so a copy is kept to scrub its error.
    const sentBody = request.body === null ? undefined : request.clone();
    let status: number | undefined;
    try {
      const response = await next(request, context);
      status = response.status;
      if (status >= 300 || status < 200) throw await errorFromResponse(response, context);
      emitCallEnd(context, started, status);
      return response;
    } catch (error) {
      const typed = scrubError(toDexcomError(error, context), await sentValuesOf(request, context, sentBody));
      emitCallEnd(context, started, typed.status ?? status, typed);
      throw typed;
    }
  };
}

/** What the call sent: the last attempt's headers (the token is set per attempt), the URL, the body. */
async function sentValuesOf(request: Request, context: CallContext, sentBody: Request | undefined): Promise<string[]> {
  let bodyText: string | undefined;
  try {
    bodyText = await sentBody?.text();
  } catch {
    bodyText = undefined;
  }
  const sent = context.sentRequest;
  return sentValues({ headers: sent?.headers ?? request.headers, url: request.url }, bodyText);
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
    limiterWaitMs: context.limiterWaitMs,
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
