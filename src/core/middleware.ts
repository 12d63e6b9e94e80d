import type { TokenSource } from './token-source.js';
import type { PipelineEvents } from './events.js';

/**
 * One wire attempt as recorded by the pipeline, oldest first. The final error of a call lists
 * every attempt so a failure can be explained without logs.
 */
export interface AttemptRecord {
  /** 1-based attempt number within the logical call. */
  readonly attempt: number;
  /** HTTP status when a response arrived. */
  readonly status?: number;
  /** Short error name when no response arrived (e.g. `DexcomNetworkError`, `DexcomTimeoutError`). */
  readonly error?: string;
  /** Milliseconds the retry layer waited after this attempt before the next one (absent on the last). */
  delayMs?: number;
  /** Milliseconds from sending to the response headers (or the failure). */
  readonly durationMs: number;
}

/**
 * What the pipeline knows about one logical call. Created once per call by the outermost layer
 * and shared by every attempt of that call; plugins read it and the retry layer advances `attempt`.
 */
export interface CallContext {
  /** Id of the logical call, stable across retries (correlation id). */
  readonly invocationId: string;
  /** OpenAPI operationId, e.g. `getEstimatedGlucoseValuesV3`; `unknown` for a raw request. */
  readonly operationId: string;
  /** HTTP method in upper case. */
  readonly method: string;
  /** Path template from the spec, e.g. `/v3/users/self/egvs` (never the raw URL). */
  readonly pathTemplate: string;
  /** Number of the wire attempt now in progress (1-based). */
  attempt: number;
  /** Every wire attempt made so far. */
  readonly attempts: AttemptRecord[];
  /** Absolute time (epoch ms) after which the call must not continue, when a total deadline is set. */
  deadline?: number;
  /** The call's signal: the caller's signal linked with the total deadline. */
  signal?: AbortSignal;
  /**
   * The signal of the wire attempt in progress: the call's signal linked with the attempt timeout,
   * set by the attempt-timeout layer while the attempt runs. The transport aborts the wire request
   * with it (else with `signal`, else the request's own), so no layer has to rebuild the `Request`
   * just to carry a signal.
   */
  attemptSignal?: AbortSignal;
  /**
   * Milliseconds the attempt in progress waited in the rate limiter (for a token, a 429 pause or a
   * shared store), set as it leaves the limiter; absent without a limiter.
   */
  attemptLimiterWaitMs?: number;
  /** Milliseconds the call has waited in the rate limiter so far, every attempt together. */
  limiterWaitMs?: number;
  /**
   * The latest wire attempt as sent (headers include the bearer token), set by the wire observer.
   * Read only to scrub what a server echoes back out of the call's error; never log it.
   */
  sentRequest?: Request;
  /** Time the call started (epoch ms). */
  readonly startedAt: number;
  /** The client's event bus: resilience plugins emit, observers subscribe. */
  readonly events: PipelineEvents;
  /**
   * Where this call's access token comes from, when it is bound to a user (`dexcom.forUser()`);
   * absent, the auth layer uses the client's own `accessToken`.
   */
  readonly tokenSource?: TokenSource;
}

/**
 * The transport shape every layer of the pipeline shares: a `fetch` that also receives the call's
 * context. The transport ignores the context; every other layer may read it.
 */
export type FetchLike = (request: Request, context: CallContext) => Promise<Response>;

/**
 * One layer of the request pipeline: takes the next layer and returns a new one.
 *
 * @example
 * const addUserAgent: Middleware = (next) => (request, context) => {
 *   request.headers.set('user-agent', 'my-app/1.0');
 *   return next(request, context);
 * };
 */
export type Middleware = (next: FetchLike) => FetchLike;

/**
 * Composes middlewares into one fetch, outermost first.
 *
 * @example
 * const fetchLike = compose([callObserver, retry, transport])(globalFetchTransport);
 */
export function compose(layers: readonly Middleware[]): (transport: FetchLike) => FetchLike {
  return (transport) => layers.reduceRight<FetchLike>((next, layer) => layer(next), transport);
}
