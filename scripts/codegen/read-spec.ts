import { createClient, type DefinePlugin, definePluginConfig, type UserConfig } from '@hey-api/openapi-ts';

type CapturePlugin = DefinePlugin<{ readonly name: 'dexcom-read-spec'; readonly output?: string }>;

/**
 * Reads an OpenAPI document (YAML or JSON) the way `npm run generate` reads it, through openapi-ts's
 * own parser, without writing anything. For tests and scripts that need the spec as data (its
 * examples, its schemas) without a YAML parser of their own.
 *
 * @example
 * const spec = await readSpec('./spec/dexcom.openapi.yaml');
 * Object.keys(spec.components.examples); // ['EgvsV3', 'CalibrationsV3', ...]
 */
export async function readSpec(path: string): Promise<Record<string, unknown>> {
  let captured: Record<string, unknown> | undefined;
  const capture = definePluginConfig<CapturePlugin['Types']>({
    config: {},
    handler: ({ plugin }: Parameters<CapturePlugin['Handler']>[0]) => {
      captured = structuredClone(plugin.context.spec) as Record<string, unknown>;
    },
    name: 'dexcom-read-spec',
    output: 'read-spec',
  } as never);
  await createClient({
    input: path,
    output: { path: './.tmp/read-spec' },
    dryRun: true,
    logs: { level: 'silent' },
    plugins: [capture()],
  } as UserConfig);
  if (captured === undefined) throw new Error(`openapi-ts read nothing from ${path}`);
  return captured;
}
