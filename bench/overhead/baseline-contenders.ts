/**
 * Before/after in one run: the SDK as it was before the hot-path work, taken from git, measured
 * side by side with the current tree under the same rounds and the same noise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DexcomApiClient as CurrentClient, DexcomApiClientOptions } from '../../src/index.js';
import { type Contender, QUERY, recordCount } from './contender.js';
import { dexcomFullOptions, dexcomMinimalOptions } from './sdk-contenders.js';

/** The commit the pipeline optimisations (`.changeset/performance.md`) were made on. */
export const BASELINE_REF = 'cac2b97802e354493c2b35c2359584f32f634cb8';

const SHORT_REF = BASELINE_REF.slice(0, 7);

/** Row names of the two baseline contenders. */
export const BEFORE_FULL = `DexcomApiClient @${SHORT_REF} (before), everything on`;
export const BEFORE_MINIMAL = `DexcomApiClient @${SHORT_REF} (before), everything off`;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The result of {@link baselineContenders}: contenders, or why there are none. */
export type BaselineContenders = { readonly contenders: Contender[] } | { readonly unavailable: string };

/**
 * DexcomApiClient at {@link BASELINE_REF}, everything on and everything off, configured exactly
 * like the current rows. Its `src`, `plugins` and `generated` are extracted with `git archive`
 * into `.tmp/` (ignored by git; dependencies resolve from the repository's node_modules).
 * Without git or that commit (a shallow clone), says why instead.
 *
 * @example
 * const baseline = await baselineContenders(server.url);
 * if ('contenders' in baseline) contenders.push(...baseline.contenders);
 */
export async function baselineContenders(baseUrl: string): Promise<BaselineContenders> {
  const dir = `${ROOT}.tmp/bench-baseline-${SHORT_REF}`;
  try {
    if (!existsSync(`${dir}/src/index.ts`)) {
      mkdirSync(dir, { recursive: true });
      const tar = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', BASELINE_REF, 'src', 'plugins', 'generated'], { maxBuffer: 64 * 2 ** 20 });
      execFileSync('tar', ['-x', '-C', dir], { input: tar });
    }
  } catch (error) {
    return { unavailable: `git could not provide commit ${SHORT_REF} (${(error as Error).message.split('\n')[0]})` };
  }
  const module = (await import(`${dir}/src/index.ts`)) as { DexcomApiClient: typeof CurrentClient };
  const row = (name: string, config: string, options: DexcomApiClientOptions): Contender => {
    const dexcom = new module.DexcomApiClient(options);
    return { name, config, request: () => dexcom.api.getEstimatedGlucoseValuesV3({ query: QUERY }).then((r) => recordCount(r.data)) };
  };
  return {
    contenders: [
      row(BEFORE_FULL, 'as "everything on", code before the optimisation', dexcomFullOptions(baseUrl)),
      row(BEFORE_MINIMAL, 'as "everything off", code before the optimisation', dexcomMinimalOptions(baseUrl)),
    ],
  };
}
