import { DexcomInvalidResponseError, DexcomNetworkError } from '../src/errors.js';
import type { CallContext, FetchLike } from './middleware.js';

/** Options of {@link fetchTransport}. */
export interface TransportOptions {
  /** The fetch implementation that goes on the wire. Default: the global `fetch` (undici). */
  fetch?: typeof globalThis.fetch;
}

/** Socket errors that prove nothing was written to the server, so even a POST may be sent again. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The innermost layer: sends one attempt and returns a complete response or a typed error.
 *
 * - Redirects are never followed (`redirect: 'manual'`): the Dexcom API does not redirect data
 *   calls, and following one could carry the bearer token to another host.
 * - The body is read in full here, so a connection dropped mid-response fails this attempt with a
 *   {@link DexcomNetworkError} the retry layer can act on, and a 2xx whose body is not the JSON the
 *   API promises (truncated, an HTML error page) fails with a {@link DexcomInvalidResponseError}.
 * - When the request's signal fired, the signal's reason is thrown: the layer that aborted (a
 *   timeout, the caller) put there the error that says why.
 *
 * @example
 * const send = fetchTransport(); // global fetch
 * const response = await send(new Request('http://127.0.0.1:4010/v3/users/self/devices'), context);
 */
export function fetchTransport(options: TransportOptions = {}): FetchLike {
  const send = options.fetch ?? globalThis.fetch;
  return async (request, context) => {
    let response: Response;
    try {
      response = await send(request, { redirect: 'manual' });
    } catch (error) {
      throw request.signal.aborted ? abortReason(request, error) : networkError(error, context, 'sending the request');
    }
    let body: ArrayBuffer;
    try {
      body = await response.arrayBuffer();
    } catch (error) {
      throw request.signal.aborted ? abortReason(request, error) : networkError(error, context, 'reading the response body', true);
    }
    if (response.status >= 200 && response.status < 300 && body.byteLength > 0) {
      assertJsonBody(response, body, context);
    }
    const empty = response.status === 204 || response.status === 304 || body.byteLength === 0;
    return new Response(empty ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

function assertJsonBody(response: Response, body: ArrayBuffer, context: CallContext): void {
  const contentType = response.headers.get('content-type') ?? '';
  let problem: string | undefined;
  if (!/\bjson\b/i.test(contentType)) {
    problem = `content-type ${contentType.split(';')[0] || '(none)'} instead of JSON`;
  } else {
    try {
      JSON.parse(new TextDecoder().decode(body));
    } catch {
      problem = 'a body that is not valid JSON (truncated or malformed)';
    }
  }
  if (problem) {
    throw new DexcomInvalidResponseError(
      `${context.method} ${context.pathTemplate} returned HTTP ${response.status} with ${problem}`,
      { status: response.status, attempts: context.attempts, operationId: context.operationId, invocationId: context.invocationId },
    );
  }
}

function networkError(error: unknown, context: CallContext, stage: string, afterResponse = false): DexcomNetworkError {
  const code = errorCode(error);
  const requestSent = afterResponse || code === undefined || !NOT_SENT_CODES.has(code);
  return new DexcomNetworkError(
    `${context.method} ${context.pathTemplate} failed while ${stage}${code ? ` (${code})` : ''}`,
    { cause: error, requestSent, attempts: context.attempts, operationId: context.operationId, invocationId: context.invocationId },
  );
}

/** undici puts the socket error code on `cause` (sometimes nested one level deeper). */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function abortReason(request: Request, error: unknown): unknown {
  return request.signal.reason ?? error;
}
