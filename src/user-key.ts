import { DexcomValidationError } from './core/errors.js';

/** Longest user key accepted, in UTF-16 code units. */
export const MAX_USER_KEY_LENGTH = 200;

/**
 * Throws a `DexcomValidationError` unless `userKey` is a non-empty string of at most 200 characters
 * without control characters. A user key is your own id for a user (it never leaves this process
 * except into your stores): the one rule for every token store, checkpoint store and `forUser()`.
 * Control characters are refused because a PostgreSQL `text` column cannot hold NUL and a key with
 * line breaks would forge log lines.
 *
 * @example
 * assertUserKey('patient-42');
 */
export function assertUserKey(userKey: unknown): asserts userKey is string {
  // eslint-disable-next-line no-control-regex
  if (typeof userKey !== 'string' || userKey === '' || userKey.length > MAX_USER_KEY_LENGTH || /[\u0000-\u001f\u007f-\u009f]/.test(userKey)) {
    throw new DexcomValidationError(
      `userKey must be a non-empty string of at most ${MAX_USER_KEY_LENGTH} characters without control characters, e.g. dexcom.forUser('patient-42')`,
    );
  }
}
