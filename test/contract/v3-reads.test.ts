import { describe, expect, it } from 'vitest';
import { DexcomAuthError, DexcomBadRequestError, DexcomRateLimitError, DexcomServerError, isDexcomError } from '../../src/index.js';
import { prismClient } from './client.js';

const DAY = 86_400_000;
const end = new Date('2024-03-31T00:00:00Z');
const start = new Date(end.getTime() - 7 * DAY);
// Prism answers every window with the spec's examples, which are from 2022; the range reads return
// only the records inside the range asked for, so they ask for that year.
const examplesStart = new Date('2022-01-01T00:00:00Z');
const examplesEnd = new Date('2023-01-01T00:00:00Z');

/**
 * Every v3 read through DexcomApiClient against Prism, which validates each request (query
 * pattern, required params, bearer token) and each response against the spec: a request Prism
 * rejects comes back as a 422 and fails the test as a DexcomBadRequestError.
 */
describe('v3 reads against the Prism mock', () => {
  const dexcom = prismClient();

  it('getGlucoseReadings returns the EGV records once each, sorted by systemTime', async () => {
    const readings = await dexcom.getGlucoseReadings(examplesStart, examplesEnd);
    expect(readings.length).toBeGreaterThanOrEqual(3);
    expect(new Set(readings.map((r) => r.recordId)).size).toBe(readings.length);
    const times = readings.map((r) => Date.parse(r.systemTime.endsWith('Z') || /[+-]\d\d:\d\d$/.test(r.systemTime) ? r.systemTime : `${r.systemTime}Z`));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const reading of readings) {
      expect(typeof reading.recordId).toBe('string');
      expect(reading.unit).toBeTypeOf('string');
    }
  });

  it('a range that holds none of the examples returns no records, although Prism sends them', async () => {
    await expect(dexcom.getGlucoseReadings(start, end)).resolves.toEqual([]);
    await expect(dexcom.getEvents(start, end)).resolves.toEqual([]);
  });

  it('a 90-day getGlucoseReadings makes exactly 3 valid requests with non-overlapping windows', async () => {
    const seen: string[] = [];
    const spy = prismClient({
      fetch: async (input, init) => {
        const request = new Request(input, init);
        const url = new URL(request.url);
        seen.push(`${url.searchParams.get('startDate')}..${url.searchParams.get('endDate')}`);
        return fetch(request);
      },
    });
    await spy.getGlucoseReadings(new Date(end.getTime() - 90 * DAY), end);
    expect(seen).toEqual([
      '2024-01-01T00:00:00..2024-01-31T00:00:00',
      '2024-01-31T00:00:00..2024-03-01T00:00:00',
      '2024-03-01T00:00:00..2024-03-31T00:00:00',
    ]);
  });

  it('getCalibrations', async () => {
    const calibrations = await dexcom.getCalibrations(examplesStart, examplesEnd);
    expect(calibrations.length).toBeGreaterThan(0);
    expect(calibrations[0]).toMatchObject({ recordId: expect.any(String), value: expect.any(Number) });
  });

  it('getEvents keeps event values as string or number and surfaces deleted events', async () => {
    const events = await dexcom.getEvents(examplesStart, examplesEnd);
    expect(events.length).toBeGreaterThan(1);
    expect(new Set(events.map((e) => typeof e.value))).toEqual(new Set(['number', 'string']));
    expect(events.some((e) => e.eventStatus === 'deleted')).toBe(true);
  });

  it('getAlerts', async () => {
    const alerts = await dexcom.getAlerts(examplesStart, examplesEnd);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts[0]).toMatchObject({ alertName: expect.any(String), alertState: expect.any(String) });
  });

  it('getDevices returns devices with alert schedules', async () => {
    const devices = await dexcom.getDevices();
    expect(devices.length).toBeGreaterThan(0);
    expect(Array.isArray(devices[0]!.alertSchedules)).toBe(true);
  });

  it('getDataRange, with and without lastSyncTime', async () => {
    const range = await dexcom.getDataRange();
    expect(range.egvs?.start.systemTime).toEqual(expect.any(String));
    const since = await dexcom.getDataRange({ lastSyncTime: new Date('2024-03-01T00:00:00Z') });
    expect(since.recordType).toEqual(expect.any(String));
  });
});

describe('failures against the Prism mock become typed errors', () => {
  it('a missing token is a DexcomAuthError with the status and raw body', async () => {
    const dexcom = prismClient({ accessToken: () => 'x' });
    const error = await dexcom.api
      .getDevicesV3({ headers: { authorization: '' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomAuthError);
    expect((error as DexcomAuthError).status).toBe(401);
  });

  it('Prefer: code=429 is a DexcomRateLimitError that is retryable', async () => {
    const error = await prismClient().api.getDevicesV3({ headers: { prefer: 'code=429' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomRateLimitError);
    expect(isDexcomError(error) && error.retryable).toBe(true);
    // Retried after Prism's `Retry-After: 1` until the default 3 attempts were used up.
    expect((error as DexcomRateLimitError).attempts.map((a) => a.status)).toEqual([429, 429, 429]);
    expect((error as DexcomRateLimitError).retryAfterMs).toBe(1000);
  });

  it('Prefer: code=500 is a DexcomServerError', async () => {
    const error = await prismClient({ retry: { initialDelayMs: 10 } }).api.getDevicesV3({ headers: { prefer: 'code=500' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomServerError);
    expect((error as DexcomServerError).attempts.map((a) => a.status)).toEqual([500, 500, 500]);
  });

  it('a request that breaks the spec is rejected by Prism and surfaces as a DexcomBadRequestError', async () => {
    const error = await prismClient()
      .api.getEstimatedGlucoseValuesV3({ query: { startDate: '2024-01-01T00:00:00Z', endDate: '2024-01-02T00:00:00' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomBadRequestError);
    // Prism answers a request violation with the spec's 400 response (422 when none is declared).
    expect([400, 422]).toContain((error as DexcomBadRequestError).status);
  });
});
