import { DexcomConfigurationError, DexcomValidationError } from '../src/core/errors.js';
import type { Middleware } from '../src/core/middleware.js';

/**
 * Correlation headers sent with every wire attempt (`new DexcomApiClient({ correlation })`).
 *
 * @example
 * new DexcomApiClient({ accessToken, correlation: { header: 'x-request-id', attemptHeader: false } });
 */
export interface CorrelationOptions {
  /**
   * Header carrying the call's correlation id (stable across retries). A caller that sets this
   * header on a call supplies the id; otherwise a UUID is generated.
   * @default 'x-correlation-id'
   */
  header?: string;
  /**
   * Header carrying the attempt number (1, 2, ...); `false` sends none.
   * @default 'x-correlation-attempt'
   */
  attemptHeader?: string | false;
}

/** Validated {@link CorrelationOptions}; `null` when correlation headers are turned off. */
export interface ResolvedCorrelationOptions {
  readonly header: string;
  readonly attemptHeader: string | null;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A correlation id the SDK sends and logs: 1 to 128 visible ASCII characters. Anything else (CR or
 * LF above all: header injection) would either break the header or forge log lines.
 */
const CORRELATION_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Checks a caller's correlation id before anything is sent and returns it; throws a
 * `DexcomValidationError` (that does not repeat the value) instead of the `TypeError` that
 * `Headers` would throw for CR, LF or NUL, or a header that would forge log lines.
 *
 * @example
 * checkCorrelationId('job-42');   // 'job-42'
 * checkCorrelationId('a\r\nb: c'); // throws DexcomValidationError
 */
export function checkCorrelationId(id: string): string {
  if (typeof id !== 'string' || !CORRELATION_ID.test(id)) {
    throw new DexcomValidationError(
      `correlationId must be 1 to 128 visible ASCII characters (no spaces, CR or LF), e.g. { correlationId: 'job-42' } (got ${typeof id === 'string' ? `${id.length} characters` : typeof id})`,
    );
  }
  return id;
}

/**
 * Validates the correlation options once, at construction. `false` turns the headers off (the id
 * still exists in logs, events and errors).
 *
 * @example
 * resolveCorrelationOptions({}); // { header: 'x-correlation-id', attemptHeader: 'x-correlation-attempt' }
 */
export function resolveCorrelationOptions(user?: CorrelationOptions | false): ResolvedCorrelationOptions | null {
  if (user === false) return null;
  const header = (user?.header ?? 'x-correlation-id').toLowerCase();
  const attempt = user?.attemptHeader === false ? null : (user?.attemptHeader ?? 'x-correlation-attempt').toLowerCase();
  for (const name of [header, attempt]) {
    if (name !== null && (!TOKEN.test(name) || name === 'authorization')) {
      throw new DexcomConfigurationError(
        `correlation headers must be valid header names, e.g. { correlation: { header: 'x-request-id', attemptHeader: false } } (got ${JSON.stringify(name)})`,
      );
    }
  }
  return { header, attemptHeader: attempt };
}

/** Name of the {@link correlationHeaders} layer in the pipeline (see `src/client-pipeline.ts`). */
export const CORRELATION_LAYER = 'correlation';

/**
 * Sets the correlation id and the attempt number on every wire attempt, so the server's logs and
 * this SDK's logs, events and errors can be joined on one id.
 *
 * @example
 * const layer = correlationHeaders({ header: 'x-correlation-id', attemptHeader: 'x-correlation-attempt' });
 */
export function correlationHeaders(options: ResolvedCorrelationOptions): Middleware {
  return (next) => (request, context) => {
    // Each attempt is a fresh clone (see the retry layer), so setting headers in place is safe.
    request.headers.set(options.header, context.invocationId);
    if (options.attemptHeader) request.headers.set(options.attemptHeader, String(context.attempt));
    return next(request, context);
  };
}
