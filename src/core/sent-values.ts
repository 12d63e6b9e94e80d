import { sensitiveFields } from '../../generated/dexcom-spec-metadata.gen.js';
import { DEXCOM_ERROR_KINDS, type DexcomError } from './errors.js';

/**
 * What the SDK sent, and how it is cut out of whatever it emits. Servers echo request values
 * (the bearer token, a refresh token, a client secret, a query value) into error bodies and
 * messages; every error, log line and event built from an answer is scrubbed of them here, so
 * the rule lives in one place.
 */

/**
 * What replaces a sent value found in an error or a log line.
 *
 * @example
 * scrubText('token rt-123 rejected', ['rt-123']); // 'token [REDACTED] rejected'
 */
export const REDACTED = '[REDACTED]';

/**
 * Query and form parameters whose values are not secrets (dates, scopes, the grant type), unless
 * the spec marks them `x-sensitive`: they may be logged, and they are not cut out of text (a
 * record's `systemTime` often equals the `startDate` that was sent).
 */
export const PUBLIC_PARAMETERS: ReadonlySet<string> = new Set(
  ['startDate', 'endDate', 'lastSyncTime', 'response_type', 'scope', 'grant_type'].filter(
    (name) => !(sensitiveFields.parameters as readonly string[]).includes(name),
  ),
);

/** Shorter values (`ok`, `0`, `3`) are too common to cut out of free text without mangling it. */
const MIN_VALUE_LENGTH = 4;

/** Deepest nesting scrubbed; bodies and cause chains of errors are shallow, this only stops cycles. */
const MAX_DEPTH = 8;

/**
 * Every value a request carried, for scrubbing: the `Authorization` header (whole, and its
 * credentials without the scheme), every query value and every field of a form body (or every
 * string leaf of a JSON body), except the {@link PUBLIC_PARAMETERS}. Values shorter than 4
 * characters are left out. The longest come first, so a value that contains another is cut out whole.
 *
 * @param request - the request as sent (its body is not read: pass it as `bodyText`)
 * @param bodyText - the request's body as text, when it had one
 *
 * @example
 * sentValues(new Request('http://x/t?state=s-123', { headers: { authorization: 'Bearer abc1' } }));
 * // ['Bearer abc1', 'abc1', 's-123'] (longest first)
 */
export function sentValues(request: { readonly headers: Headers; readonly url: string }, bodyText?: string): string[] {
  const found = new Set<string>();
  const authorization = request.headers.get('authorization');
  if (authorization) {
    found.add(authorization);
    found.add(authorization.replace(/^\S+\s+/, ''));
  }
  const query = request.url.indexOf('?');
  if (query !== -1) collectParameters(new URLSearchParams(request.url.slice(query + 1)), found);
  if (bodyText) collectBodyValues(bodyText, request.headers.get('content-type') ?? '', found);
  return [...found].filter((value) => value.length >= MIN_VALUE_LENGTH).sort((a, b) => b.length - a.length);
}

function collectBodyValues(text: string, contentType: string, into: Set<string>): void {
  if (/\bjson\b/i.test(contentType)) {
    try {
      collectLeaves(JSON.parse(text) as unknown, into, 0);
    } catch {
      into.add(text);
    }
    return;
  }
  // The SDK's only non-JSON body is the token request's form; anything else is cut out whole.
  if (contentType.includes('application/x-www-form-urlencoded')) collectParameters(new URLSearchParams(text), into);
  else into.add(text);
}

function collectParameters(parameters: URLSearchParams, into: Set<string>): void {
  parameters.forEach((value, name) => {
    if (!PUBLIC_PARAMETERS.has(name)) into.add(value);
  });
}

function collectLeaves(node: unknown, into: Set<string>, depth: number): void {
  if (typeof node === 'string' || typeof node === 'number') into.add(String(node));
  else if (depth < MAX_DEPTH && typeof node === 'object' && node !== null) {
    for (const value of Object.values(node)) collectLeaves(value, into, depth + 1);
  }
}

/**
 * Cuts every value out of a string.
 *
 * @example
 * scrubText('token abc123 rejected', ['abc123']); // 'token [REDACTED] rejected'
 */
export function scrubText(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) if (value.length >= MIN_VALUE_LENGTH && out.includes(value)) out = out.split(value).join(REDACTED);
  return out;
}

/**
 * A copy of `value` in which every occurrence of each of `values` (in any string, at any depth of
 * plain objects and arrays) is replaced by `[REDACTED]`; `value` itself when nothing changed.
 *
 * @example
 * scrubValue({ error: 'invalid_grant', error_description: 'token rt-123 expired' }, ['rt-123']);
 * // { error: 'invalid_grant', error_description: 'token [REDACTED] expired' }
 */
export function scrubValue<T>(value: T, values: readonly string[]): T {
  return values.length === 0 ? value : (scrubNode(value, values, 0) as T);
}

function scrubNode(value: unknown, values: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return scrubText(value, values);
  if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => scrubNode(item, values, depth + 1));
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubNode(item, values, depth + 1)]));
}

/**
 * Removes `values` (see {@link sentValues}) in place from everything a DexcomError emits: its
 * message, stack, string fields and `cause` chain (an Error in the chain is replaced by a scrubbed
 * copy, its own object left untouched). The raw `body` is left as it is: it never prints (not
 * enumerable, outside `toJSON()` and `util.inspect`) and stays readable for whoever asks for it.
 *
 * @example
 * throw scrubError(error, sentValues(request, bodyText));
 */
export function scrubError<E extends DexcomError>(error: E, values: readonly string[]): E {
  if (values.length === 0) return error;
  const target = error as unknown as Record<string, unknown>;
  for (const field of ['message', 'stack', ...Object.keys(DEXCOM_ERROR_KINDS[error.code].fields)]) {
    const current = target[field];
    if (typeof current !== 'string') continue;
    const clean = scrubText(current, values);
    // The fields are readonly for callers; the error is ours until it is thrown.
    if (clean !== current) Object.defineProperty(error, field, { value: clean, writable: true, configurable: true, enumerable: field !== 'message' && field !== 'stack' });
  }
  if ('cause' in error) {
    const cause = scrubCause(error.cause, values, 0);
    if (cause !== error.cause) Object.defineProperty(error, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
  }
  return error;
}

function scrubCause(cause: unknown, values: readonly string[], depth: number): unknown {
  if (!(cause instanceof Error)) return scrubValue(cause, values);
  if (depth >= MAX_DEPTH) return new Error(REDACTED);
  const message = scrubText(cause.message, values);
  const stack = cause.stack === undefined ? undefined : scrubText(cause.stack, values);
  const inner = 'cause' in cause ? scrubCause(cause.cause, values, depth + 1) : undefined;
  const code = (cause as { code?: unknown }).code;
  const cleanCode = typeof code === 'string' ? scrubText(code, values) : code;
  if (message === cause.message && stack === cause.stack && inner === cause.cause && cleanCode === code) return cause;
  const copy = new Error(message, 'cause' in cause ? { cause: inner } : undefined);
  copy.name = cause.name;
  if (stack !== undefined) copy.stack = stack;
  if (code !== undefined) Object.assign(copy, { code: cleanCode });
  return copy;
}
