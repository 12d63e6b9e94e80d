import { constants } from 'node:buffer';
import { DexcomInvalidResponseError, DexcomNetworkError, DexcomRedirectError } from '../src/core/errors.js';
import type { CallContext, FetchLike } from '../src/core/middleware.js';
import { ParsedJsonResponse } from './parsed-json-response.js';

/** Options of {@link fetchTransport}. */
export interface TransportOptions {
  /** The fetch implementation that goes on the wire. Default: the global `fetch` (undici). */
  fetch?: typeof globalThis.fetch;
  /**
   * Largest body read, in bytes; a longer one fails the attempt with a non-retryable
   * {@link DexcomInvalidResponseError}. Default and maximum: the longest string the runtime can
   * hold (`buffer.constants.MAX_STRING_LENGTH`, 512 MB on 64-bit V8), since the body must become
   * one to be parsed.
   */
  maxBodyBytes?: number;
}

/** Decoding without `stream` keeps no state between calls, so one decoder serves every response. */
const TEXT_DECODER = new TextDecoder();

/** Socket errors that prove nothing was written to the server, so even a POST may be sent again. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Name of the {@link fetchTransport} layer, the innermost of the pipeline (see `src/client-pipeline.ts`). */
export const TRANSPORT_LAYER = 'transport';

/** Bodies past this length cannot be decoded into a string, so they cannot be read at all. */
const MAX_BODY_BYTES = constants.MAX_STRING_LENGTH;

/** Thrown by `readBody` when a body passes the limit; turned into the attempt's error by the transport. */
class BodyTooLarge {
  constructor(readonly limit: number) {}
}

/**
 * The innermost layer: sends one attempt and returns a complete response or a typed error.
 *
 * - Redirects are never followed (`redirect: 'manual'`; undici then returns the real 3xx, not an
 *   opaque-redirect): the Dexcom API does not redirect its calls, and following one could carry the
 *   bearer token to another host. The call observer turns the 3xx into a `DexcomRedirectError`.
 * - The body is read in full here, so a connection dropped mid-response fails this attempt with a
 *   {@link DexcomNetworkError} the retry layer can act on, and a 2xx whose body is not the JSON the
 *   API promises (truncated, an HTML error page) fails with a {@link DexcomInvalidResponseError}.
 *   A body over `maxBodyBytes` (512 MB) fails with a non-retryable one, before it is read when
 *   `Content-Length` announces it.
 * - The wire request is aborted by the attempt's signal (`context.attemptSignal`, else
 *   `context.signal`, else the request's own); when it fired, its reason is thrown: the layer that
 *   aborted (a timeout, the caller) put there the error that says why.
 *
 * @example
 * const send = fetchTransport(); // global fetch
 * const response = await send(new Request('http://127.0.0.1:4010/v3/users/self/devices'), context);
 */
export function fetchTransport(options: TransportOptions = {}): FetchLike {
  const send = options.fetch ?? globalThis.fetch;
  const maxBodyBytes = Math.min(options.maxBodyBytes ?? MAX_BODY_BYTES, MAX_BODY_BYTES);
  return async (request, context) => {
    // The timeout layers publish their signals on the context rather than rebuilding the request;
    // fetch takes the signal from `init` instead of the request's own.
    const signal = context.attemptSignal ?? context.signal ?? request.signal;
    let response: Response;
    try {
      response = await send(request, { redirect: 'manual', signal });
    } catch (error) {
      throw signal.aborted ? abortReason(signal, error) : networkError(error, context, 'sending the request');
    }
    // A spec-following fetch (not undici) answers a manual redirect with an opaque status-0 response.
    if (response.status === 0) throw opaqueRedirect(context);
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = await readBody(response, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) throw tooLarge(response, context, error.limit);
      throw signal.aborted ? abortReason(signal, error) : networkError(error, context, 'reading the response body', true);
    }
    const init = { status: response.status, statusText: response.statusText, headers: response.headers };
    if (response.status >= 200 && response.status < 300 && body.byteLength > 0) {
      // The parse that proves the body whole is kept with it, so the client need not parse again;
      // the decoded text stays the body, turned into a stream only if something reads it.
      const text = jsonText(response, body, context);
      return new ParsedJsonResponse(text, init, parseJson(response, text, context));
    }
    const empty = response.status === 204 || response.status === 304 || body.byteLength === 0;
    return new Response(empty ? null : body, init);
  };
}

/**
 * Reads a body to the end as bytes. `arrayBuffer()` would copy the bytes it collected once more
 * (into a fresh ArrayBuffer); for a page of egvs that copy cost more than all the resilience
 * layers together.
 */
async function readBody(response: Response, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  if (response.body === null) return new Uint8Array(0);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limit) {
    void response.body.cancel().catch(() => {});
    throw new BodyTooLarge(limit);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      void reader.cancel().catch(() => {});
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
}

/** The body of a 2xx as text, once its content type says JSON. */
function jsonText(response: Response, body: Uint8Array, context: CallContext): string {
  const contentType = response.headers.get('content-type') ?? '';
  if (!/\bjson\b/i.test(contentType)) {
    throw invalidResponse(response, context, `content-type ${contentType.split(';')[0] || '(none)'} instead of JSON`);
  }
  return TEXT_DECODER.decode(body);
}

function parseJson(response: Response, text: string, context: CallContext): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalidResponse(response, context, 'a body that is not valid JSON (truncated or malformed)');
  }
}

function invalidResponse(response: Response, context: CallContext, problem: string): DexcomInvalidResponseError {
  return new DexcomInvalidResponseError(
    `${context.method} ${context.pathTemplate} returned HTTP ${response.status} with ${problem}`,
    { status: response.status, attempts: context.attempts, operationId: context.operationId, invocationId: context.invocationId },
  );
}

/** Nothing about the target is known: only that the server redirected. */
function opaqueRedirect(context: CallContext): DexcomRedirectError {
  return new DexcomRedirectError(`${context.method} ${context.pathTemplate} answered a redirect the SDK does not follow (opaque: no status or location)`, {
    attempts: context.attempts,
    operationId: context.operationId,
    invocationId: context.invocationId,
  });
}

/** Not transient: the same body would be as large again, and a retry would read it again. */
function tooLarge(response: Response, context: CallContext, limit: number): DexcomInvalidResponseError {
  return new DexcomInvalidResponseError(
    `${context.method} ${context.pathTemplate} returned HTTP ${response.status} with a body over ${limit} bytes, too large to read`,
    { status: response.status, retryable: false, attempts: context.attempts, operationId: context.operationId, invocationId: context.invocationId },
  );
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

function abortReason(signal: AbortSignal, error: unknown): unknown {
  return signal.reason ?? error;
}
