import { inspect } from 'node:util';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as errors from '../../src/core/errors.js';
import {
  type AnyDexcomError,
  DEXCOM_ERROR_KINDS,
  DexcomAuthError,
  DexcomCircuitOpenError,
  DexcomConfigurationError,
  DexcomEnvironmentMismatchError,
  DexcomError,
  type DexcomErrorCode,
  DexcomInvalidResponseError,
  DexcomNetworkError,
  DexcomQueueFullError,
  DexcomRateLimitError,
  DexcomRedirectError,
  DexcomServerError,
  DexcomTimeoutError,
  DexcomValidationError,
  isDexcomError,
  isRetryable,
} from '../../src/core/errors.js';

/** A sample of every kind, built with the fields its constructor requires. */
function sampleOf(code: DexcomErrorCode): DexcomError {
  const Class = (errors as unknown as Record<string, new (message: string, details: object) => DexcomError>)[DEXCOM_ERROR_KINDS[code].className]!;
  return new Class(`a ${code} error`, {
    scope: 'attempt',
    timeoutMs: 10,
    retryAt: new Date(0),
    maxQueue: 3,
    tokenEnvironment: 'https://api.dexcom.com',
    clientEnvironment: 'https://api.dexcom.eu',
  });
}

const codes = Object.keys(DEXCOM_ERROR_KINDS) as DexcomErrorCode[];

describe('error kinds (one table)', () => {
  it.each(codes)('%s: a public class with its code, name, brand, instanceof and default retryable', (code) => {
    const kind = DEXCOM_ERROR_KINDS[code];
    const error = sampleOf(code);
    const Class = (errors as unknown as Record<string, abstract new (...args: never[]) => unknown>)[kind.className]!;
    expect(error).toBeInstanceOf(Class);
    expect(error).toBeInstanceOf(DexcomError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(kind.className);
    expect(error.code).toBe(code);
    expect(isDexcomError(error)).toBe(true);
    const expected = typeof kind.retryable === 'function' ? kind.retryable(error as never) : kind.retryable;
    expect(error.retryable).toBe(expected);
    expect(isRetryable(error)).toBe(expected);
    expect(error.toJSON()).toMatchObject({ name: kind.className, code, message: `a ${code} error`, retryable: expected });
  });

  it('has one class per code, 20 in all, each exported under its name', () => {
    const names = codes.map((code) => DEXCOM_ERROR_KINDS[code].className);
    expect(new Set(names).size).toBe(codes.length);
    expect(codes).toHaveLength(20);
    for (const name of names) expect(typeof (errors as Record<string, unknown>)[name]).toBe('function');
  });

  it('takes retryable from the thrower over the table, and derives it from fields where the table says so', () => {
    expect(new DexcomInvalidResponseError('too large', { retryable: false }).retryable).toBe(false);
    expect(new DexcomTimeoutError('t', { scope: 'attempt', timeoutMs: 1 }).retryable).toBe(true);
    expect(new DexcomTimeoutError('t', { scope: 'total', timeoutMs: 1 }).retryable).toBe(false);
    expect(new DexcomNetworkError('n').requestSent).toBe(true);
    expect(new DexcomNetworkError('n', { requestSent: false }).requestSent).toBe(false);
    expect(isRetryable(new Error('not ours'))).toBe(false);
    expect(isRetryable('503')).toBe(false);
  });

  it('puts each kind\'s fields in toJSON, dates as ISO strings', () => {
    const retryAt = new Date('2024-01-01T00:00:05Z');
    expect(new DexcomRateLimitError('r', { status: 429, retryAt, retryAfterMs: 5000 }).toJSON()).toMatchObject({ status: 429, retryAt: '2024-01-01T00:00:05.000Z', retryAfterMs: 5000 });
    expect(new DexcomCircuitOpenError('c', { retryAt }).toJSON()).toMatchObject({ retryAt: '2024-01-01T00:00:05.000Z' });
    expect(new DexcomQueueFullError('q', { maxQueue: 7 }).toJSON()).toMatchObject({ maxQueue: 7 });
    expect(new DexcomRedirectError('x', { status: 302, locationHost: 'evil.example:8443' }).toJSON()).toMatchObject({ locationHost: 'evil.example:8443' });
    expect(new DexcomEnvironmentMismatchError('e', { tokenEnvironment: 'a', clientEnvironment: 'b' }).toJSON()).toMatchObject({ tokenEnvironment: 'a', clientEnvironment: 'b' });
    // The limiter's cool-down refuses before sending: no response, so no status.
    expect(new DexcomRateLimitError('cooling down', { retryAt }).status).toBeUndefined();
  });

  it('recognises another copy of the package by the global brand, not by instanceof', () => {
    const foreign = Object.create({ [Symbol.for('dexcom-api-client.error')]: true }) as object;
    expect(isDexcomError(foreign)).toBe(true);
    expect(isDexcomError({ code: 'network' })).toBe(false);
    expect(isDexcomError(null)).toBe(false);
  });

  it('keeps the raw body readable but never prints it: JSON, inspect (even showHidden), spread, pino', () => {
    const error = new DexcomAuthError('unauthorized', { status: 401, body: { error: 'body-canary-77' } });
    expect(error.body).toEqual({ error: 'body-canary-77' });
    expect(Object.keys(error)).not.toContain('body');
    expect(JSON.stringify(error)).not.toContain('body-canary-77');
    expect(JSON.stringify({ ...error })).not.toContain('body-canary-77');
    expect(inspect(error)).not.toContain('body-canary-77');
    expect(inspect(error, { showHidden: true, depth: 10 })).not.toContain('body-canary-77');
    expect(inspect(error)).toContain('DexcomAuthError: unauthorized');
    const lines: string[] = [];
    pino({}, new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) })).error({ err: error }, 'failed');
    expect(lines.join('')).toContain('"code":"unauthorized"');
    expect(lines.join('')).not.toContain('body-canary-77');
  });
});

describe('error types', () => {
  it('narrows on code after the guard', () => {
    const error: unknown = new DexcomRateLimitError('r', { retryAt: new Date() });
    if (isDexcomError(error) && error.code === 'rate_limited') {
      expectTypeOf(error).toEqualTypeOf<DexcomRateLimitError>();
      expectTypeOf(error.retryAt).toEqualTypeOf<Date | undefined>();
    }
    if (isDexcomError(error) && error.code === 'timeout') {
      expectTypeOf(error.scope).toEqualTypeOf<'attempt' | 'total'>();
      expectTypeOf(error.timeoutMs).toEqualTypeOf<number>();
    }
    if (isDexcomError(error) && error.code === 'redirect') expectTypeOf(error.locationHost).toEqualTypeOf<string | undefined>();
    if (isDexcomError(error) && error.code === 'circuit_open') expectTypeOf(error.retryAt).toEqualTypeOf<Date>();
    if (isDexcomError(error) && error.code === 'network') expectTypeOf(error.requestSent).toEqualTypeOf<boolean>();
    if (isDexcomError(error)) {
      expectTypeOf(error).toEqualTypeOf<AnyDexcomError>();
      // @ts-expect-error retryAt exists only on the kinds that have it
      void error.retryAt;
    }
  });

  it('makes switch (error.code) exhaustive over every code', () => {
    const describeError = (error: AnyDexcomError): string => {
      switch (error.code) {
        case 'validation':
        case 'configuration':
        case 'bad_request':
        case 'unauthorized':
        case 'forbidden':
        case 'not_found':
        case 'http':
        case 'aborted':
        case 'invalid_response':
        case 'reauthorization_required':
        case 'token_store':
        case 'checkpoint_store':
          return error.message;
        case 'redirect':
          return `to ${error.locationHost}`;
        case 'rate_limited':
        case 'server':
          return `at ${error.retryAt?.toISOString()}`;
        case 'circuit_open':
          return error.retryAt.toISOString();
        case 'network':
          return String(error.requestSent);
        case 'timeout':
          return `${error.scope} ${error.timeoutMs}`;
        case 'queue_full':
          return String(error.maxQueue);
        case 'environment_mismatch':
          return error.tokenEnvironment;
        default: {
          const unreachable: never = error;
          return unreachable;
        }
      }
    };
    expect(describeError(new DexcomQueueFullError('q', { maxQueue: 2 }))).toBe('2');
    expectTypeOf<AnyDexcomError['code']>().toEqualTypeOf<DexcomErrorCode>();
  });

  it('requires the fields a kind needs, and only those', () => {
    // @ts-expect-error a timeout needs scope and timeoutMs
    void (() => new DexcomTimeoutError('t'));
    // @ts-expect-error an open circuit needs retryAt
    void (() => new DexcomCircuitOpenError('c', {}));
    // @ts-expect-error retryAt is not a field of a validation error
    void (() => new DexcomValidationError('v', { retryAt: new Date() }));
    expectTypeOf(new DexcomConfigurationError('c').code).toEqualTypeOf<'configuration'>();
    expectTypeOf(new DexcomServerError('s').retryAt).toEqualTypeOf<Date | undefined>();
  });
});
