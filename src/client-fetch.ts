import { randomUUID } from 'node:crypto';
import type { TokenSource } from './core/token-source.js';
import type { PipelineEvents } from './core/events.js';
import type { CallContext, FetchLike } from './core/middleware.js';

/** What the pipeline needs to know about the spec's operations: method and path template. */
export interface OperationInfo {
  readonly method: string;
  readonly path: string;
}

/** Options of {@link createClientFetch}. */
export interface ClientFetchOptions {
  /** The client's base URL; its path (if any) is stripped before matching path templates. */
  readonly baseUrl: string;
  /** The spec's operations by operationId. */
  readonly operations: Readonly<Record<string, OperationInfo>>;
  /** The composed pipeline (see `createPipeline`). */
  readonly run: FetchLike;
  /** The client's event bus. */
  readonly events: PipelineEvents;
  /** Header from which a caller-supplied correlation id is taken. Default `x-correlation-id`. */
  readonly correlationHeader?: string;
  /** False when correlation headers are turned off: the caller's header is then not sent on. Default true. */
  readonly forwardCorrelationHeader?: boolean;
  /** The user's token source of a `forUser()` view, put on every call's context. Default: none (the client's `accessToken`). */
  readonly tokenSource?: TokenSource;
}

/**
 * Builds the `fetch` given to the generated client: it creates one {@link CallContext} per logical
 * call (operation, path template, invocation id) and runs the composed layers. Retry, breaker,
 * rate limit and timeouts live here rather than in interceptors because only a wrapped fetch sees
 * each attempt and can send a request again.
 *
 * @example
 * const fetch = createClientFetch({ baseUrl, operations: operationMetadata, run: pipeline.run, events });
 * createClient({ baseUrl, fetch });
 */
export function createClientFetch(options: ClientFetchOptions): (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> {
  const { events, run } = options;
  const correlationHeader = options.correlationHeader ?? 'x-correlation-id';
  const basePath = new URL(options.baseUrl).pathname.replace(/\/+$/, '');
  const byRoute = new Map<string, { operationId: string; path: string }>();
  for (const [operationId, info] of Object.entries(options.operations)) {
    byRoute.set(`${info.method} ${info.path}`, { operationId, path: info.path });
  }
  return (input, init) => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    const method = request.method.toUpperCase();
    const pathname = new URL(request.url).pathname;
    const relative = basePath && pathname.startsWith(basePath) ? pathname.slice(basePath.length) || '/' : pathname;
    const route = byRoute.get(`${method} ${relative}`);
    const callerId = request.headers.get(correlationHeader);
    if (callerId !== null && options.forwardCorrelationHeader === false) request.headers.delete(correlationHeader);
    const context: CallContext = {
      // A caller-supplied id is kept only when it is short and printable: it lands in logs and errors.
      invocationId: callerId && /^[\x21-\x7e]{1,128}$/.test(callerId) ? callerId : randomUUID(),
      // Unknown routes get a fixed label, never the raw path: labels must come from a bounded set.
      operationId: route?.operationId ?? 'unknown',
      pathTemplate: route?.path ?? 'unknown',
      method,
      attempt: 1,
      attempts: [],
      startedAt: Date.now(),
      events,
      signal: request.signal,
      ...(options.tokenSource ? { tokenSource: options.tokenSource } : {}),
    };
    return run(request, context);
  };
}
