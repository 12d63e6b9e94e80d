import { sensitiveFields } from '../generated/dexcom-spec-metadata.gen.js';

/** What replaces every value that is not allowed into a log line. */
export const REDACTED = '[REDACTED]';

/**
 * Request and response headers whose values may be logged. Everything else (Authorization,
 * cookies, unknown vendor headers) is logged as `[REDACTED]`: an allow-list, because a deny-list
 * misses the header nobody thought of.
 */
export const LOGGABLE_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'cache-control',
  'connection',
  'content-length',
  'content-type',
  'date',
  'keep-alive',
  'retry-after',
  'user-agent',
  'x-correlation-id',
  'x-correlation-attempt',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
]);

/** Query parameters whose values may be logged; the spec's `x-sensitive` parameters never are. */
export const LOGGABLE_QUERY_PARAMETERS: ReadonlySet<string> = new Set(
  ['startDate', 'endDate', 'lastSyncTime', 'response_type', 'scope'].filter((name) => !(sensitiveFields.parameters as readonly string[]).includes(name)),
);

const SENSITIVE_PROPERTIES: ReadonlySet<string> = new Set([
  ...sensitiveFields.properties,
  // Form fields of the token request and redirect parameters: credentials even where the spec
  // marks them on a request body rather than a response.
  'client_secret',
  'code',
  'state',
  'refresh_token',
  'access_token',
]);

/**
 * Paths of the fields the spec marks `x-sensitive` in JSON response bodies, in pino's redact
 * syntax, so an app that logs Dexcom responses itself can add them to its own pino config.
 *
 * @example
 * const logger = pino({ redact: { paths: [...dexcomRedactPaths, 'req.headers.authorization'] } });
 */
export const dexcomRedactPaths: readonly string[] = [...sensitiveFields.responsePaths];

/**
 * Headers as a plain object with every value not on {@link LOGGABLE_HEADERS} replaced by
 * `[REDACTED]` (names are kept: knowing a header was present helps, its value may not).
 *
 * @example
 * redactHeaders(new Headers({ authorization: 'Bearer abc', 'content-type': 'application/json' }));
 * // { authorization: '[REDACTED]', 'content-type': 'application/json' }
 */
export function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = LOGGABLE_HEADERS.has(name) ? value : REDACTED;
  });
  return out;
}

/**
 * The query of a URL as a plain object, values not on {@link LOGGABLE_QUERY_PARAMETERS} replaced
 * by `[REDACTED]`.
 *
 * @example
 * redactQuery(new URL('https://x/v2/oauth2/login?client_id=abc&state=xyz&scope=offline_access'));
 * // { client_id: '[REDACTED]', state: '[REDACTED]', scope: 'offline_access' }
 */
export function redactQuery(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  url.searchParams.forEach((value, name) => {
    out[name] = LOGGABLE_QUERY_PARAMETERS.has(name) ? value : REDACTED;
  });
  return out;
}

/**
 * A deep copy of a parsed body with every property the spec marks `x-sensitive` (user and device
 * ids, glucose values, tokens, secrets, codes) replaced by `[REDACTED]`, at any depth. Matching by
 * property name rather than by path, so a field moved or nested by a new API version stays hidden.
 *
 * @example
 * redactBody({ userId: 'u1', records: [{ recordId: 'r', value: 120 }] });
 * // { userId: '[REDACTED]', records: [{ recordId: 'r', value: '[REDACTED]' }] }
 */
export function redactBody(body: unknown, depth = 0): unknown {
  if (depth > 32) return REDACTED;
  if (Array.isArray(body)) return body.map((item) => redactBody(item, depth + 1));
  if (typeof body !== 'object' || body === null) return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    out[key] = SENSITIVE_PROPERTIES.has(key) || SENSITIVE_PROPERTIES.has(key.toLowerCase()) ? REDACTED : redactBody(value, depth + 1);
  }
  return out;
}

/**
 * Reads a body for a debug log: JSON and form bodies are parsed and redacted with
 * {@link redactBody}; anything else is summarised by type and size, never logged raw.
 *
 * @example
 * await redactedBodyOf(new Response('{"userId":"u"}', { headers: { 'content-type': 'application/json' } }));
 */
export async function redactedBodyOf(message: Request | Response): Promise<unknown> {
  const contentType = message.headers.get('content-type') ?? '';
  let text: string;
  try {
    text = await message.clone().text();
  } catch {
    return undefined;
  }
  if (text === '') return undefined;
  if (/\bjson\b/i.test(contentType)) {
    try {
      return redactBody(JSON.parse(text));
    } catch {
      return `[unparseable JSON, ${text.length} chars]`;
    }
  }
  if (contentType.includes('application/x-www-form-urlencoded')) {
    return redactBody(Object.fromEntries(new URLSearchParams(text)));
  }
  return `[${contentType.split(';')[0] || 'body'}, ${text.length} chars]`;
}
