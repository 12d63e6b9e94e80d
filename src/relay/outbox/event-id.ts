import { createHash } from 'node:crypto';
import type { RelayEventType } from '../relay-types.js';

/** One record version inside an event: its Dexcom `recordId` and a fingerprint of its content. */
export interface RecordVersion {
  readonly recordId: string;
  readonly fingerprint: string;
}

/**
 * The deterministic id of a webhook event (`webhook-id`): a hash of who, what kind and exactly
 * which record versions, so the same event gets the same id on every retry, after a restart and
 * when a window is read again. `evt_` + 128 bits, base64url.
 *
 * @example
 * eventId('patient-42', 'egvs', 'records.created', [{ recordId: 'e1', fingerprint: 'q2Xz0V9Yk1c3bA7e' }]); // 'evt_...'
 */
export function eventId(userKey: string, recordType: string, type: RelayEventType, records: readonly RecordVersion[]): string {
  const hash = createHash('sha256').update(JSON.stringify([userKey, recordType, type]));
  for (const r of records) hash.update(`\n${r.recordId}\u0000${r.fingerprint}`);
  return `evt_${hash.digest('base64url').slice(0, 22)}`;
}
