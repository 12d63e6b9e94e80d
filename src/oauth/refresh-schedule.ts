import { createHash } from 'node:crypto';
import type { TokenRecord } from './token-record.js';

/**
 * When a stored access token should be refreshed (epoch ms): `refreshMarginMs` before it
 * expires, shifted by up to `± refreshJitterMs`, and never earlier than half-way through its
 * lifetime (a short-lived token would otherwise be refreshed on every call).
 *
 * The shift is derived from the user key and the record's version rather than drawn at random on
 * every call: each token gets one fixed refresh time (calls do not disagree about whether it is
 * due), while different users and successive tokens still spread out.
 *
 * @example
 * if (Date.now() >= refreshDueAt(record, 'patient-42', 300_000, 30_000)) await refresh();
 */
export function refreshDueAt(record: TokenRecord, userKey: string, refreshMarginMs: number, refreshJitterMs: number): number {
  const shift = refreshJitterMs === 0 ? 0 : Math.round((unitHash(`${userKey}\u0000${record.version}`) * 2 - 1) * refreshJitterMs);
  const halfLife = Math.max(0, (record.expiresAt - record.updatedAt) / 2);
  return record.expiresAt - Math.min(Math.max(0, refreshMarginMs + shift), halfLife);
}

/** A number in [0, 1) from the first 48 bits of a SHA-256 of `text`. */
function unitHash(text: string): number {
  return createHash('sha256').update(text).digest().readUIntBE(0, 6) / 2 ** 48;
}
