/**
 * The redacted detail of one wire attempt for the debug log, built where the attempt is still at
 * hand (the wire observer), so events carry facts and never the `Request` (bearer token included)
 * or the `Response`.
 */
import type { AttemptDetail } from '../src/core/events.js';
import { redactedBodyOf, redactHeaders, redactQuery, requestSecrets } from './redaction.js';

/** How much of an attempt the debug log shows: headers and query, or bodies as well (`logBodies`). */
export type AttemptDetailLevel = 'headers' | 'bodies';

/**
 * A `describe` function for the wire observer. Called with the request before it is sent, it takes
 * what it needs at once (the redacted headers and query; with `bodies`, an unread copy of the body,
 * since sending consumes it); the function it returns builds the {@link AttemptDetail} once the
 * response arrived. With `bodies`, every secret the request carried (token, every form value but
 * the public ones, secret query values) is cut out of the response body too, because token
 * endpoints echo them. It never rejects: a body that cannot be read is left out.
 *
 * @example
 * const layer = wireObserver({ describe: describeAttempt('bodies') });
 */
export function describeAttempt(level: AttemptDetailLevel): (request: Request) => (response: Response | undefined) => Promise<AttemptDetail> {
  return (request) => {
    const query = redactQuery(new URL(request.url));
    const requestHeaders = redactHeaders(request.headers);
    const unsent = level === 'bodies' ? unsentCopy(request) : undefined;
    return async (response) => {
      const responseHeaders = response ? redactHeaders(response.headers) : undefined;
      const detail: { -readonly [K in keyof AttemptDetail]: AttemptDetail[K] } = { query, requestHeaders };
      if (responseHeaders) detail.responseHeaders = responseHeaders;
      if (level !== 'bodies') return detail;
      try {
        const secrets = await requestSecrets(unsent ?? request);
        const requestBody = unsent ? await redactedBodyOf(unsent, secrets) : undefined;
        const responseBody = response ? await redactedBodyOf(response, secrets) : undefined;
        if (requestBody !== undefined) detail.requestBody = requestBody;
        if (responseBody !== undefined) detail.responseBody = responseBody;
      } catch {
        // A body that cannot be read is left out of the line; the attempt itself is unaffected.
      }
      return detail;
    };
  };
}

/** A copy of the request whose body is still unread, or undefined when it has none. */
function unsentCopy(request: Request): Request | undefined {
  if (request.body === null || request.bodyUsed) return undefined;
  try {
    return request.clone();
  } catch {
    return undefined;
  }
}
