/**
 * Open enums keep their known values in the generated types: `'a' | 'b' | (string & {})` rather than
 * `'a' | 'b' | string`, which TypeScript collapses to `string`. Checked three ways: at the type
 * level (tsc runs this file), in the generated source for every open enum of the spec, and through
 * the TypeScript language service, which must offer the known values as completions.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AlertSettingUnit, Egv, EventUnit, TrendArrow } from '../../generated/types.gen.js';
import { readSpec } from '../../scripts/codegen/read-spec.ts';

const root = resolve(import.meta.dirname, '..', '..');
const TYPES = join(root, 'generated', 'types.gen.ts');

describe('open enums in generated types', () => {
  it("Egv['trend'] keeps its known literals and still accepts any string", () => {
    // Exclude, not NonNullable: NonNullable<T> is `T & {}`, which folds `string & {}` back into string.
    type Trend = Exclude<Egv['trend'], null | undefined>;
    // Collapsed to `string`, these two would fail: the type would equal string.
    expectTypeOf<Trend>().not.toEqualTypeOf<string>();
    expectTypeOf<Extract<Trend, 'doubleUp'>>().toEqualTypeOf<'doubleUp'>();
    expectTypeOf<'doubleUp'>().toExtend<Trend>();
    expectTypeOf<'tripleUp'>().toExtend<Trend>();
    expectTypeOf<string>().toExtend<Trend>();
    expectTypeOf<Egv['trend']>().toEqualTypeOf<TrendArrow | null | undefined>();
    expectTypeOf<Extract<EventUnit, 'mmol/L'>>().toEqualTypeOf<'mmol/L'>();
    expectTypeOf<Extract<AlertSettingUnit, 'grams' | 'units' | 'unknown'>>().toEqualTypeOf<'grams' | 'units' | 'unknown'>();
    const anyTrend: Egv['trend'] = 'a value Dexcom adds next year';
    expect(anyTrend).toBeTypeOf('string');
  });

  it('every open enum of the spec is generated as its known values | (string & {})', async () => {
    const spec = (await readSpec('./spec/dexcom.openapi.yaml')) as { components: { schemas: Record<string, { anyOf?: Array<{ type?: string; enum?: string[] }> }> } };
    const generated = await readFile(TYPES, 'utf8');
    const openEnums = Object.entries(spec.components.schemas).filter(
      ([, schema]) => schema.anyOf?.some((branch) => Array.isArray(branch.enum)) && schema.anyOf.some((branch) => branch.type === 'string' && !branch.enum),
    );
    expect(openEnums.length).toBeGreaterThanOrEqual(20);
    for (const [name, schema] of openEnums) {
      const known = schema.anyOf!.find((branch) => branch.enum)!.enum!;
      const expected = `export type ${name} = ${[...known.map((value) => `'${value}'`), '(string & {})'].join(' | ')};`;
      expect(generated, name).toContain(expected);
    }
    expect(generated).not.toMatch(/\| string;$/m);
  });

  it("completions after `egv.trend === '` offer the known trend values", () => {
    const file = join(root, 'test', 'unit', '__open-enum-completions.ts');
    const source = `import type { Egv } from '../../generated/types.gen.js';\ndeclare const egv: Egv;\nif (egv.trend === '') {}\n`;
    const position = source.indexOf("=== '") + 5;
    const options: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, target: ts.ScriptTarget.ES2022, allowImportingTsExtensions: true, noEmit: true };
    const host: ts.LanguageServiceHost = {
      getCompilationSettings: () => options,
      getScriptFileNames: () => [file],
      getScriptVersion: () => '1',
      getScriptSnapshot: (name) => {
        const text = name === file ? source : ts.sys.readFile(name);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => root,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (name) => name === file || ts.sys.fileExists(name),
      readFile: (name) => (name === file ? source : ts.sys.readFile(name)),
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    };
    const service = ts.createLanguageService(host);
    const names = service.getCompletionsAtPosition(file, position, {})?.entries.map((entry) => entry.name) ?? [];
    expect(names).toEqual(expect.arrayContaining(['none', 'doubleUp', 'flat', 'fortyFiveDown', 'rateOutOfRange']));
  });
});
