/**
 * The debug body log never prints what the request carried, even when the server echoes it: the
 * client secret, the authorization code, the refresh token, the bearer token and secret query
 * values. And a logger or a metrics registry that throws never breaks a call or the process.
 */
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { InMemoryTokenStore } from '../../src/index.js';
import { devicesBody, json, scriptedClient } from './scripted-client.js';

const CLIENT_SECRET = 'canary-client-secret-7f3e9a';
const CODE = 'canary-auth-code-51c2d8';
const REFRESH = 'canary-refresh-token-93b1aa';
const ACCESS = 'canary-access-token-0e4f77';

function bufferLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

/** A token endpoint that echoes every form value it received in its error description. */
async function echoingTokenEndpoint(request: Request): Promise<Response> {
  if (!new URL(request.url).pathname.endsWith('/oauth2/token')) return json(devicesBody);
  const form = new URLSearchParams(await request.text());
  const echoed = [...form.values()].join(' ');
  return json({ error: 'invalid_grant', error_description: `rejected: ${echoed}`, echo: Object.fromEntries(form) }, 400);
}

describe('logging with logBodies', () => {
  it('cuts every value the token request sent out of the attempt lines, the response body included', async () => {
    const { logger, lines } = bufferLogger();
    const tokenStore = new InMemoryTokenStore();
    await tokenStore.compareAndSet('u1', undefined, {
      accessToken: ACCESS,
      refreshToken: REFRESH,
      expiresAt: Date.now() - 60_000,
      environment: 'http://127.0.0.1:9',
      version: 1,
      reauthorizationRequired: false,
      updatedAt: Date.now() - 7_200_000,
    } as never);
    const { dexcom } = scriptedClient([echoingTokenEndpoint], {
      accessToken: undefined,
      logger,
      logging: { level: 'debug', logBodies: true },
      oauth: { clientId: 'canary-client-id-2b', clientSecret: CLIENT_SECRET, redirectUri: 'http://127.0.0.1:8787/cb', tokenStore, refreshRetry: { maxAttempts: 1 } },
    });
    await expect(dexcom.oauth.exchangeCode({ userKey: 'u2', code: CODE })).rejects.toThrow();
    await expect(dexcom.forUser('u1').getDevices()).rejects.toThrow();

    const attempts = lines.filter((l) => l.msg === 'dexcom attempt');
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    // The bodies are there (so the scrub is what hides the canaries, not a missing body).
    expect(attempts.some((l) => typeof (l.responseBody as { error_description?: string } | undefined)?.error_description === 'string')).toBe(true);
    expect(attempts.some((l) => (l.requestBody as { grant_type?: string } | undefined)?.grant_type === 'authorization_code')).toBe(true);
    const text = JSON.stringify(lines);
    for (const canary of [CLIENT_SECRET, CODE, REFRESH, ACCESS, 'canary-client-id-2b']) expect(text).not.toContain(canary);
  });

  it('never carries the Request or the Response on attempt-end, only facts', async () => {
    const { dexcom } = scriptedClient([json(devicesBody)], { accessToken: ACCESS, rateLimit: { capacity: 5, refillPerInterval: 5, intervalMs: 1_000 } });
    const events: unknown[] = [];
    dexcom.events.on('attempt-end', (e) => events.push(e));
    await dexcom.getDevices();
    expect(events).toHaveLength(1);
    const [event] = events as Array<Record<string, unknown>>;
    expect(event).toMatchObject({ operationId: 'getDevicesV3', attempt: 1, status: 200, durationMs: expect.any(Number), limiterWaitMs: expect.any(Number) });
    expect(event).not.toHaveProperty('request');
    expect(event).not.toHaveProperty('response');
    expect(event?.detail).toBeUndefined();
    expect(JSON.stringify(event)).not.toContain(ACCESS);
  });
});

describe('a throwing logger or metrics registry', () => {
  it('breaks neither the call nor the process: the lines are dropped and counted (child process exits 0)', async () => {
    const script = fileURLToPath(new URL('./fixtures/throwing-observers.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { timeout: 60_000 });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { records: number; dropped: { logLines: number; metricUpdates: number } };
    expect(report.records).toBe(0);
    expect(report.dropped.logLines).toBeGreaterThan(0);
    expect(report.dropped.metricUpdates).toBeGreaterThan(0);
  });

  it('keeps a call working in process while every line throws', async () => {
    const throwing = () => {
      throw new Error('log sink broken');
    };
    const logger = { trace: throwing, debug: throwing, info: throwing, warn: throwing, error: throwing };
    const { dexcom } = scriptedClient([json({}, 503), json(devicesBody)], { logger, logging: { level: 'trace', logBodies: true } });
    await expect(dexcom.getDevices()).resolves.toEqual([]);
    const { dropped } = await dexcom.stats();
    expect(dropped.logLines).toBeGreaterThanOrEqual(4);
    expect(dropped.metricUpdates).toBe(0);
  });
});
