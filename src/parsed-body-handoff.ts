import type { ResolvedRequestOptions } from '../generated/client/index.js';
import { getParseAs } from '../generated/client/utils.gen.js';
import { operationMetadata, responseEnvelopes } from '../generated/dexcom-spec-metadata.gen.js';
import { ParsedJsonResponse } from '../plugins/parsed-json-response.js';
import { assertEnvelope, type EnvelopeCallInfo, missingBody, type ResponseEnvelope } from './core/response-envelope.js';

/** Each operation's 2xx envelope by `METHOD /path/template`, the key the generated client's options give. */
const ENVELOPES = new Map<string, { operationId: string; envelope: ResponseEnvelope }>(
  Object.entries(responseEnvelopes).map(([operationId, envelope]) => {
    const { method, path } = operationMetadata[operationId as keyof typeof operationMetadata];
    return [`${method} ${path}`, { operationId, envelope }];
  }),
);

/**
 * A response interceptor for the generated client that checks each 2xx JSON body against the
 * envelope the spec promises and hands the client the body the transport already parsed, so each
 * response is parsed once instead of twice.
 *
 * - Check: a body whose top-level shape does not match the operation's envelope in
 *   `responseEnvelopes` (`{}`, `[1,2,3]`, `null`, `{"records":"abc"}`, records that are not
 *   objects), and a 204 or empty 2xx where the spec promises JSON, throw a
 *   `DexcomInvalidResponseError` (`invalid_response`, not retryable) instead of reaching the
 *   caller as a wrong value or a later `TypeError`. Records are not checked one by one: they stay
 *   as lenient as the spec.
 * - Handoff: the generated client parses a JSON body with `JSON.parse(await response.text())`,
 *   then passes the result through `responseValidator` and `responseTransformer`, all after its
 *   response interceptors ran with the same `options` object. For a {@link ParsedJsonResponse}
 *   this interceptor returns a copy without a body (the client then reads `''` and parses
 *   nothing) and points those two hooks of this one request at the value already parsed.
 *
 * Any other response, or a call that asked for another `parseAs`, passes through untouched. The
 * copy keeps status, status text and headers; its `clone()` returns a clone of the original, so an
 * interceptor added after this one can still read the body the usual way (clone, then read).
 *
 * @example
 * httpClient.interceptors.response.use(handOverParsedBody);
 */
export function handOverParsedBody(response: Response, _request: Request, options: ResolvedRequestOptions): Response {
  // A caller who asked for text, a blob or a stream gets the body as it came, unchecked.
  const asked = options.parseAs;
  if (!response.ok || (asked !== undefined && asked !== 'auto' && asked !== 'json')) return response;
  const method = (options.method ?? 'GET').toUpperCase();
  const expected = ENVELOPES.get(`${method} ${options.url}`);
  const call = (operationId: string): EnvelopeCallInfo => ({ operationId, method, pathTemplate: options.url, status: response.status });
  if (!(response instanceof ParsedJsonResponse)) {
    // The transport turns every non-empty 2xx into a ParsedJsonResponse (or fails it), so what is
    // left here is a 204 or an empty body.
    if (expected) throw missingBody(call(expected.operationId));
    return response;
  }
  const parseAs = (asked === 'auto' ? getParseAs(response.headers.get('content-type')) : asked) ?? 'json';
  if (parseAs !== 'json') return response;
  const parsed = response.parsedBody;
  if (expected) assertEnvelope(parsed, expected.envelope, call(expected.operationId));
  const { responseValidator, responseTransformer } = options;
  options.responseValidator = responseValidator && (() => responseValidator(parsed));
  options.responseTransformer = responseTransformer ? () => responseTransformer(parsed) : async () => parsed;
  return new ParsedBodyCopy(response);
}

/** The body-less copy handed to the generated client; see {@link handOverParsedBody}. */
class ParsedBodyCopy extends Response {
  readonly #original: Response;

  constructor(original: Response) {
    super(null, { status: original.status, statusText: original.statusText, headers: original.headers });
    this.#original = original;
  }

  override clone(): Response {
    return this.#original.clone();
  }
}
