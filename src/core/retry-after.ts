/**
 * Parsing of the `Retry-After` response header (RFC 9110 §10.2.3, RFC 6585 §4).
 *
 * Dexcom documents no `Retry-After`, but proxies and the Prism mock send one, so both forms are
 * read: delta-seconds (decimals tolerated, `0.2` means 200 ms) and an HTTP-date in any of the
 * three formats RFC 9110 allows. Anything else is ignored rather than guessed at, because a
 * misread header would either hammer the server or freeze the client.
 */

// Digits with an optional fraction only: `Number()` would also accept `1e3`, `0x10` and `-1`.
const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;

// IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT` and obsolete RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT`.
const ZONED_HTTP_DATE = /^[a-z]{3,9}, \d{2}[ -][a-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/i;

// asctime `Sun Nov  6 08:49:37 1994` carries no zone; HTTP says it is UTC, `Date.parse` would say local.
const ASCTIME_DATE = /^[a-z]{3} [a-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/i;

/**
 * Reads a `Retry-After` value as milliseconds to wait, counted from `now`.
 *
 * Delta-seconds are rounded up to the next millisecond so a wait is never shorter than asked;
 * an HTTP-date in the past gives `0`. Returns `undefined` for a missing, empty, negative or
 * unparseable value (for example `soon`, `-1`, `1e3`), so callers fall back to their own delay.
 *
 * @param value - The raw header value (`response.headers.get('retry-after')`).
 * @param now - The time the response arrived, in epoch milliseconds.
 * @returns Milliseconds to wait, or `undefined` when the header gives no usable answer.
 *
 * @example
 * parseRetryAfter('2', Date.now());       // 2000
 * parseRetryAfter('0.25', Date.now());    // 250
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('2015-10-21T07:27:00Z')); // 60000
 * parseRetryAfter('soon', Date.now());    // undefined
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;

  if (DELTA_SECONDS.test(text)) {
    const ms = Math.ceil(Number(text) * 1000);
    return Number.isFinite(ms) ? ms : undefined;
  }

  let at: number;
  if (ZONED_HTTP_DATE.test(text)) at = Date.parse(text);
  else if (ASCTIME_DATE.test(text)) at = Date.parse(`${text} GMT`);
  else return undefined;

  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Reads the `Retry-After` header of a response; see {@link parseRetryAfter}.
 *
 * @example
 * const waitMs = retryAfterOf(response, Date.now()) ?? 60_000;
 */
export function retryAfterOf(response: Response, now: number): number | undefined {
  return parseRetryAfter(response.headers.get('retry-after'), now);
}
