import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryAfterOf } from '../../src/core/retry-after.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['2', 2_000],
    [' 120 ', 120_000],
    ['0.2', 200],
    ['1.0005', 1_001], // rounded up: never shorter than asked
  ])('reads delta-seconds %j as %i ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it.each([
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000], // IMF-fixdate
    ['Thursday, 01-Jan-26 00:01:00 GMT', 60_000], // obsolete RFC 850
    ['Thu Jan  1 00:00:05 2026', 5_000], // asctime, which HTTP defines as UTC
    ['thu, 01 jan 2026 00:00:30 gmt', 30_000], // case-insensitive
  ])('reads the HTTP-date %j relative to now', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it('gives 0 for an HTTP-date in the past', () => {
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', NOW)).toBe(0);
  });

  it.each([undefined, null, '', '   ', 'soon', '-1', '1e3', '0x10', '+5', '5s', 'Thu, 01 Jan 2026 00:00:30 PST', 'Thu, 99 Foo 2026 00:00:30 GMT', '1'.repeat(400)])(
    'ignores the unusable value %j',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );
});

describe('retryAfterOf', () => {
  it('reads the header of a response', () => {
    expect(retryAfterOf(new Response(null, { status: 429, headers: { 'Retry-After': '3' } }), NOW)).toBe(3_000);
    expect(retryAfterOf(new Response(null, { status: 429 }), NOW)).toBeUndefined();
  });
});
