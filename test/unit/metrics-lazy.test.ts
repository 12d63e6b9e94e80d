import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(`${ROOT}${dir}`).flatMap((name) => {
    const path = `${dir}/${name}`;
    return statSync(`${ROOT}${path}`).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('prom-client is optional', () => {
  it('is loaded only once a client is given a registry', async () => {
    const script = fileURLToPath(new URL('./fixtures/prom-client-loading.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ withoutRegistry: false, withRegistry: true });
  });

  // The relay (dexcom-api-client/relay) always serves /metrics, so it may import prom-client, one of
  // its optional peers; the client and its plugins never do.
  it('is imported by no file in src/ (the relay aside) or plugins/, not even for types', () => {
    const importing = [...files('src').filter((path) => !path.startsWith('src/relay/')), ...files('plugins')].filter((path) => /^\s*(?:import|export)\b[^;]*?from\s+['"]prom-client['"]|\bimport\(\s*['"]prom-client['"]/m.test(readFileSync(`${ROOT}${path}`, 'utf8')));
    expect(importing).toEqual([]);
  });
});
