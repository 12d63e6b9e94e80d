import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DexcomCircuitOpenError, DexcomServerError } from '../../src/index.js';
import { devicesBody, json, scriptedClient, type WireAnswer } from './scripted-client.js';

/** A real pino logger writing JSON lines into an array. */
function bufferLogger(level = 'trace') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function client(answers: WireAnswer[], logLevel: 'debug' | 'info' = 'debug', extra = {}) {
  const { logger, lines } = bufferLogger();
  const { dexcom, requests } = scriptedClient(answers, { logger, logging: { level: logLevel, bindings: { service: 'test' } }, ...extra });
  return { dexcom, requests, lines };
}

describe('logging', () => {
  it('writes one attempt line and one call line with the correlation id, path template and redacted headers', async () => {
    const { dexcom, lines } = client([json(devicesBody)]);
    await dexcom.getDevices({ correlationId: 'corr-42' });
    await flush();
    expect(lines.map((l) => l.msg)).toEqual(['dexcom attempt', 'dexcom call succeeded']);
    const [attempt, call] = lines;
    expect(attempt).toMatchObject({
      level: 20,
      component: 'dexcom-api-client',
      service: 'test',
      correlationId: 'corr-42',
      operationId: 'getDevicesV3',
      method: 'GET',
      path: '/v3/users/self/devices',
      attempt: 1,
      status: 200,
      breakerState: 'closed',
      requestHeaders: { authorization: '[REDACTED]', 'x-correlation-id': 'corr-42', 'x-correlation-attempt': '1' },
    });
    expect(call).toMatchObject({ level: 30, correlationId: 'corr-42', attempts: 1, status: 200, outcome: 'success', durationMs: expect.any(Number) });
    expect(JSON.stringify(lines)).not.toContain('token-1');
  });

  it('logs a retry then success: failed attempt at warn, the retry with its delay, the success', async () => {
    const { dexcom, lines } = client([json({ error: 'down' }, 503), json(devicesBody)]);
    await dexcom.getDevices();
    await flush();
    expect(lines.map((l) => [l.msg, l.level, l.attempt ?? l.attempts])).toEqual([
      ['dexcom attempt', 40, 1],
      ['dexcom retry scheduled', 40, 1],
      ['dexcom attempt', 20, 2],
      ['dexcom call succeeded', 30, 2],
    ]);
    expect(lines[1]).toMatchObject({ retryDelayMs: 1, reason: 'status', status: 503 });
    const ids = new Set(lines.map((l) => l.correlationId));
    expect(ids.size).toBe(1);
  });

  it('logs a give-up and the failed call with the error code, at info level leaving out debug lines', async () => {
    const { dexcom, lines } = client([json({ error: 'down' }, 503)], 'info');
    await expect(dexcom.getDevices()).rejects.toThrow(DexcomServerError);
    await flush();
    expect(lines.map((l) => l.msg)).toEqual([
      'dexcom attempt',
      'dexcom retry scheduled',
      'dexcom attempt',
      'dexcom retry scheduled',
      'dexcom attempt',
      'dexcom retries given up',
      'dexcom call failed',
    ]);
    expect(lines.at(-1)).toMatchObject({ level: 50, outcome: 'server', status: 503, attempts: 3, err: { name: 'DexcomServerError', code: 'server' } });
    expect(lines[0]).not.toHaveProperty('requestHeaders');
  });

  it('logs the breaker opening and calls failing fast while it is open', async () => {
    const { dexcom, lines } = client([json({}, 500)], 'info', { retry: false, circuitBreaker: { threshold: 2, halfOpenAfterMs: 60_000 } });
    await expect(dexcom.getDevices()).rejects.toThrow(DexcomServerError);
    await expect(dexcom.getDevices()).rejects.toThrow(DexcomServerError);
    await expect(dexcom.getDevices()).rejects.toThrow(DexcomCircuitOpenError);
    await flush();
    const opened = lines.find((l) => l.msg === 'dexcom circuit breaker opened');
    expect(opened).toMatchObject({ level: 50, breakerState: 'open', reason: 'status-500', retryAt: expect.any(String) });
    expect(lines.at(-1)).toMatchObject({ msg: 'dexcom call failed', outcome: 'circuit_open', attempts: 0 });
  });

  it('logs throttling by the rate limiter with the wait', async () => {
    const { dexcom, lines } = client([json(devicesBody)], 'debug', { rateLimit: { capacity: 1, refillPerInterval: 1, intervalMs: 20 } });
    await Promise.all([dexcom.getDevices(), dexcom.getDevices()]);
    await flush();
    expect(lines.some((l) => l.msg === 'dexcom request queued by the rate limiter')).toBe(true);
    const throttled = lines.find((l) => l.msg === 'dexcom rate limiter throttling');
    expect(throttled).toMatchObject({ level: 40, reason: 'bucket-empty', limiterWaitMs: expect.any(Number) });
    const waitedCall = lines.filter((l) => l.msg === 'dexcom call succeeded').find((l) => l.limiterWaitMs !== undefined);
    expect(waitedCall).toBeDefined();
  });

  it('logs bodies only when asked, with every x-sensitive field redacted', async () => {
    const body = { recordType: 'egv', recordVersion: '3.0', userId: 'user-secret-id', records: [{ recordId: 'r1', systemTime: '2024-01-01T00:00:00', value: 187, transmitterId: 'tx-secret' }] };
    const { logger, lines } = bufferLogger();
    const { dexcom } = scriptedClient([json(body)], { logger, logging: { level: 'debug', logBodies: true } });
    await dexcom.getGlucoseReadings(new Date('2024-01-01Z'), new Date('2024-01-02Z'));
    await flush();
    const attempt = lines.find((l) => l.msg === 'dexcom attempt');
    expect(attempt?.responseBody).toEqual({ recordType: 'egv', recordVersion: '3.0', userId: '[REDACTED]', records: [{ recordId: 'r1', systemTime: '2024-01-01T00:00:00', value: '[REDACTED]', transmitterId: '[REDACTED]' }] });
    expect(attempt?.query).toEqual({ startDate: '2024-01-01T00:00:00', endDate: '2024-01-02T00:00:00' });
    const text = JSON.stringify(lines);
    for (const secret of ['user-secret-id', 'tx-secret', '187']) expect(text).not.toContain(secret);
  });

  it('never changes the app logger and writes nothing without a logger or below the level', async () => {
    const { logger, lines } = bufferLogger();
    const before = JSON.stringify(Object.keys(logger));
    const { dexcom } = scriptedClient([json(devicesBody)], { logger, logging: { level: 'silent' } });
    await dexcom.getDevices();
    expect(lines).toEqual([]);
    expect(JSON.stringify(Object.keys(logger))).toBe(before);
    expect(() => scriptedClient([], { logging: { level: 'loud' as never } })).toThrow(/logging.level must be one of/);
  });
});
