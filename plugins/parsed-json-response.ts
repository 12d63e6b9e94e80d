/**
 * A buffered 2xx response whose JSON body the transport has already parsed (to prove it is
 * whole). The transport must parse inside the pipeline, where a truncated body can still be
 * retried; carrying the parsed value along lets the client hand it to the generated code instead
 * of parsing the same body a second time (for a one-day egvs page, ~110 KB, that second parse was
 * the largest single cost of the pipeline).
 *
 * Reading it works as for any `Response` (`text()`, `json()`, `clone()`, `body`, ...). The body is
 * kept as text and only turned into a stream when something reads it (a debug log of bodies, an
 * event listener that clones the response): building that stream for every response cost more
 * than most pipeline layers, and on the normal path nobody reads it.
 */
export class ParsedJsonResponse extends Response {
  /** The body, as `JSON.parse` returned it. */
  readonly parsedBody: unknown;
  /** The body as text. */
  readonly bodyText: string;
  #withBody: Response | undefined;

  /**
   * @param bodyText the body as text
   * @param init status, status text and headers of the response received
   * @param parsedBody the body parsed
   *
   * @example
   * const response = new ParsedJsonResponse(text, { status: 200, headers }, JSON.parse(text));
   */
  constructor(bodyText: string, init: ResponseInit, parsedBody: unknown) {
    super(null, init);
    this.bodyText = bodyText;
    this.parsedBody = parsedBody;
  }

  /** The same response with the body as a real stream, made on first use; every read goes to it. */
  #body(): Response {
    this.#withBody ??= new Response(this.bodyText, { status: this.status, statusText: this.statusText, headers: this.headers });
    return this.#withBody;
  }

  override text(): Promise<string> {
    return this.#body().text();
  }

  override json(): Promise<unknown> {
    return this.#body().json();
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return this.#body().arrayBuffer();
  }

  override bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#body().bytes();
  }

  override blob(): Promise<Blob> {
    return this.#body().blob();
  }

  override formData(): Promise<FormData> {
    return this.#body().formData();
  }

  override clone(): Response {
    return this.#body().clone();
  }

  static {
    // `body` and `bodyUsed` are accessors on Response.prototype that TypeScript types as plain
    // properties, so they are redefined here rather than with `override get`.
    Object.defineProperties(ParsedJsonResponse.prototype, {
      body: {
        configurable: true,
        get(this: ParsedJsonResponse): ReadableStream<Uint8Array> | null {
          return this.#body().body;
        },
      },
      bodyUsed: {
        configurable: true,
        get(this: ParsedJsonResponse): boolean {
          return this.#withBody?.bodyUsed ?? false;
        },
      },
    });
  }
}
