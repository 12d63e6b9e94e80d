import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const tsx = join(root, 'node_modules', '.bin', 'tsx');
let dir: string | undefined;
afterAll(() => dir && rm(dir, { recursive: true, force: true }));

/** Runs `npm run check:generated`'s script against a given spec file. */
async function checkGenerated(spec: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(tsx, ['scripts/check-generated.ts', '--spec', spec], { cwd: root });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe('check:generated', () => {
  it('passes for the committed spec and fails, naming the file and the fix, when a field changes', async () => {
    const spec = join(root, 'spec', 'dexcom.openapi.yaml');
    expect(await checkGenerated(spec)).toMatchObject({ code: 0 });

    dir = await mkdtemp(join(tmpdir(), 'dexcom-spec-'));
    const changed = join(dir, 'dexcom.openapi.yaml');
    const text = await readFile(spec, 'utf8');
    const edited = text.replace(/(\n {4}Egv:\n(?: {6}.*\n)*? {6}properties:\n)/, '$1        addedByTest:\n          type: string\n');
    expect(edited).not.toBe(text);
    await writeFile(changed, edited);
    const result = await checkGenerated(changed);
    expect(result.code).toBe(1);
    expect(result.output).toContain('differs: generated/types.gen.ts');
    expect(result.output).toContain('Fix: run `npm run generate`');
  }, 60_000);
});
