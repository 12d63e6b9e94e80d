/**
 * Events the pipeline emits. Resilience plugins emit them; logging, metrics and user code
 * subscribe, so no resilience file has to know about a logger or a metrics registry.
 */
export interface PipelineEventMap {
  /** A wire attempt is about to be sent (it has passed the rate limiter, when there is one). */
  attempt: {
    invocationId: string;
    operationId: string;
    method: string;
    pathTemplate: string;
    attempt: number;
    /** Milliseconds this attempt waited in the rate limiter; absent without a limiter. */
    limiterWaitMs?: number;
  };
  /**
   * A wire attempt finished with a response or failed without one. Facts only: never the
   * `Request` or `Response` (they carry the bearer token and the body).
   */
  'attempt-end': {
    invocationId: string;
    operationId: string;
    method: string;
    pathTemplate: string;
    attempt: number;
    status?: number;
    error?: string;
    durationMs: number;
    /** Milliseconds this attempt waited in the rate limiter; absent without a limiter. */
    limiterWaitMs?: number;
    /** Redacted headers, query and bodies, present only when the client logs at debug (see {@link AttemptDetail}). */
    detail?: AttemptDetail;
  };
  /** The retry layer will send the call again after `delayMs`. */
  retry: { invocationId: string; operationId: string; attempt: number; delayMs: number; reason: string; status?: number };
  /** The retry layer stopped retrying and the call fails. */
  'give-up': { invocationId: string; operationId: string; attempts: number; reason: string; status?: number };
  /** The circuit breaker opened. */
  break: { reason: string; retryAt: number };
  /** The circuit breaker lets one probe through. */
  'half-open': Record<string, never>;
  /** The circuit breaker closed again. */
  reset: Record<string, never>;
  /** The rate limiter paused the bucket (after a 429) or made a request wait for a token. */
  throttled: { invocationId?: string; operationId?: string; waitMs: number; reason: 'bucket-empty' | 'cool-down' };
  /**
   * The rate limiter's store stopped answering (`fallback`: this process now runs on its local
   * share of the rate, `error` names the failure's class) or answers again (`shared`).
   */
  'rate-limit-store': { state: 'fallback' | 'shared'; error?: string };
  /** A request joined the rate limiter's queue. */
  queued: { invocationId: string; operationId: string; queueDepth: number };
  /** A logical call finished (success or failure). */
  'call-end': {
    invocationId: string;
    operationId: string;
    method: string;
    pathTemplate: string;
    attempts: number;
    status?: number;
    /** Class name of the error the call failed with. */
    error?: string;
    /** `code` of that error (a bounded set). */
    errorCode?: string;
    /** Its message (never holds tokens, query strings or bodies). */
    errorMessage?: string;
    durationMs: number;
    /** Milliseconds the call waited in the rate limiter, every attempt together; absent without a limiter. */
    limiterWaitMs?: number;
  };
}

/**
 * What the client's debug log shows of one wire attempt, already redacted: header values and query
 * parameters not on the allow-lists read `[REDACTED]`; bodies (only with `logging.logBodies`) have
 * every `x-sensitive` field replaced and every value the request carried (token, form fields,
 * secret query values) cut out of the text the server sent back.
 */
export interface AttemptDetail {
  /** The query parameters of the attempt. */
  readonly query: Readonly<Record<string, string>>;
  /** The headers as sent (with `authorization` redacted). */
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** The response headers, when a response arrived. */
  readonly responseHeaders?: Readonly<Record<string, string>>;
  /** The request body (JSON or form), redacted; with `logBodies` only. */
  readonly requestBody?: unknown;
  /** The response body, redacted; with `logBodies` only. */
  readonly responseBody?: unknown;
}

/** Name of an event in {@link PipelineEventMap}. */
export type PipelineEventName = keyof PipelineEventMap;

/** A subscriber to one pipeline event. */
export type PipelineListener<K extends PipelineEventName> = (event: PipelineEventMap[K]) => void;

/**
 * A small typed event bus, one per client. A throwing listener never breaks a request: its error
 * is swallowed after being passed to `onListenerError` (default: ignored).
 *
 * @example
 * const events = new PipelineEvents();
 * const off = events.on('retry', (e) => console.log(`retry #${e.attempt} in ${e.delayMs} ms`));
 * off(); // unsubscribe
 */
export class PipelineEvents {
  readonly #listeners = new Map<PipelineEventName, Set<(event: never) => void>>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<K extends PipelineEventName>(name: K, listener: PipelineListener<K>): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as (event: never) => void);
    return () => set.delete(listener as (event: never) => void);
  }

  /** Emits an event to every subscriber, synchronously. */
  emit<K extends PipelineEventName>(name: K, event: PipelineEventMap[K]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as PipelineListener<K>)(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
