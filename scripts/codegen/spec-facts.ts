/**
 * Pure readers of facts from an OpenAPI 3.1 document that the runtime needs but generated types
 * cannot carry. Used by the spec-metadata openapi-ts plugin; kept free of openapi-ts so they can be
 * tested on small documents.
 */

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
