/**
 * Per-request overhead: every contender GETs the same one-day egvs page (288 records) from a
 * node:http server in a child process on 127.0.0.1, sequentially and 16 in flight, in interleaved
 * rounds, with DexcomApiClient as it was before the hot-path work (from git) alongside. Run by
 * `npm run bench`; by hand: `npx tsx bench/overhead.ts [--rounds 20 --sequential 50 --concurrent 128
 * --no-baseline --json out.json]`.
 */
import { collectGarbage, emitResult, numberOption } from './support/bench-process.js';
import { egvsDayPage, PAGE_RECORDS } from './support/egvs-page.js';
import { startServerProcess } from './support/server-process.js';
import { BASELINE_REF, baselineContenders } from './overhead/baseline-contenders.js';
import { builtContenders } from './overhead/built-contenders.js';
import type { Contender } from './overhead/contender.js';
import { measure, type OverheadResult } from './overhead/measure.js';
import { axiosClient, gotClient, kyClient, openapiFetchBare, openapiFetchRetry } from './overhead/peer-contenders.js';
import { renderOverhead } from './overhead/render.js';
import { bareGenerated, dexcomDefaults, dexcomFull, dexcomMinimal, rawFetch } from './overhead/sdk-contenders.js';

const FACTORIES = [rawFetch, bareGenerated, dexcomFull, dexcomDefaults, dexcomMinimal, kyClient, gotClient, axiosClient, openapiFetchBare, openapiFetchRetry];

const server = await startServerProcess(new URL('./servers/page-server.ts', import.meta.url), []);
try {
  const contenders: Contender[] = FACTORIES.map((factory) => factory(server.url));
  const built = await builtContenders(server.url);
  if ('unavailable' in built) throw new Error(built.unavailable);
  contenders.splice(1, 0, ...built.contenders);
  const baseline = process.argv.includes('--no-baseline') ? { unavailable: 'left out (--no-baseline)' } : await baselineContenders(server.url);
  if ('contenders' in baseline) contenders.push(...baseline.contenders);
  for (const contender of contenders) {
    const records = await contender.request();
    if (records !== PAGE_RECORDS) throw new Error(`${contender.name} parsed ${records} records instead of ${PAGE_RECORDS}`);
  }
  const options = {
    rounds: numberOption('rounds', 20),
    sequential: numberOption('sequential', 50),
    concurrent: numberOption('concurrent', 128),
    inFlight: numberOption('in-flight', 16),
    warmup: numberOption('warmup', 100),
  };
  const results = await measure(contenders, { ...options, settle: collectGarbage() });
  const result: OverheadResult = {
    ...options,
    pageBytes: egvsDayPage().length,
    records: PAGE_RECORDS,
    contenders: results,
    baseline: 'contenders' in baseline ? { ref: BASELINE_REF } : { ref: BASELINE_REF, unavailable: baseline.unavailable },
  };
  emitResult(result, renderOverhead);
} finally {
  await server.stop();
}
