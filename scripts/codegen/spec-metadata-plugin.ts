import { $, type DefinePlugin, definePluginConfig } from '@hey-api/openapi-ts';

/** Options of the spec-metadata plugin (none yet beyond its name). */
export type SpecMetadataPluginConfig = { readonly name: 'dexcom-spec-metadata'; readonly output?: string };

/** Type of the spec-metadata plugin for openapi-ts. */
export type SpecMetadataPlugin = DefinePlugin<SpecMetadataPluginConfig>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface OperationMetadata {
  method: string;
  path: string;
  deprecated: boolean;
  /** False when the operation declares `security: []` (the OAuth login and token calls). */
  authenticated: boolean;
  maxWindowDays?: number;
}

/**
 * Emits `generated/spec-metadata.gen.ts`: facts from the spec that the runtime needs but the
 * generated types cannot carry, such as each operation's method and path template and the
 * `x-dexcom-max-window-days` extension. The SDK reads the window limit from here, so changing it
 * in the spec and regenerating is all it takes.
 */
const handler: SpecMetadataPlugin['Handler'] = ({ plugin }) => {
  const spec = plugin.context.spec as { paths?: Record<string, Record<string, unknown>>; security?: unknown[] };
  const globalSecurity = spec.security ?? [];
  const operations: Record<string, OperationMetadata> = {};
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as Record<string, unknown> | undefined;
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
  const symbol = plugin.symbol('operationMetadata', { meta: { category: 'utility', resource: 'definition' } });
  plugin.node($.const(symbol).export().assign($($.fromValue(operations, { layout: 'pretty' })).as('const')));
};

/** An empty requirement list, or one holding an empty requirement object, means "no auth". */
function requiresSecurity(requirements: unknown[]): boolean {
  return requirements.length > 0 && requirements.every((r) => typeof r === 'object' && r !== null && Object.keys(r).length > 0);
}

/**
 * openapi-ts plugin that writes the spec's operation metadata (method, path template, deprecation,
 * maximum window) to `spec-metadata.gen.ts`.
 *
 * @example
 * // openapi-ts.config.ts
 * plugins: ['@hey-api/typescript', specMetadataPlugin()]
 */
export const specMetadataPlugin = definePluginConfig<SpecMetadataPlugin['Types']>({
  config: {},
  handler,
  name: 'dexcom-spec-metadata',
  output: 'spec-metadata',
} as never);
