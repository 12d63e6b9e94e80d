/**
 * A focused workload for profiling the request pipeline: one contender (default: the full
 * DexcomApiClient) sends sequential requests for the one-day egvs page to the page server, which
 * runs in a child process so the profile holds the client alone. Not part of `npm run bench`.
 *
 *   node --cpu-prof --cpu-prof-dir=.profiles --import tsx bench/profile-pipeline.ts --requests 3000
 *   node --cpu-prof --import tsx bench/profile-pipeline.ts --contender bare   # the generated client alone
 *   node --cpu-prof --import tsx bench/profile-pipeline.ts --contender read   # getGlucoseReadings from dist/ (npm run build)
 *
 * The page server inherits `--cpu-prof` and writes a profile of its own; the client's is the one
 * whose process sent the requests (the larger file). Open it in Chrome DevTools (Performance) or VS Code.
 */
import { numberOption } from './support/bench-process.js';
import { startServerProcess } from './support/server-process.js';
import { builtContenders } from './overhead/built-contenders.js';
import type { Contender } from './overhead/contender.js';
import { bareGenerated, dexcomDefaults, dexcomFull, dexcomMinimal, rawFetch } from './overhead/sdk-contenders.js';

const read = async (baseUrl: string): Promise<Contender> => {
  const built = await builtContenders(baseUrl);
  if ('unavailable' in built) throw new Error(built.unavailable);
  return built.contenders[0]!;
};

const CONTENDERS: Record<string, (baseUrl: string) => Contender | Promise<Contender>> = {
  read,
  full: dexcomFull,
  defaults: dexcomDefaults,
  minimal: dexcomMinimal,
  bare: bareGenerated,
  fetch: rawFetch,
};

const index = process.argv.indexOf('--contender');
const name = index === -1 ? 'full' : (process.argv[index + 1] ?? '');
const factory = CONTENDERS[name];
if (!factory) throw new Error(`--contender must be one of ${Object.keys(CONTENDERS).join(', ')}`);

const server = await startServerProcess(new URL('./servers/page-server.ts', import.meta.url), []);
try {
  const contender = await factory(server.url);
  const requests = numberOption('requests', 3_000);
  const started = performance.now();
  for (let i = 0; i < requests; i++) await contender.request();
  const ms = performance.now() - started;
  console.log(`${contender.name}: ${requests} requests, ${((ms * 1000) / requests).toFixed(0)} µs per request`);
} finally {
  await server.stop();
}
