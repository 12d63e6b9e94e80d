/**
 * Pure readers of facts from an OpenAPI 3.1 document that the runtime needs but generated types
 * cannot carry. Used by the spec-metadata openapi-ts plugin; kept free of openapi-ts so they can be
 * tested on small documents.
 */
import type { EnvelopeJsonType, ResponseEnvelope } from '../../src/core/response-envelope.ts';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type Json = Record<string, unknown>;

/** An OpenAPI document, as far as these readers look into it. */
export interface SpecDocument {
  paths?: Record<string, Record<string, unknown>>;
  security?: unknown[];
  components?: {
    schemas?: Record<string, unknown>;
    parameters?: Record<string, unknown>;
    headers?: Record<string, unknown>;
    responses?: Record<string, unknown>;
  };
}

/** What the runtime knows about one operation. */
export interface OperationFacts {
  method: string;
  path: string;
  deprecated: boolean;
  /** False when the operation declares `security: []` (the OAuth login and token calls). */
  authenticated: boolean;
  /** `x-dexcom-max-window-days`: the longest range one request may cover. */
  maxWindowDays?: number;
}

/**
 * Every operation by operationId: method, path template, deprecation, auth and window limit.
 *
 * @example
 * operationFacts(spec).getEstimatedGlucoseValuesV3; // { method: 'GET', path: '/v3/users/self/egvs', ..., maxWindowDays: 30 }
 */
export function operationFacts(spec: SpecDocument): Record<string, OperationFacts> {
  const globalSecurity = spec.security ?? [];
  const operations: Record<string, OperationFacts> = {};
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation || typeof operation.operationId !== 'string') continue;
      const maxWindowDays = operation['x-dexcom-max-window-days'];
      operations[operation.operationId] = {
        method: method.toUpperCase(),
        path,
        deprecated: operation.deprecated === true,
        authenticated: requiresSecurity((operation.security as unknown[] | undefined) ?? globalSecurity),
        ...(typeof maxWindowDays === 'number' ? { maxWindowDays } : {}),
      };
    }
  }
  return operations;
}

/** An empty requirement list, or one holding an empty requirement object, means "no auth". */
function requiresSecurity(requirements: unknown[]): boolean {
  return requirements.length > 0 && requirements.every((r) => typeof r === 'object' && r !== null && Object.keys(r).length > 0);
}

/** Names of everything the spec marks `x-sensitive: true`. */
export interface SensitiveFacts {
  /** Property names (of any schema) that carry PHI, identifiers or credentials. */
  properties: string[];
  /** Query, path or header parameter names. */
  parameters: string[];
  /** Response header names. */
  headers: string[];
  /** pino-style paths (`records[*].value`) of sensitive fields in JSON response bodies. */
  responsePaths: string[];
}

/**
 * Collects every `x-sensitive` mark: property names (directly or through a `$ref` to a sensitive
 * schema), parameters, headers, and the paths of sensitive fields in each operation's JSON
 * responses, so redaction is derived from the spec rather than typed by hand.
 *
 * @example
 * sensitiveFacts(spec).responsePaths; // ['userId', 'records[*].transmitterId', 'records[*].value', ...]
 */
export function sensitiveFacts(spec: SpecDocument): SensitiveFacts {
  const schemas = spec.components?.schemas ?? {};
  const resolve = (node: unknown): Json | undefined => {
    const ref = (node as Json | undefined)?.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) return schemas[ref.slice(21)] as Json | undefined;
    return node as Json | undefined;
  };
  const isSensitive = (node: unknown): boolean =>
    (node as Json | undefined)?.['x-sensitive'] === true || resolve(node)?.['x-sensitive'] === true;

  const properties = new Set<string>();
  for (const schema of Object.values(schemas)) {
    for (const [name, property] of Object.entries(((schema as Json).properties as Json | undefined) ?? {})) {
      if (isSensitive(property)) properties.add(name);
    }
  }

  const parameters = new Set<string>();
  const headers = new Set<string>();
  const responsePaths = new Set<string>();
  const visit = (node: unknown, prefix: string, depth: number, seen: Set<unknown>): void => {
    const schema = resolve(node);
    if (!schema || depth > 8 || seen.has(schema)) return;
    const nextSeen = new Set(seen).add(schema);
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      for (const branch of (schema[key] as unknown[] | undefined) ?? []) visit(branch, prefix, depth + 1, nextSeen);
    }
    if (schema.items) visit(schema.items, `${prefix}[*]`, depth + 1, nextSeen);
    for (const [name, property] of Object.entries((schema.properties as Json | undefined) ?? {})) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (isSensitive(property)) {
        responsePaths.add(path);
        properties.add(name);
      } else visit(property, path, depth + 1, nextSeen);
    }
  };

  const parameterSources = [...Object.values(spec.components?.parameters ?? {})];
  for (const item of Object.values(spec.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      parameterSources.push(...((operation.parameters as unknown[] | undefined) ?? []));
      for (const entry of Object.values((operation.responses as Json | undefined) ?? {})) {
        const ref = (entry as Json).$ref;
        const response = typeof ref === 'string' ? (spec.components?.responses?.[ref.split('/').pop()!] as Json | undefined) : (entry as Json);
        const content = response?.content as Json | undefined;
        const json = content?.['application/json'] as Json | undefined;
        if (json?.schema) visit(json.schema, '', 0, new Set());
      }
    }
  }
  for (const parameter of parameterSources) {
    const p = parameter as Json;
    if (p['x-sensitive'] === true && typeof p.name === 'string') parameters.add(p.name);
  }
  for (const [name, header] of Object.entries(spec.components?.headers ?? {})) {
    if ((header as Json)['x-sensitive'] === true) headers.add(name.toLowerCase());
  }
  const sorted = (set: Set<string>) => [...set].sort();
  return { properties: sorted(properties), parameters: sorted(parameters), headers: sorted(headers), responsePaths: sorted(responsePaths) };
}

type JsonType = EnvelopeJsonType;

const JSON_TYPES: readonly JsonType[] = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'];

/**
 * The 2xx envelope of every operation that answers JSON, by operationId: the body's top-level type,
 * its required properties with their JSON types, and which properties are arrays of objects (the
 * shape `src/core/response-envelope.ts` checks at run time). Operations without a 2xx JSON response
 * (the OAuth login redirect) are left out.
 *
 * @example
 * responseEnvelopes(spec).getDevicesV3;
 * // { status: '200', type: ['object'], required: { recordType: ['string'], ..., records: ['array'] }, arraysOfObjects: ['records'] }
 */
export function responseEnvelopes(spec: SpecDocument): Record<string, ResponseEnvelope> {
  const envelopes: Record<string, ResponseEnvelope> = {};
  for (const item of Object.values(spec.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation || typeof operation.operationId !== 'string') continue;
      const success = successJsonSchema(spec, (operation.responses as Json | undefined) ?? {});
      if (success) envelopes[operation.operationId] = envelopeOf(spec, success.status, success.schema);
    }
  }
  return envelopes;
}

/** The first 2xx response (in status order) that has an `application/json` schema. */
function successJsonSchema(spec: SpecDocument, responses: Json): { status: string; schema: unknown } | undefined {
  for (const status of Object.keys(responses).filter((s) => /^2(\d\d|XX)$/i.test(s)).sort()) {
    const response = resolveRef(spec, responses[status]) as Json | undefined;
    const json = (response?.content as Json | undefined)?.['application/json'] as Json | undefined;
    if (json?.schema !== undefined) return { status, schema: json.schema };
  }
  return undefined;
}

function envelopeOf(spec: SpecDocument, status: string, node: unknown): ResponseEnvelope {
  const schema = resolveRef(spec, node) as Json;
  const required: Record<string, JsonType[]> = {};
  const properties = (schema.properties as Json | undefined) ?? {};
  for (const name of (schema.required as string[] | undefined) ?? []) required[name] = jsonTypes(spec, properties[name]);
  const arraysOfObjects = Object.entries(properties)
    .filter(([, property]) => {
      const resolved = resolveRef(spec, property) as Json | undefined;
      const types = jsonTypes(spec, resolved);
      return types.length === 1 && types[0] === 'array' && sameTypes(jsonTypes(spec, resolved?.items), ['object']);
    })
    .map(([name]) => name);
  return { status, type: jsonTypes(spec, schema), required, arraysOfObjects };
}

/**
 * The JSON types a schema admits, following `$ref` and `anyOf`/`oneOf` branches; an empty list
 * when it admits any type (no `type`, or a branch without one).
 */
function jsonTypes(spec: SpecDocument, node: unknown, depth = 0): JsonType[] {
  const schema = resolveRef(spec, node) as Json | undefined;
  if (!schema || depth > 8) return [];
  const declared = schema.type;
  if (typeof declared === 'string' || Array.isArray(declared)) {
    return ([] as unknown[]).concat(declared).filter((t): t is JsonType => JSON_TYPES.includes(t as JsonType));
  }
  const branches = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined;
  if (!branches) return [];
  const types = new Set<JsonType>();
  for (const branch of branches) {
    const branchTypes = jsonTypes(spec, branch, depth + 1);
    if (branchTypes.length === 0) return [];
    for (const type of branchTypes) types.add(type);
  }
  return [...types];
}

function sameTypes(a: JsonType[], b: JsonType[]): boolean {
  return a.length === b.length && a.every((type) => b.includes(type));
}

/** Follows a local `$ref` (`#/components/...`) one or more levels; anything else is returned as is. */
function resolveRef(spec: SpecDocument, node: unknown): unknown {
  let current = node;
  for (let depth = 0; depth < 8; depth++) {
    const ref = (current as Json | undefined)?.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return current;
    current = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((value, key) => (value as Json | undefined)?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], spec);
  }
  return current;
}
