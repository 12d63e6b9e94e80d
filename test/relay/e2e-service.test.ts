/**
 * The relay as a child process (`dexcom-relay`, as `npm run relay` starts it) on embedded PGlite in a temp folder,
 * against the fake Dexcom OAuth server: a browser-style sign-in that follows Dexcom's redirect to
 * the relay's own callback, the management API through the generated client, refusals, and a
 * graceful stop on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createConfig } from '../../generated/relay/client/index.js';
import { createConnection, createSubscription, getConnection, getHealth, listSubscriptions } from '../../generated/relay/sdk.gen.js';
import { startFakeAuthServer, type FakeAuthServer } from '../support/fake-auth-server.js';

const root = resolve(import.meta.dirname, '../..');
const API_KEY = 'e2e-relay-key-0123456789abcdef';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe('dexcom-relay as a service', () => {
  let fake: FakeAuthServer;
  let dataDir: string;
  let child: ChildProcess;
  let url: string;
  let output = '';
  let exited: Promise<number | null>;

  beforeAll(async () => {
    fake = await startFakeAuthServer();
    dataDir = await mkdtemp(join(tmpdir(), 'dexcom-relay-e2e-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/relay/cli.ts', '--port', String(port), '--database', dataDir, '--dexcom-base-url', fake.url, '--client-id', fake.clientId, '--public-url', url, '--poll-interval', '1h', '--allow-private-targets'],
      { cwd: root, env: { ...process.env, DEXCOM_RELAY_API_KEY: API_KEY, DEXCOM_CLIENT_SECRET: fake.clientSecret }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (chunk) => (output += String(chunk)));
    child.stderr!.on('data', (chunk) => (output += String(chunk)));
    exited = new Promise((done) => child.once('exit', (code) => done(code)));
    const deadline = Date.now() + 120_000;
    while (!output.includes('dexcom-relay listening on')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the relay did not start:\n${output}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }, 150_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await fake?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('connects a user through Dexcom\'s redirect, registers a subscription, refuses bad keys and states, and stops on SIGTERM', async () => {
    const client = createClient(createConfig({ baseUrl: url, auth: API_KEY }));
    expect((await getHealth({ client })).data).toEqual({ status: 'ok' });
    expect((await listSubscriptions({ client: createClient(createConfig({ baseUrl: url, auth: 'wrong-key-0123456789abcdef' })) })).response.status).toBe(401);

    const { data: started } = await createConnection({ client, body: { userKey: 'patient-42' } });
    // The browser: Dexcom's login redirects to the relay's callback, which answers the page.
    const login = await fetch(started!.authorizationUrl, { redirect: 'manual' });
    const callback = login.headers.get('location')!;
    expect(callback.startsWith(`${url}/oauth/callback?`)).toBe(true);
    const page = await fetch(callback);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Connected');
    expect((await fetch(callback)).status).toBe(400);
    expect((await getConnection({ client, path: { userKey: 'patient-42' } })).data).toMatchObject({ status: 'active', reauthorizationRequired: false });

    const { data: subscription, response } = await createSubscription({ client, body: { url: 'http://127.0.0.1:9/hook' } });
    expect(response.status).toBe(201);
    expect(subscription!.secret).toMatch(/^whsec_/);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('dexcom-relay stopping (SIGTERM)');
    for (const secret of [API_KEY, fake.clientSecret, subscription!.secret, ...fake.issuedSecrets()]) expect(output).not.toContain(secret);
  }, 120_000);
});
