import { FakeDexcomData } from '../../test/support/fake-dexcom-server.js';

const DAY = 86_400_000;

/** The day the overhead benchmark asks for (any fixed day works: the fake is deterministic). */
export const PAGE_DAY = { startDate: '2024-05-01T00:00:00', endDate: '2024-05-02T00:00:00' } as const;

/** Records in one day of EGVs: one every 5 minutes. */
export const PAGE_RECORDS = 288;

/**
 * One day of EGVs as Dexcom's v3 egvs endpoint answers it: 288 records with the fake server's
 * realistic fields (64-hex transmitter id, offsets in displayTime, trend fields), serialised once.
 *
 * @example
 * const body = egvsDayPage(); // ~110 KB of JSON
 */
export function egvsDayPage(): Buffer {
  const from = Date.parse(`${PAGE_DAY.startDate}Z`);
  const data = new FakeDexcomData({ dataStart: new Date(from), dataEnd: new Date(from + DAY) });
  const records = data.recordsIn('egvs', from, from + DAY);
  return Buffer.from(JSON.stringify({ recordType: 'egv', recordVersion: '3.0', userId: 'fake-user', records }));
}
