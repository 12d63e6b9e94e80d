/**
 * The main job (`npm start`): reads the newest N days of glucose readings and the devices with
 * DexcomApiClient and prints a short summary. Without --base-url it starts the Prism mock of the
 * spec in this process, so it runs on a fresh clone with nothing else to start.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { DAY_MS } from '../src/dates.js';
import { DexcomApiClient, type DataRangeResponse, parseDexcomTimestamp } from '../src/index.js';
import { isLoopbackHost } from '../src/core/loopback.ts';
import { summarizeGlucose, trendArrow } from '../src/glucose/index.js';
import { startPrismMock } from '../src/testing/prism-mock.ts';
import { integerFlag, parseCommandLine, runCommand, UsageError } from './cli/command-line.ts';
import { metricsTable } from './cli/metrics-table.ts';
import { progressLine } from './cli/progress.ts';
import { sparkline } from './cli/sparkline.ts';

const USAGE = `Usage: npm start [-- options]

Reads the newest days of glucose readings and the devices, and prints a summary.
Without --base-url it reads the Prism mock of spec/dexcom.openapi.yaml, started in this process.

  --base-url URL   a Dexcom server instead of the mock, e.g. https://sandbox-api.dexcom.com
                   (plain http only to loopback); also DEXCOM_BASE_URL
  --token TOKEN    access token for --base-url (or DEXCOM_ACCESS_TOKEN); see npm run login
  --days N         how many days up to the newest reading (default 7, at most 3650)
  --verbose, -v    the SDK's own log lines (pino JSON) on stderr: pipe through npx pino-pretty
  --help, -h       this text`;

async function main(argv: readonly string[]): Promise<number> {
  const values = parseCommandLine(argv, {
    'base-url': { type: 'string' },
    token: { type: 'string' },
    days: { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const days = integerFlag('--days', values.days, { min: 1, max: 3650, fallback: 7 });
  const baseUrl = values['base-url'] ?? (process.env.DEXCOM_BASE_URL || undefined);
  const token = values.token ?? (process.env.DEXCOM_ACCESS_TOKEN || undefined);
  if (baseUrl === undefined && values.token !== undefined) {
    throw new UsageError('--token needs --base-url (without one the demo reads the local mock, which takes no token)');
  }
  if (baseUrl !== undefined) checkBaseUrl(baseUrl);
  if (baseUrl !== undefined && !token) throw new UsageError('--base-url needs an access token: pass --token or set DEXCOM_ACCESS_TOKEN');

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

    // Ask where the data is first: a mock's examples (and an account that stopped uploading) end
    // long before today, and "the last 7 days" would then honestly be empty.
    const range = await dexcom.getDataRange();
    const newest = newestReading(range);
    if (!newest) {
      console.log('\nThis account has no glucose readings (dataRange has no egvs).');
      return 0;
    }
    const end = new Date(Math.min(Date.now(), newest.getTime() + 1000));
    const start = new Date(end.getTime() - days * DAY_MS);
    const stopProgress = progressLine(dexcom.events, Math.ceil(days / 30));
    const [readings, devices] = await Promise.all([dexcom.getGlucoseReadings(start, end), dexcom.getDevices()]).finally(stopProgress);
    const summary = summarizeGlucose(readings.map((r) => r.value));

    const stale = Date.now() - newest.getTime() > DAY_MS;
    console.log(`\n${days} days up to the newest reading (${minute(start)} to ${minute(end)})${stale ? `: the newest reading is from ${newest.toISOString().slice(0, 10)}${prism ? ', the mock\'s example data' : ''}` : ''}`);
    console.log(`  readings        ${summary.count}`);
    if (summary.count > 0) {
      const last = readings.at(-1)!;
      console.log(`  latest          ${last.value ?? '-'} mg/dL ${trendArrow(last.trend)}`.trimEnd());
      console.log(`  mean            ${Math.round(summary.meanMgdl!)} mg/dL (min ${summary.min}, max ${summary.max}, GMI ${summary.gmiPercent!.toFixed(1)}%)`);
      console.log(`  time in range   ${percent(summary.inRange)} in 70-180 mg/dL, ${percent(summary.low + summary.veryLow)} below, ${percent(summary.high + summary.veryHigh)} above`);
      console.log(`  trace           ${sparkline(readings.map((r) => r.value).filter((v): v is number => typeof v === 'number'))}`);
    }
    console.log(`  devices         ${devices.map((d) => `${d.transmitterGeneration} on ${d.displayDevice}`).join(', ') || 'none'}`);

    const stats = await dexcom.stats();
    console.log(`\nClient: ${stats.calls.calls} calls, ${stats.calls.attempts} wire attempts, ${stats.calls.retries} retries, breaker ${stats.circuitBreaker?.state ?? 'off'}, ${Math.floor(stats.rateLimiter?.tokens ?? 0)} rate-limit tokens left`);
    console.log(`\nMetrics (prom-client registry):\n${metricsTable(await registry.getMetricsAsJSON())}`);
    return 0;
  } finally {
    await prism?.close();
  }
}

function checkBaseUrl(raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--base-url must be a URL such as https://sandbox-api.dexcom.com (got ${JSON.stringify(raw)})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--base-url must start with https:// (got ${url.protocol}//)`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) throw new UsageError(`--base-url must use https:// for ${url.hostname}: tokens travel over plain http only to loopback`);
}

function newestReading(range: DataRangeResponse): Date | undefined {
  const time = parseDexcomTimestamp(range.egvs?.end?.systemTime);
  return time === undefined ? undefined : new Date(time);
}

const minute = (d: Date) => `${d.toISOString().slice(0, 16)}Z`;
const percent = (share: number) => `${Math.round(share * 100)}%`;

await runCommand(USAGE, () => main(process.argv.slice(2)));
