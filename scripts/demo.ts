/**
 * The main job (`npm start`): fetches the last 7 days of glucose readings and the devices with
 * DexcomApiClient and prints a short summary. Without --base-url it starts the Prism mock of the
 * spec in this process, so it runs on a fresh clone with nothing else to start.
 *
 *   npm start                                              # against the embedded mock
 *   npm start -- --base-url https://sandbox-api.dexcom.com --token <access token>
 *   DEXCOM_BASE_URL=... DEXCOM_ACCESS_TOKEN=... npm start
 *   npm start -- --verbose                                 # also print the SDK's log lines (pino, stderr)
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { DAY_MS } from '../src/dates.js';
import { DexcomApiClient, isDexcomError } from '../src/index.js';
import { sparkline, summarizeGlucose } from './glucose-summary.ts';
import { startPrismMock } from './prism-server.ts';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'base-url': { type: 'string' },
      token: { type: 'string' },
      days: { type: 'string', default: '7' },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('Usage: npm start [-- --base-url URL --token TOKEN --days N --verbose]\n(env: DEXCOM_BASE_URL, DEXCOM_ACCESS_TOKEN)');
    return 0;
  }
  const days = Number(values.days);
  if (!Number.isFinite(days) || days <= 0) {
    console.error('--days must be a positive number, e.g. --days 7');
    return 2;
  }
  const baseUrl = values['base-url'] ?? process.env.DEXCOM_BASE_URL;
  const token = values.token ?? process.env.DEXCOM_ACCESS_TOKEN;
  if (baseUrl && !token) {
    console.error('A --base-url needs an access token: pass --token or set DEXCOM_ACCESS_TOKEN.');
    return 2;
  }

  const prism = baseUrl ? undefined : await startPrismMock();
  try {
    const target = baseUrl ?? prism!.url;
    console.log(prism ? `Dexcom API mock (Prism, from spec/dexcom.openapi.yaml) at ${target}` : `Dexcom API at ${target}`);
    const registry = new Registry();
    const dexcom = new DexcomApiClient({
      baseUrl: target,
      accessToken: token ?? 'demo-token',
      metrics: { registry, clientName: 'demo' },
      ...(values.verbose ? { logger: pino({ level: 'debug' }, pino.destination(2)), logging: { level: 'debug' as const } } : {}),
    });

    const end = new Date();
    const start = new Date(end.getTime() - days * DAY_MS);
    const [readings, devices] = await Promise.all([dexcom.getGlucoseReadings(start, end), dexcom.getDevices()]);
    const mgdl = readings.map((r) => r.value).filter((v): v is number => typeof v === 'number');
    const summary = summarizeGlucose(mgdl);

    console.log(`\nLast ${days} days (${start.toISOString().slice(0, 16)}Z to ${end.toISOString().slice(0, 16)}Z)`);
    console.log(`  readings        ${summary.count}`);
    if (summary.count > 0) {
      console.log(`  mean            ${summary.meanMgdl!.toFixed(0)} mg/dL (min ${summary.min}, max ${summary.max})`);
      console.log(`  time in range   ${(summary.timeInRange! * 100).toFixed(0)}% (70-180 mg/dL)`);
      console.log(`  trace           ${sparkline(mgdl)}`);
    }
    console.log(`  devices         ${devices.map((d) => `${d.transmitterGeneration} on ${d.displayDevice}`).join(', ') || 'none'}`);

    const stats = await dexcom.stats();
    console.log(`\nClient: ${stats.calls.calls} calls, ${stats.calls.attempts} wire attempts, ${stats.calls.retries} retries, breaker ${stats.circuitBreaker?.state}, ${Math.floor(stats.rateLimiter?.tokens ?? 0)} rate-limit tokens left`);
    console.log('Metrics (prom-client, non-zero series):');
    for (const line of (await registry.metrics()).split('\n')) {
      if (line.startsWith('dexcom_') && !line.includes('_bucket') && !line.endsWith(' 0')) console.log(`  ${line}`);
    }
    return 0;
  } catch (error) {
    console.error(isDexcomError(error) ? `Failed: ${error.message} [${error.code}]` : error);
    return 1;
  } finally {
    await prism?.close();
  }
}

process.exitCode = await main();
