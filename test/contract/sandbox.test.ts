import { describe, expect, it } from 'vitest';
import { DexcomApiClient } from '../../src/index.js';

/**
 * The same reads against Dexcom's real sandbox, opt-in: set DEXCOM_SANDBOX_ACCESS_TOKEN to an
 * access token of a sandbox user (see README, "Contract tests against the Dexcom sandbox").
 * Without it these tests are skipped and nothing leaves this machine.
 */
const token = process.env.DEXCOM_SANDBOX_ACCESS_TOKEN;
const DAY = 86_400_000;

describe.skipIf(!token)('Dexcom sandbox (opt-in: set DEXCOM_SANDBOX_ACCESS_TOKEN to run)', () => {
  const dexcom = new DexcomApiClient({ environment: 'sandbox', accessToken: token ?? '' });
  const end = new Date();
  const start = new Date(end.getTime() - 45 * DAY);

  it('getDataRange', async () => {
    const range = await dexcom.getDataRange();
    expect(range.recordVersion).toEqual(expect.any(String));
  });

  it('getGlucoseReadings over 45 days (two windows)', async () => {
    const readings = await dexcom.getGlucoseReadings(start, end);
    expect(new Set(readings.map((r) => r.recordId)).size).toBe(readings.length);
  });

  it('getCalibrations, getEvents, getAlerts, getDevices', async () => {
    await expect(dexcom.getCalibrations(start, end)).resolves.toEqual(expect.any(Array));
    await expect(dexcom.getEvents(start, end)).resolves.toEqual(expect.any(Array));
    await expect(dexcom.getAlerts(start, end)).resolves.toEqual(expect.any(Array));
    await expect(dexcom.getDevices()).resolves.toEqual(expect.any(Array));
  });
});

if (!token) {
  console.info('Dexcom sandbox contract tests skipped: set DEXCOM_SANDBOX_ACCESS_TOKEN to run them against https://sandbox-api.dexcom.com.');
}
