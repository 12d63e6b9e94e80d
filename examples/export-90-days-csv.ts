/**
 * The last 90 days of one user's glucose readings as CSV on stdout.
 *
 *   DEXCOM_ACCESS_TOKEN=... npx tsx examples/export-90-days-csv.ts > readings.csv
 *
 * Reads the sandbox unless DEXCOM_ENVIRONMENT says us, eu or jp. 90 days take 3 requests
 * (Dexcom answers at most 30 days per request); each reading appears once, oldest first.
 */
import { DexcomApiClient, type DexcomEnvironment, isDexcomError, mgdlToMmol } from 'dexcom-api-client';

const accessToken = process.env.DEXCOM_ACCESS_TOKEN;
if (!accessToken) {
  console.error('Set DEXCOM_ACCESS_TOKEN (npm run login in the repository gets one for the sandbox).');
  process.exit(2);
}
const dexcom = new DexcomApiClient({ environment: (process.env.DEXCOM_ENVIRONMENT ?? 'sandbox') as DexcomEnvironment, accessToken });

const end = new Date();
const start = new Date(end.getTime() - 90 * 86_400_000);
try {
  const readings = await dexcom.getGlucoseReadings(start, end);
  console.log('systemTime,displayTime,mg_dl,mmol_l,trend');
  for (const r of readings) {
    const mmol = typeof r.value === 'number' ? mgdlToMmol(r.value) : '';
    console.log([r.systemTime, r.displayTime, r.value ?? '', mmol, r.trend ?? ''].join(','));
  }
  console.error(`${readings.length} readings from ${start.toISOString()} to ${end.toISOString()}`);
} catch (error) {
  // Messages never hold tokens; `code` tells what happened.
  console.error(isDexcomError(error) ? `Dexcom: ${error.message} [${error.code}]` : error);
  process.exitCode = 1;
}
