import { describe, expect, it } from 'vitest';
import { DexcomServerError, DexcomValidationError } from '../../src/index.js';
import { checkCorrelationId } from '../../plugins/correlation.js';
import { devicesBody, json, scriptedClient } from './scripted-client.js';

describe('correlation ids', () => {
  it('sends one id per call, stable across retries, with the attempt number, and puts it on events and errors', async () => {
    const { dexcom, requests } = scriptedClient([json({}, 503)]);
    const seen: string[] = [];
    dexcom.events.on('retry', (e) => seen.push(e.invocationId));
    const error = (await dexcom.getDevices().catch((e: unknown) => e)) as DexcomServerError;
    const ids = requests.map((r) => r.headers.get('x-correlation-id'));
    expect(new Set(ids).size).toBe(1);
    expect(requests.map((r) => r.headers.get('x-correlation-attempt'))).toEqual(['1', '2', '3']);
    expect(error.invocationId).toBe(ids[0]);
    expect(seen).toEqual([ids[0], ids[0]]);
  });

  it('takes the id from the caller, per read or per generated call', async () => {
    const { dexcom, requests } = scriptedClient([json(devicesBody)]);
    await dexcom.getDevices({ correlationId: 'job-7' });
    await dexcom.api.getDevicesV3({ headers: { 'x-correlation-id': 'job-8' } });
    expect(requests.map((r) => r.headers.get('x-correlation-id'))).toEqual(['job-7', 'job-8']);
  });

  it('uses a configured header name, can drop the attempt header, and can be turned off entirely', async () => {
    const custom = scriptedClient([json(devicesBody)], { correlation: { header: 'X-Request-Id', attemptHeader: false } });
    await custom.dexcom.getDevices({ correlationId: 'abc' });
    expect(custom.requests[0]!.headers.get('x-request-id')).toBe('abc');
    expect(custom.requests[0]!.headers.has('x-correlation-attempt')).toBe(false);

    const off = scriptedClient([json(devicesBody)], { correlation: false });
    const ids: string[] = [];
    off.dexcom.events.on('call-end', (e) => ids.push(e.invocationId));
    await off.dexcom.getDevices({ correlationId: 'kept-local' });
    expect([...off.requests[0]!.headers.keys()].filter((k) => k.startsWith('x-correlation'))).toEqual([]);
    expect(ids).toEqual(['kept-local']);
  });

  it('rejects invalid header names with an example', () => {
    expect(() => scriptedClient([], { correlation: { header: 'bad header' } })).toThrow(/valid header names, e.g./);
    expect(() => scriptedClient([], { correlation: { header: 'Authorization' } })).toThrow(/valid header names/);
  });
});

describe('checkCorrelationId', () => {
  it('accepts 1 to 128 visible ASCII characters and refuses anything that could break a header or a log line', () => {
    expect(checkCorrelationId('job-42')).toBe('job-42');
    expect(checkCorrelationId('x'.repeat(128))).toHaveLength(128);
    for (const bad of ['a\r\nx-evil: 1', 'a\nb', 'a b', '', 'x'.repeat(129), 'caf\u00e9', 'nul\u0000']) {
      expect(() => checkCorrelationId(bad)).toThrow(DexcomValidationError);
    }
    // The message says what is wrong without repeating the value.
    expect(() => checkCorrelationId('secret\r\nx')).toThrow(/^correlationId must be 1 to 128 visible ASCII characters.*\(got 9 characters\)$/);
  });
});
