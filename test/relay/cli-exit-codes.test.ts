import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules/tsx/dist/cli.mjs');
const API_KEY = 'cli-test-key-0123456789abcdef';
const SECRET = 'client-secret-canary-0123';

async function runRelay(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const environment: Record<string, string | undefined> = { ...process.env, DEXCOM_RELAY_API_KEY: API_KEY, DEXCOM_CLIENT_SECRET: SECRET, ...env };
  for (const [key, value] of Object.entries(environment)) if (value === undefined) delete environment[key];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [tsx, 'src/relay/cli.ts', ...args], { cwd: root, env: environment, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('dexcom-relay answers bad input with one line, the usage and exit code 2', () => {
  it.each([
    ['an unknown flag', ['--client-id', 'abc', '--bogus'], {}, "error: Unknown option '--bogus'"],
    ['a missing flag value', ['--client-id', 'abc', '--port'], {}, "error: Option '--port <value>' argument missing"],
    ['a bad port', ['--client-id', 'abc', '--port', '99999'], {}, 'error: --port must be a whole number from 0 to 65535 (got "99999")'],
    ['a bad poll interval', ['--client-id', 'abc', '--poll-interval', '5 minutes'], {}, 'error: --poll-interval must be a duration from 1s to 24h such as 2s, 5m or 1h (got "5 minutes")'],
    ['a poll interval too short', ['--client-id', 'abc', '--poll-interval', '10ms'], {}, 'error: --poll-interval must be a duration from 1s to 24h'],
    ['an unknown environment', ['--client-id', 'abc', '--environment', 'mars'], {}, 'error: --environment: Unknown environment "mars"'],
    ['both an environment and a base URL', ['--client-id', 'abc', '--environment', 'us', '--dexcom-base-url', 'http://127.0.0.1:1'], {}, 'error: Give --environment or --dexcom-base-url, not both'],
    ['a plain-http public URL off loopback', ['--client-id', 'abc', '--public-url', 'http://relay.example.com'], {}, 'error: --public-url must use https'],
    ['no public URL on a public address', ['--client-id', 'abc', '--host', '0.0.0.0'], {}, 'error: --public-url is required when listening on 0.0.0.0'],
    ['no client id', [], {}, 'error: --client-id is required'],
    ['no API key', ['--client-id', 'abc'], { DEXCOM_RELAY_API_KEY: undefined }, 'error: DEXCOM_RELAY_API_KEY must be set'],
    ['a short API key', ['--client-id', 'abc'], { DEXCOM_RELAY_API_KEY: 'short' }, 'error: DEXCOM_RELAY_API_KEY must be set to a key of at least 16 characters'],
    ['no client secret', ['--client-id', 'abc'], { DEXCOM_CLIENT_SECRET: undefined }, 'error: DEXCOM_CLIENT_SECRET must be set'],
  ])('%s', async (_what, args, env, firstLine) => {
    const { code, stdout, stderr } = await runRelay(args, env);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toContain(firstLine);
    expect(stderr).toContain('Usage: dexcom-relay');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr).not.toContain(SECRET);
    expect(stderr).not.toContain(API_KEY);
  });

  it('prints --help on stdout and exits 0, without needing a key', async () => {
    const { code, stdout } = await runRelay(['--help'], { DEXCOM_RELAY_API_KEY: undefined });
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: dexcom-relay');
    expect(stdout).toContain('--poll-interval');
  });
});
