import { $, type DefinePlugin, definePluginConfig } from '@hey-api/openapi-ts';

/** Options of the spec-document plugin: the name of the exported constant. */
export type SpecDocumentPluginConfig = { readonly name: 'spec-document'; readonly output?: string; readonly exportName: string };

/** Type of the spec-document plugin for openapi-ts. */
export type SpecDocumentPlugin = DefinePlugin<SpecDocumentPluginConfig>;

/**
 * Emits the input document itself as a constant, so a server validates requests against (and
 * serves) exactly the spec the client was generated from, without parsing YAML at runtime.
 */
const handler: SpecDocumentPlugin['Handler'] = ({ plugin }) => {
  const symbol = plugin.symbol(plugin.config.exportName, { meta: { category: 'utility', resource: 'definition' } });
  plugin.node($.const(symbol).export().assign($($.fromValue(plugin.context.spec, { layout: 'pretty' })).as('const')));
};

/**
 * openapi-ts plugin that writes the whole OpenAPI document to `spec-document.gen.ts` as `exportName`.
 *
 * @example
 * // openapi-ts.config.ts
 * plugins: ['@hey-api/typescript', specDocumentPlugin({ exportName: 'relayOpenApiDocument' })]
 */
export const specDocumentPlugin = (options: { exportName: string }) =>
  definePluginConfig<SpecDocumentPlugin['Types']>({
    config: { exportName: options.exportName },
    handler,
    name: 'spec-document',
    output: 'spec-document',
  } as never)();
