import { createHash } from 'node:crypto';

/**
 * A short, stable hash of a whole record: equal for equal content whatever the key order, different
 * when any field changes (a revised value, an event edited or deleted). 96 bits of SHA-256, base64url:
 * collisions are negligible for the few hundred records a checkpoint remembers.
 *
 * @example
 * recordFingerprint({ recordId: 'a', value: 1 }) === recordFingerprint({ value: 1, recordId: 'a' }); // true
 */
export function recordFingerprint(record: unknown): string {
  return createHash('sha256').update(canonicalJson(record)).digest('base64url').slice(0, 16);
}

/** JSON with object keys sorted at every level, so the hash ignores key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
