import { describe, expect, it } from 'vitest';
import { DEXCOM_ENVIRONMENTS, isLoopbackHost, resolveEndpoint } from '../../src/environments.js';
import { DexcomConfigurationError } from '../../src/core/errors.js';

describe('resolveEndpoint', () => {
  it('defaults to the sandbox and knows the production regions', () => {
    expect(resolveEndpoint({})).toEqual({ environment: 'sandbox', baseUrl: 'https://sandbox-api.dexcom.com' });
    expect(resolveEndpoint({ environment: 'us' }).baseUrl).toBe('https://api.dexcom.com');
    expect(resolveEndpoint({ environment: 'eu' }).baseUrl).toBe('https://api.dexcom.eu');
    expect(resolveEndpoint({ environment: 'jp' }).baseUrl).toBe('https://api.dexcom.jp');
    expect(Object.keys(DEXCOM_ENVIRONMENTS)).toEqual(['sandbox', 'us', 'eu', 'jp']);
  });

  it('lets baseUrl override the environment and recognises a known host', () => {
    expect(resolveEndpoint({ environment: 'sandbox', baseUrl: 'https://api.dexcom.eu/' })).toEqual({ environment: 'eu', baseUrl: 'https://api.dexcom.eu' });
    expect(resolveEndpoint({ baseUrl: 'http://127.0.0.1:4010/dexcom/' })).toEqual({ environment: 'custom', baseUrl: 'http://127.0.0.1:4010/dexcom' });
  });

  it('refuses plain http to anything but loopback', () => {
    expect(() => resolveEndpoint({ baseUrl: 'http://api.dexcom.com' })).toThrow(/Refusing plain http/);
    expect(() => resolveEndpoint({ baseUrl: 'http://10.0.0.5:8080' })).toThrow(DexcomConfigurationError);
    expect(resolveEndpoint({ baseUrl: 'http://localhost:4010' }).baseUrl).toBe('http://localhost:4010');
    expect(resolveEndpoint({ baseUrl: 'http://[::1]:4010' }).baseUrl).toBe('http://[::1]:4010');
  });

  it('rejects unknown environments, relative URLs, credentials and other protocols with an example', () => {
    expect(() => resolveEndpoint({ environment: 'mars' as never })).toThrow(/use one of sandbox, us, eu, jp/);
    expect(() => resolveEndpoint({ baseUrl: 'api.dexcom.com' })).toThrow(/absolute URL/);
    expect(() => resolveEndpoint({ baseUrl: 'https://user:pw@api.dexcom.com' })).toThrow(/credentials/);
    expect(() => resolveEndpoint({ baseUrl: 'ftp://api.dexcom.com' })).toThrow(/https/);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['128.0.0.1', false],
    ['api.dexcom.com', false],
    ['127.0.0.1.example.com', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
