/**
 * The login helper (`npm run login`) against the local fake authorization server: the full flow in
 * a child process (`npx tsx scripts/login.ts`), and the failure paths through its `main()`.
 * Nothing opens a browser and nothing leaves 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LoginIo, main } from '../../scripts/login.js';
import { type FakeAuthServer, startFakeAuthServer } from '../support/fake-auth-server.js';

let server: FakeAuthServer;
let directory: string;
beforeEach(async () => {
  server = await startFakeAuthServer();
  directory = await mkdtemp(join(tmpdir(), 'dexcom-login-'));
});
afterEach(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});

const LOGIN_URL = /(http:\/\/127\.0\.0\.1:\d+\/v[23]\/oauth2\/login\?\S+)/;

/** Follows the printed sign-in URL like a browser would: login page (302), then the redirect. */
async function browse(loginUrl: string, rewrite: (callback: URL) => URL = (url) => url): Promise<{ callback: URL; status: number; page: string }> {
  const login = await fetch(loginUrl, { redirect: 'manual' });
  expect(login.status).toBe(302);
  const callback = rewrite(new URL(login.headers.get('location')!));
  expect(callback.hostname).toBe('127.0.0.1');
  const landing = await fetch(callback);
  return { callback, status: landing.status, page: await landing.text() };
}

/** A LoginIo that records output and resolves `url` when the sign-in URL is printed. */
function captureIo(env: Record<string, string>): LoginIo & { out: string[]; err: string[]; url: Promise<string> } {
  const out: string[] = [];
  const err: string[] = [];
  let found!: (url: string) => void;
  const url = new Promise<string>((resolve) => {
    found = resolve;
  });
  return {
    out,
    err,
    url,
    env,
    stdout: (line) => {
      out.push(line);
      const match = LOGIN_URL.exec(line);
      if (match) found(match[1]!);
    },
    stderr: (line) => err.push(line),
  };
}

function expectNoSecrets(text: string, extra: string[] = []): void {
  for (const secret of [...server.issuedSecrets(), server.clientSecret, ...extra]) expect(text).not.toContain(secret);
}

describe('npm run login (child process)', () => {
  it('prints the URL, receives the redirect, exchanges the code and saves the tokens without printing a secret', async () => {
    const store = join(directory, 'tokens.json');
    const child = spawn(
      'npx',
      ['tsx', 'scripts/login.ts', '--base-url', server.url, '--client-id', server.clientId, '--redirect-port', '0', '--store', store, '--user-key', 'patient-1', '--timeout', '60'],
      { cwd: process.cwd(), env: { ...process.env, DEXCOM_CLIENT_SECRET: server.clientSecret, DEXCOM_CLIENT_ID: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const loginUrl = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = LOGIN_URL.exec(stdout);
        if (match) resolve(match[1]!);
      });
      child.on('exit', () => reject(new Error(`login exited early: ${stdout} ${stderr}`)));
    });

    const { callback, status, page } = await browse(loginUrl);
    expect(status).toBe(200);
    expect(page).toMatch(/Signed in/);
    expect(await exited).toBe(0);

    const code = callback.searchParams.get('code')!;
    expect(stdout).toMatch(/Signed in\. Tokens for user key "patient-1" saved to/);
    expectNoSecrets(stdout + stderr + page, [code]);
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.tokenRequests[0]!.form).toMatchObject({ grant_type: 'authorization_code', code, client_secret: server.clientSecret, redirect_uri: callback.origin + callback.pathname });

    expect((await stat(store)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(store, 'utf8'));
    expect(saved.users['patient-1']).toMatchObject({ version: 1, environment: server.url, reauthorizationRequired: false });
    expect(server.issuedSecrets()).toContain(saved.users['patient-1'].accessToken);
    expect(server.refreshTokenState(saved.users['patient-1'].refreshToken)).toBe('active');
  }, 30_000);
});

describe('login main()', () => {
  const args = (extra: string[] = []) => ['--base-url', server.url, '--client-id', server.clientId, '--redirect-port', '0', '--store', join(directory, 'tokens.json'), ...extra];

  it('a redirect with the wrong state gets a 400 page and an error exit; nothing is exchanged or saved', async () => {
    const io = captureIo({ DEXCOM_CLIENT_SECRET: server.clientSecret });
    const exit = main(args(), io);
    const { callback, status, page } = await browse(await io.url, (url) => {
      url.searchParams.set('state', 'forged-state');
      return url;
    });
    expect(status).toBe(400);
    expect(page).toMatch(/state mismatch/);
    expect(await exit).toBe(1);
    expect(io.err.join('\n')).toMatch(/state did not match/);
    expect(server.tokenRequests).toHaveLength(0);
    await expect(stat(join(directory, 'tokens.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    expectNoSecrets([...io.out, ...io.err, page].join('\n'), [callback.searchParams.get('code')!, 'forged-state']);
  });

  it('exits with a clear message when no redirect arrives in time', async () => {
    const io = captureIo({ DEXCOM_CLIENT_SECRET: server.clientSecret });
    expect(await main(args(['--timeout', '0.2']), io)).toBe(1);
    expect(io.out.join('\n')).toMatch(LOGIN_URL);
    expect(io.err.join('\n')).toMatch(/no redirect arrived within 0\.2 s; nothing was saved/);
  });

  it('reports a declined sign-in and a code the server rejects, without echoing them', async () => {
    const declined = captureIo({ DEXCOM_CLIENT_SECRET: server.clientSecret });
    const first = main(args(), declined);
    const { status } = await browse(await declined.url, (url) => {
      url.searchParams.delete('code');
      url.searchParams.set('error', 'access_denied');
      return url;
    });
    expect(status).toBe(400);
    expect(await first).toBe(1);
    expect(declined.err.join('\n')).toMatch(/error \(access_denied\); nothing was saved/);

    const rejected = captureIo({ DEXCOM_CLIENT_SECRET: server.clientSecret });
    const second = main(args(), rejected);
    const { callback, status: failed } = await browse(await rejected.url, (url) => {
      url.searchParams.set('code', 'US_not-a-code-the-server-issued');
      return url;
    });
    expect(failed).toBe(502);
    expect(await second).toBe(1);
    expect(rejected.err.join('\n')).toMatch(/Login failed: .*invalid_grant/);
    expectNoSecrets([...rejected.out, ...rejected.err].join('\n'), [callback.searchParams.get('code')!]);
  });

  it('usage errors exit 2 and never print the secret', async () => {
    const noSecret = captureIo({});
    expect(await main(args(), noSecret)).toBe(2);
    expect(noSecret.err.join('\n')).toMatch(/DEXCOM_CLIENT_SECRET/);

    const badEnv = captureIo({});
    expect(await main(['--env', 'mars', '--client-id', 'c', '--client-secret', 'cli-secret-value'], badEnv)).toBe(2);
    expect(badEnv.err.join('\n')).toMatch(/--env must be one of sandbox, us, eu, jp/);
    expect(badEnv.err.join('\n')).not.toContain('cli-secret-value');

    const help = captureIo({});
    expect(await main(['--help'], help)).toBe(0);
    expect(help.out.join('\n')).toMatch(/--redirect-port/);
  });
});
