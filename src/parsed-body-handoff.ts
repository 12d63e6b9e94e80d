import type { ResolvedRequestOptions } from '../generated/client/index.js';
import { getParseAs } from '../generated/client/utils.gen.js';
import { ParsedJsonResponse } from '../plugins/parsed-json-response.js';

/**
 * A response interceptor for the generated client that hands it the body the transport already
 * parsed, so each response is parsed once instead of twice.
 *
 * The generated client parses a JSON body with `JSON.parse(await response.text())`, then passes the
 * result through `responseValidator` and `responseTransformer`, all after its response
 * interceptors ran with the same `options` object. For a {@link ParsedJsonResponse} this
 * interceptor returns a copy without a body (the client then reads `''` and parses nothing) and
 * points those two hooks of this one request at the value already parsed. Any other response, or a
 * call that asked for another `parseAs`, passes through untouched.
 *
 * The copy keeps status, status text and headers; its `clone()` returns a clone of the original, so
 * an interceptor added after this one can still read the body the usual way (clone, then read).
 *
 * @example
 * httpClient.interceptors.response.use(handOverParsedBody);
 */
export function handOverParsedBody(response: Response, _request: Request, options: ResolvedRequestOptions): Response {
  if (!(response instanceof ParsedJsonResponse)) return response;
  const parseAs = (options.parseAs === 'auto' ? getParseAs(response.headers.get('content-type')) : options.parseAs) ?? 'json';
  if (parseAs !== 'json') return response;
  const parsed = response.parsedBody;
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
