import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { relayOpenApiDocument } from '../../../generated/relay/spec-document.gen.js';

/** Key under which the whole OpenAPI document is registered in Ajv, so `$ref`s resolve within it. */
const DOCUMENT_ID = 'relay-openapi';

// ajv-formats is CommonJS: its default export arrives wrapped or not depending on the loader.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

/** Which part of a request a schema checks. */
export type RequestPart = 'body' | 'querystring' | 'params';

/** One operation of the document: its method, Fastify URL and request schemas (as `$ref`s into the document). */
export interface SpecOperation {
  readonly operationId: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify route URL, e.g. `/v1/subscriptions/:id`. */
  readonly url: string;
  /** False when the operation declares `security: []` (public: the OAuth callback, health, metrics, the document). */
  readonly authenticated: boolean;
  readonly schema: Partial<Record<RequestPart, object>>;
}

type Json = Record<string, unknown>;

/** A parameter object, following one `$ref` into `components.parameters`. */
function parameter(value: Json): Json {
  const ref = value.$ref;
  if (typeof ref !== 'string') return value;
  const name = ref.replace('#/components/parameters/', '');
  return (relayOpenApiDocument.components.parameters as Record<string, Json>)[name]!;
}

/** A JSON pointer into the document as an Ajv `$ref`. */
function refTo(...segments: string[]): object {
  return { $ref: `${DOCUMENT_ID}#/${segments.map((s) => s.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}` };
}

function objectOf(parameters: Json[], where: 'path' | 'query', pointer: (index: number) => object): object | undefined {
  const indexed = parameters.map((p, index) => ({ p: parameter(p), index })).filter(({ p }) => p.in === where);
  if (indexed.length === 0) return undefined;
  return {
    type: 'object',
    properties: Object.fromEntries(indexed.map(({ p, index }) => [p.name as string, pointer(index)])),
    required: indexed.filter(({ p }) => p.required === true).map(({ p }) => p.name as string),
  };
}

/**
 * Every operation of spec/relay.openapi.yaml with the schemas its requests are validated against:
 * the JSON body, the query string and the path parameters, each a pointer into the document.
 *
 * @example
 * specOperations().find((op) => op.operationId === 'createSubscription')!.url; // '/v1/subscriptions'
 */
export function specOperations(): SpecOperation[] {
  const operations: SpecOperation[] = [];
  for (const [path, item] of Object.entries(relayOpenApiDocument.paths as Record<string, Json>)) {
    const shared = (item.parameters as Json[] | undefined) ?? [];
    for (const method of ['get', 'post', 'patch', 'delete'] as const) {
      const operation = item[method] as Json | undefined;
      if (operation === undefined) continue;
      const own = (operation.parameters as Json[] | undefined) ?? [];
      // Each parameter's schema is addressed where it is written (path item or operation).
      const all = [...shared.map((p, i) => ({ p, at: ['paths', path, 'parameters', String(i)] })), ...own.map((p, i) => ({ p, at: ['paths', path, method, 'parameters', String(i)] }))];
      const schemaOf = (index: number): object => {
        const { p, at } = all[index]!;
        const ref = typeof p.$ref === 'string' ? refTo('components', 'parameters', p.$ref.replace('#/components/parameters/', ''), 'schema') : refTo(...at, 'schema');
        // Ajv applies defaults written next to a property, not those behind a $ref.
        const fallback = (parameter(p).schema as Json | undefined)?.default;
        return fallback === undefined ? ref : { ...ref, default: fallback };
      };
      const params = objectOf(all.map(({ p }) => p), 'path', schemaOf);
      const querystring = objectOf(all.map(({ p }) => p), 'query', schemaOf);
      const body = (operation.requestBody as Json | undefined) === undefined ? undefined : refTo('paths', path, method, 'requestBody', 'content', 'application/json', 'schema');
      operations.push({
        operationId: operation.operationId as string,
        method: method.toUpperCase() as SpecOperation['method'],
        url: path.replace(/\{([^}]+)\}/g, ':$1'),
        authenticated: !(Array.isArray(operation.security) && operation.security.length === 0),
        schema: { ...(body && { body }), ...(querystring && { querystring }), ...(params && { params }) },
      });
    }
  }
  return operations;
}

/**
 * Compiles request schemas against the document: bodies strictly (no type coercion, unknown fields
 * refused), query strings and path parameters with string-to-number coercion and defaults.
 *
 * @example
 * const compile = createSpecValidatorCompiler();
 * app.setValidatorCompiler(({ schema, httpPart }) => compile(schema, httpPart));
 */
export function createSpecValidatorCompiler(): (schema: object, part: string | undefined) => ValidateFunction {
  const make = (coerce: boolean): Ajv2020 => {
    const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: false, coerceTypes: coerce, useDefaults: coerce });
    addFormats(ajv);
    ajv.addSchema(relayOpenApiDocument as unknown as object, DOCUMENT_ID);
    return ajv;
  };
  const strict = make(false);
  const coercing = make(true);
  return (schema, part) => (part === 'body' ? strict : coercing).compile(schema);
}

/** What a failed validation says: the field (`url`, `events[0]`, `query.limit`), a reason and a sentence. */
export interface ValidationFailure {
  readonly field: string;
  readonly reason: string;
  readonly detail: string;
}

/**
 * The most specific Ajv error as a field, a reason (the JSON Schema keyword, or `required`,
 * `unknown_field`) and a sentence that never repeats the input value.
 *
 * @example
 * describeValidationError(errors, 'body'); // { field: 'url', reason: 'format', detail: 'url must match format "uri"' }
 */
export function describeValidationError(errors: readonly ErrorObject[], part: string | undefined): ValidationFailure {
  // oneOf reports every branch; the deepest error is the one that says what is wrong.
  const error = [...errors].sort((a, b) => b.instancePath.split('/').length - a.instancePath.split('/').length)[0];
  const prefix = part === 'querystring' ? 'query' : part === 'params' ? 'path' : '';
  const segments = (error?.instancePath ?? '').split('/').filter((s) => s !== '').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  let reason = error?.keyword ?? 'invalid';
  let message = error?.message ?? 'is invalid';
  if (error?.keyword === 'required') {
    segments.push(String(error.params.missingProperty));
    reason = 'required';
    message = 'is required';
  } else if (error?.keyword === 'additionalProperties') {
    segments.push(String(error.params.additionalProperty));
    reason = 'unknown_field';
    message = 'is not a known field';
  }
  const path = segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
  const field = [prefix, path].filter((s) => s !== '').join('.') || (part === 'body' ? 'body' : prefix);
  return { field, reason, detail: `${field} ${message}` };
}
