import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules/tsx/dist/cli.mjs');

async function runScript(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [tsx, script, ...args], { cwd: root, env: { ...process.env, DEXCOM_BASE_URL: '', DEXCOM_ACCESS_TOKEN: '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('command lines answer bad input with one line, the usage and exit code 2', () => {
  it.each([
    ['scripts/demo.ts', ['--bogus'], "error: Unknown option '--bogus'"],
    ['scripts/demo.ts', ['--days', 'abc'], 'error: --days must be a whole number from 1 to 3650 (got "abc")'],
    ['scripts/demo.ts', ['--token', 'secret-canary'], 'error: --token needs --base-url'],
    ['scripts/demo.ts', ['--base-url', 'http://example.com', '--token', 'x'], 'error: --base-url must use https:// for example.com'],
    ['scripts/mock.ts', ['--port', 'abc'], 'error: --port must be a whole number from 0 to 65535 (got "abc")'],
    ['scripts/mock.ts', ['--port'], "error: Option '--port <value>' argument missing"],
  ])('%s %j', async (script, args, firstLine) => {
    const { code, stdout, stderr } = await runScript(script, args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toContain(firstLine);
    expect(stderr).toContain('Usage: npm ');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr).not.toContain('secret-canary');
  });

  it('prints --help on stdout and exits 0', async () => {
    for (const script of ['scripts/demo.ts', 'scripts/mock.ts']) {
      const { code, stdout } = await runScript(script, ['--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: npm /);
    }
  });
});
