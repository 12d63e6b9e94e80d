/**
 * Dependencies point down only: relay -> stores -> client -> plugins -> core -> generated. This
 * reads the imports of every hand-written file and fails on any that points up.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type Layer = 'generated' | 'core' | 'plugins' | 'client' | 'stores' | 'relay';

/** The layer of a repository path, or undefined for files outside the layered code. */
function layerOf(path: string): Layer | undefined {
  if (path.startsWith('generated/')) return 'generated';
  if (path.startsWith('src/core/')) return 'core';
  if (path.startsWith('plugins/')) return 'plugins';
  if (path.startsWith('src/stores/')) return 'stores';
  if (path.startsWith('src/relay/')) return 'relay';
  if (path.startsWith('src/')) return 'client';
  return undefined;
}

/** What each layer may import (besides packages). */
const ALLOWED: Record<Exclude<Layer, 'generated'>, readonly Layer[]> = {
  core: ['core', 'generated'],
  plugins: ['core', 'plugins', 'generated'],
  client: ['client', 'plugins', 'core', 'generated'],
  stores: ['stores', 'client', 'plugins', 'core', 'generated'],
  relay: ['relay', 'stores', 'client', 'plugins', 'core', 'generated'],
};

/**
 * Known violations, each to be removed by the file's owner: `from -> to` (repository paths).
 * Keep it empty; an entry that no longer matches fails the test so the list cannot go stale.
 */
const ALLOWED_VIOLATIONS: readonly string[] = [];

const IMPORT = /(?:\bimport|\bexport)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]/g;

/** The relative specifiers a source text imports (type-only imports included: they couple layers too). */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier?.startsWith('.')) found.push(specifier);
  }
  return found;
}

/** `from -> to` for every import of `files` that points to a layer its file may not use. */
export function violations(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [path, text] of files) {
    const from = layerOf(path);
    if (from === undefined || from === 'generated') continue;
    for (const specifier of importsOf(text)) {
      const target = relative(ROOT, resolve(ROOT, dirname(path), specifier)).replace(/\.js$/, '.ts');
      const to = layerOf(target);
      if (to !== undefined && !ALLOWED[from].includes(to)) out.push(`${path} -> ${target}`);
    }
  }
  return out.sort();
}

function sources(dir: string, into = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) sources(path, into);
    else if (path.endsWith('.ts')) into.set(path, readFileSync(join(ROOT, path), 'utf8'));
  }
  return into;
}

describe('layers', () => {
  it('finds the imports that point up (the checker itself)', () => {
    const files = new Map([
      ['src/core/errors.ts', "import type { Middleware } from '../../plugins/retry.js';\nimport { x } from './middleware.js';"],
      ['plugins/retry.ts', "import { DexcomApiClient } from '../src/client.js';\nexport { y } from '../src/core/errors.js';"],
      ['src/sync/sync.ts', "const m = await import('../stores/postgres/index.js');"],
      ['src/stores/postgres/token-store.ts', "import '../../relay/relay-types.js';"],
      ['src/relay/relay.ts', "import { openDatabase } from '../stores/postgres/database.js';"],
    ]);
    expect(violations(files)).toEqual([
      'plugins/retry.ts -> src/client.ts',
      'src/core/errors.ts -> plugins/retry.ts',
      'src/stores/postgres/token-store.ts -> src/relay/relay-types.ts',
      'src/sync/sync.ts -> src/stores/postgres/index.ts',
    ]);
  });

  it('no hand-written file imports from a layer above its own', () => {
    const files = sources('src');
    sources('plugins', files);
    const found = violations(files);
    const unexpected = found.filter((v) => !ALLOWED_VIOLATIONS.includes(v));
    const stale = ALLOWED_VIOLATIONS.filter((v) => !found.includes(v));
    expect({ unexpected, stale }).toEqual({ unexpected: [], stale: [] });
  });
});
