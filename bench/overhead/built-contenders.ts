/**
 * The SDK as users get it: the compiled package (`dist/`, from `npm run build`), read through the
 * user-facing `getGlucoseReadings` with everything on. `bench/run.ts` builds `dist/` first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DexcomApiClient as SourceClient } from '../../src/index.js';
import { type Contender, QUERY } from './contender.js';
import { dexcomFullOptions } from './sdk-contenders.js';

/** Row name of the user-facing read; the overhead goal is set against raw fetch for this row. */
export const READ_FULL = 'getGlucoseReadings (built package), everything on';

const ENTRY = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));

/** The result of {@link builtContenders}: contenders, or why there are none. */
export type BuiltContenders = { readonly contenders: Contender[] } | { readonly unavailable: string };

/**
 * `getGlucoseReadings` for the one-day page from the built package, configured like "everything
 * on" (retry, breaker, timeouts, unthrottled limiter, info logs to pino, metrics to a registry).
 * It returns the records sorted and once per `recordId`, as a user gets them.
 *
 * @example
 * const built = await builtContenders(server.url);
 * if ('contenders' in built) contenders.push(...built.contenders);
 */
export async function builtContenders(baseUrl: string): Promise<BuiltContenders> {
  if (!existsSync(ENTRY)) return { unavailable: `${ENTRY} is missing: run \`npm run build\` first` };
  const module = (await import(ENTRY)) as { DexcomApiClient: typeof SourceClient };
  const dexcom = new module.DexcomApiClient(dexcomFullOptions(baseUrl));
  const start = new Date(`${QUERY.startDate}Z`);
  const end = new Date(`${QUERY.endDate}Z`);
  return {
    contenders: [
      {
        name: READ_FULL,
        config: 'user-facing read (windowed, deduplicated, sorted) from dist/, everything on as above',
        request: () => dexcom.getGlucoseReadings(start, end).then((records) => records.length),
      },
    ],
  };
}
