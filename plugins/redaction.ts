import { sensitiveFields } from '../generated/dexcom-spec-metadata.gen.js';
import { PUBLIC_PARAMETERS, REDACTED, scrubText, sentValues } from '../src/core/sent-values.js';

/** What replaces every value that is not allowed into a log line. */
export { REDACTED };

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

/** Query parameters whose values may be logged (the core's list of parameters that are not secrets); the spec's `x-sensitive` parameters never are. */
export const LOGGABLE_QUERY_PARAMETERS: ReadonlySet<string> = PUBLIC_PARAMETERS;

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
 * The values of those properties, and any `knownSecrets` (the token and form secrets the request
 * carried), are also cut out of every other string, because servers echo them in free text such as
 * `error_description`.
 *
 * @example
 * redactBody({ userId: 'u-123', error: 'no data for u-123', records: [{ recordId: 'r', value: 120 }] });
 * // { userId: '[REDACTED]', error: 'no data for [REDACTED]', records: [{ recordId: 'r', value: '[REDACTED]' }] }
 */
export function redactBody(body: unknown, knownSecrets: readonly string[] = []): unknown {
  const secrets = new Set(knownSecrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH));
  collectSensitiveValues(body, secrets, 0);
  // Longest first, so a secret that contains another is cut out whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  return copyRedacted(body, ordered, 0);
}

/** Shorter strings (`ok`, `0`) are too common to cut out of free text without mangling it. */
const MIN_SECRET_LENGTH = 4;

function isSensitiveKey(key: string): boolean {
  return SENSITIVE_PROPERTIES.has(key) || SENSITIVE_PROPERTIES.has(key.toLowerCase());
}

function collectSensitiveValues(node: unknown, into: Set<string>, depth: number): void {
  if (depth > 32 || typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node)) {
    if (isSensitiveKey(key) && (typeof value === 'string' || typeof value === 'number')) {
      const text = String(value);
      if (text.length >= MIN_SECRET_LENGTH) into.add(text);
    } else collectSensitiveValues(value, into, depth + 1);
  }
}

function copyRedacted(node: unknown, secrets: readonly string[], depth: number): unknown {
  if (depth > 32) return REDACTED;
  if (typeof node === 'string') return scrub(node, secrets);
  if (Array.isArray(node)) return node.map((item) => copyRedacted(item, secrets, depth + 1));
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = isSensitiveKey(key) ? REDACTED : copyRedacted(value, secrets, depth + 1);
  }
  return out;
}

/**
 * Cuts every known secret out of a string (the core's `scrubText`).
 *
 * @example
 * scrub('token abc123 rejected', ['abc123']); // 'token [REDACTED] rejected'
 */
export const scrub: (text: string, secrets: readonly string[]) => string = scrubText;

/**
 * The secrets a request carries, to cut out of whatever the server echoes: every value it sent
 * (the bearer token, query values, every form field) but the public parameters, as the core's
 * `sentValues` collects them.
 *
 * @example
 * await requestSecrets(new Request('http://x/t', { headers: { authorization: 'Bearer abc1' } })); // ['Bearer abc1', 'abc1']
 */
export async function requestSecrets(request: Request): Promise<string[]> {
  let body: string | undefined;
  try {
    body = request.body === null ? undefined : await request.clone().text();
  } catch {
    body = undefined;
  }
  return sentValues(request, body);
}

function isForm(message: Request | Response): boolean {
  return (message.headers.get('content-type') ?? '').includes('application/x-www-form-urlencoded');
}

/**
 * Reads a body for a debug log: JSON and form bodies are parsed and redacted with
 * {@link redactBody} (also cutting out `knownSecrets`); anything else is summarised by type and
 * size, never logged raw.
 *
 * @example
 * await redactedBodyOf(new Response('{"userId":"u"}', { headers: { 'content-type': 'application/json' } }));
 */
export async function redactedBodyOf(message: Request | Response, knownSecrets: readonly string[] = []): Promise<unknown> {
  const parsed = await parsedBodyOf(message);
  if (parsed === undefined || typeof parsed === 'string') return parsed;
  return redactBody(parsed.value, knownSecrets);
}

/** The parsed body, a summary string for a body that is not JSON or a form, or undefined when empty. */
async function parsedBodyOf(message: Request | Response): Promise<{ value: unknown } | string | undefined> {
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
      return { value: JSON.parse(text) };
    } catch {
      return `[unparseable JSON, ${text.length} chars]`;
    }
  }
  if (isForm(message)) return { value: Object.fromEntries(new URLSearchParams(text)) };
  return `[${contentType.split(';')[0] || 'body'}, ${text.length} chars]`;
}
