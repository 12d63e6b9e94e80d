import { defineConfig } from '@hey-api/openapi-ts';
import { openEnumUnion } from './scripts/codegen/open-enum-types.ts';
import { specDocumentPlugin } from './scripts/codegen/spec-document-plugin.ts';
import { specMetadataPlugin } from './scripts/codegen/spec-metadata-plugin.ts';

/**
 * Code generation: `npm run generate` turns the hand-maintained specs into `generated/` (the
 * Dexcom API) and `generated/relay/` (the relay's management API, for its tests and users).
 * Input paths must start with `./` (without it openapi-ts reads them as registry references).
 */
export default defineConfig([{
  input: './spec/dexcom.openapi.yaml',
  output: { path: './generated' },
  plugins: [
    // Every call throws on failure (the SDK maps failures to typed DexcomErrors), and no
    // server from the spec is baked in: each DexcomApiClient sets its own base URL.
    { name: '@hey-api/client-fetch', baseUrl: false, throwOnError: true },
    // Open enums render as `'a' | 'b' | (string & {})`, so the known values survive in hovers and
    // completions (a bare `| string` would swallow them) and any other string still type-checks.
    { name: '@hey-api/typescript', '~resolvers': { union: openEnumUnion } },
    // One class whose instances are bound to a client: `new DexcomApi({ client })`.
    { name: '@hey-api/sdk', operations: { strategy: 'single', containerName: 'DexcomApi', methods: 'instance' } },
    // Method, path template, auth, `x-dexcom-max-window-days` and the 2xx envelope of each
    // operation, and the sensitive-field lists, for the runtime.
    specMetadataPlugin(),
  ],
},
{
  input: './spec/relay.openapi.yaml',
  output: { path: './generated/relay' },
  plugins: [
    { name: '@hey-api/client-fetch', baseUrl: false },
    '@hey-api/typescript',
    '@hey-api/sdk',
    // The document itself, which the relay's server validates requests against and serves.
    specDocumentPlugin({ exportName: 'relayOpenApiDocument' }),
  ],
}]);
