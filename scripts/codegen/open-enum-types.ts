import type { UserConfig } from '@hey-api/openapi-ts';

type TypeScriptPluginConfig = Extract<NonNullable<UserConfig['plugins']>[number], { name: '@hey-api/typescript' }>;
type UnionResolver = NonNullable<NonNullable<TypeScriptPluginConfig['~resolvers']>['union']>;
type SchemaObject = Parameters<UnionResolver>[0]['schemas'][number];

/**
 * Union resolver for `@hey-api/typescript` that keeps the known values of an open enum visible.
 *
 * The spec writes every Dexcom enum open: `anyOf: [{type: string, enum: [...]}, {type: string}]`.
 * openapi-ts renders that as `'a' | 'b' | string`, which TypeScript collapses to `string`, so hovers
 * and completions lose the known values. This resolver renders the catch-all member as
 * `(string & {})` instead: `'a' | 'b' | (string & {})` still accepts any string, but TypeScript no
 * longer absorbs the literals into it. Every other union falls through to the default rendering
 * (returning `undefined` does that).
 *
 * @example
 * // openapi-ts.config.ts
 * plugins: [{ name: '@hey-api/typescript', '~resolvers': { union: openEnumUnion } }]
 * // generated/types.gen.ts then reads
 * // export type TrendArrow = 'none' | 'unknown' | ... | 'rateOutOfRange' | (string & {});
 */
export const openEnumUnion: UnionResolver = ({ $, childResults, schemas }) => {
  if (!isOpenEnum(schemas)) return undefined;
  return $.type.or(
    ...childResults.map((result, index) =>
      isCatchAllString(schemas[index]) ? $.type.and($.type('string'), $.type.object()) : result.type,
    ),
  );
};

/** An enum of string literals next to a plain `type: string` member: the spec's open-enum form. */
function isOpenEnum(schemas: readonly SchemaObject[]): boolean {
  const hasStringEnum = schemas.some(
    (schema) => schema.type === 'enum' && (schema.items ?? []).every((item) => item.type === 'string' && typeof item.const === 'string'),
  );
  return hasStringEnum && schemas.some(isCatchAllString);
}

/** `type: string` with no constraint (a description at most), i.e. "any other string". */
function isCatchAllString(schema: SchemaObject | undefined): boolean {
  if (schema?.type !== 'string') return false;
  return Object.keys(schema).every((key) => key === 'type' || key === 'description');
}
