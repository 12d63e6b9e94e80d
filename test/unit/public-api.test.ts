import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** Every entry point of the package (package.json `exports`), as source files. */
const ENTRY_POINTS = Object.values(JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')).exports as Record<string, string | { types: string }>)
  .filter((target): target is { types: string } => typeof target === 'object')
  .map((target) => target.types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts'));

/** Names that are implementation details and must not be exported from any entry point. */
const INTERNALS = ['LAST_SYNC_TIME_MAX_AGE_MS', 'recordFingerprint', 'isLoopbackHost', 'ClientViewOf'];

function exportsOf(entry: string): { name: string; documented: boolean }[] {
  const program = ts.createProgram([resolve(root, entry)], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(resolve(root, entry))!;
  const moduleSymbol = checker.getSymbolAtLocation(source)!;
  return checker.getExportsOfModule(moduleSymbol).map((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const documented =
      target.getDocumentationComment(checker).length > 0 ||
      (target.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0) ||
      // A re-export of something without TSDoc of its own (generated code, a namespace) may be
      // documented on its export declaration in the entry file.
      (symbol.declarations ?? []).some((d) => {
        const exportDeclaration = ts.findAncestor(d, ts.isExportDeclaration);
        return exportDeclaration !== undefined && ts.getJSDocCommentsAndTags(exportDeclaration).length > 0;
      });
    return { name: symbol.getName(), documented };
  });
}

describe('public API', () => {
  it('covers every entry point in package.json', () => {
    expect(ENTRY_POINTS).toContain('src/index.ts');
    expect(ENTRY_POINTS.length).toBeGreaterThan(1);
  });

  for (const entry of ENTRY_POINTS) {
    it(`${entry}: every export has TSDoc and no internal is exported`, () => {
      const names = exportsOf(entry);
      expect(names.filter((e) => INTERNALS.includes(e.name)).map((e) => e.name)).toEqual([]);
      expect(names.filter((e) => !e.documented).map((e) => e.name)).toEqual([]);
    });
  }
});
