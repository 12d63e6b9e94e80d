import { $, type DefinePlugin, definePluginConfig } from '@hey-api/openapi-ts';
import { operationFacts, responseEnvelopes, sensitiveFacts, type SpecDocument } from './spec-facts.ts';

/** Options of the spec-metadata plugin (none beyond its name). */
export type SpecMetadataPluginConfig = { readonly name: 'dexcom-spec-metadata'; readonly output?: string };

/** Type of the spec-metadata plugin for openapi-ts. */
export type SpecMetadataPlugin = DefinePlugin<SpecMetadataPluginConfig>;

/**
 * Emits `generated/dexcom-spec-metadata.gen.ts`: facts from the spec that the runtime needs but the
 * generated types cannot carry. `operationMetadata` (method, path template, auth,
 * `x-dexcom-max-window-days`) drives windowing and bounded metric labels; `sensitiveFields`
 * (everything marked `x-sensitive`) drives log redaction; `responseEnvelopes` (each operation's 2xx
 * body: top-level type, required properties and their JSON types, arrays of objects) drives the
 * check that turns a wrong-shape body into a `DexcomInvalidResponseError`. Change the spec,
 * regenerate, and the runtime follows.
 */
const handler: SpecMetadataPlugin['Handler'] = ({ plugin }) => {
  const spec = plugin.context.spec as SpecDocument;
  const emit = (name: string, value: unknown) => {
    const symbol = plugin.symbol(name, { meta: { category: 'utility', resource: 'definition' } });
    plugin.node($.const(symbol).export().assign($($.fromValue(value, { layout: 'pretty' })).as('const')));
  };
  emit('operationMetadata', operationFacts(spec));
  emit('sensitiveFields', sensitiveFacts(spec));
  emit('responseEnvelopes', responseEnvelopes(spec));
};

/**
 * openapi-ts plugin that writes the spec's operation metadata, sensitive-field lists and response
 * envelopes to
 * `dexcom-spec-metadata.gen.ts`.
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
