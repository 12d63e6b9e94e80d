/**
 * Validation helpers for the `resolveXOptions()` functions: each failure is a
 * `DexcomConfigurationError` whose message names the option and shows a correct example.
 */
import { DexcomConfigurationError } from '../src/core/errors.js';

/** Longest delay `setTimeout` supports; Node fires larger ones after 1 ms instead. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Throws unless `value` is an integer in `[min, max]`.
 *
 * @example
 * checkInteger(user.maxAttempts, 'retry.maxAttempts', 1, 10, '{ maxAttempts: 3 }');
 */
export function checkInteger(value: unknown, name: string, min: number, max: number, example: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new DexcomConfigurationError(
      `${name} must be an integer from ${min} to ${max} (got ${describe(value)}), e.g. ${example}`,
    );
  }
  return value;
}

/**
 * Throws unless `value` is a plain object (or `undefined`, which means "all defaults").
 *
 * @example
 * const user = checkObject(input, 'retry', '{ maxAttempts: 3 } or false');
 */
export function checkObject<T extends object>(value: T | undefined, name: string, example: string): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DexcomConfigurationError(`${name} must be an options object or false (got ${describe(value)}), e.g. ${example}`);
  }
  return value;
}

/** Short description of a rejected value for an error message (never its full content). */
function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
