import { fixed, ratio, table } from '../support/markdown.js';
import { BEFORE_FULL, BEFORE_MINIMAL } from './baseline-contenders.js';
import { READ_FULL } from './built-contenders.js';
import type { ContenderResult, ModeResult, OverheadResult } from './measure.js';

/** Row names the verdict compares; they must match the contenders' names. */
export const FETCH = 'raw fetch';
export const BARE = 'generated client (bare)';
export const FULL = 'DexcomApiClient, everything on';
export const MINIMAL = 'DexcomApiClient, everything off';
/** Most the user-facing read may cost, as a multiple of raw fetch's median. */
export const READ_BUDGET = 1.15;
/** Peers with retry, the like-for-like comparison for the full pipeline. */
export const PEERS_WITH_RETRY = ['ky', 'got', 'axios + axios-retry', 'openapi-fetch + retry wrapper'];

/**
 * The overhead section of BENCHMARKS.md: one table per mode and the verdict against the goals
 * (`getGlucoseReadings` from the built package, everything on, at most {@link READ_BUDGET} × raw
 * fetch and ahead of every peer with retry).
 *
 * @example
 * console.log(renderOverhead(result));
 */
export function renderOverhead(result: OverheadResult): string {
  const sequential = modeTable(result.contenders, (c) => c.sequential);
  const concurrent = modeTable(result.contenders, (c) => c.concurrent);
  return [
    `Each contender GETs the same one-day egvs page (${result.records} records, ${fixed(result.pageBytes / 1024)} KB of JSON) ` +
      `from a node:http server running in a child process. ${result.rounds} interleaved rounds; per round and contender ` +
      `${result.sequential} sequential requests, then ${result.concurrent} with ${result.inFlight} in flight; the order rotates ` +
      'by one each round; a full GC before every block; warm-up first.',
    '',
    `**Sequential** (median and p90 of ${result.contenders[0]?.sequential.samples ?? 0} single-request latencies; ` +
      'CPU = median over rounds of the client process\'s CPU time ÷ requests, all threads and GC included, the noisiest column):',
    '',
    sequential,
    '',
    `**Concurrent, ${result.inFlight} in flight** (wall time ÷ requests of each 64-request block: median and p90 of ` +
      `${result.contenders[0]?.concurrent.samples ?? 0} blocks; CPU as above):`,
    '',
    concurrent,
    '',
    verdict(result.contenders),
  ].join('\n');
}

/**
 * The before/after table of the hot-path work: DexcomApiClient at the baseline commit and now,
 * measured in the same run (so under the same noise), per mode.
 *
 * @example
 * console.log(renderBeforeAfter(result));
 */
export function renderBeforeAfter(result: OverheadResult): string {
  const byName = new Map(result.contenders.map((c) => [c.name, c]));
  const bare = byName.get(BARE);
  if (result.baseline.unavailable || !bare) {
    return `The code before the optimisation (commit ${result.baseline.ref.slice(0, 7)}) was not measured in this run: ${result.baseline.unavailable ?? 'no bare row'}.`;
  }
  const rows: string[][] = [];
  for (const [label, before, after] of [['everything on', BEFORE_FULL, FULL], ['everything off', BEFORE_MINIMAL, MINIMAL]] as const) {
    const b = byName.get(before);
    const a = byName.get(after);
    if (!b || !a) continue;
    for (const [mode, pick] of [['sequential', (c: ContenderResult) => c.sequential], ['concurrent', (c: ContenderResult) => c.concurrent]] as const) {
      rows.push([
        `${label}, ${mode}`,
        fixed(pick(b).medianUs),
        fixed(pick(a).medianUs),
        `${fixed((pick(a).medianUs / pick(b).medianUs - 1) * 100, 1)}%`,
        ratio(pick(b).medianUs / pick(bare).medianUs),
        ratio(pick(a).medianUs / pick(bare).medianUs),
        fixed(pick(b).cpuUs),
        fixed(pick(a).cpuUs),
      ]);
    }
  }
  return table(
    ['DexcomApiClient', 'before µs', 'after µs', 'change', 'before × bare', 'after × bare', 'before CPU µs', 'after CPU µs'],
    rows,
    [false, true, true, true, true, true, true, true],
  );
}

function modeTable(contenders: readonly ContenderResult[], mode: (c: ContenderResult) => ModeResult): string {
  const fetchRow = contenders.find((c) => c.name === FETCH);
  const bareRow = contenders.find((c) => c.name === BARE);
  const rows = contenders.map((c) => {
    const m = mode(c);
    return [
      c.name,
      c.config,
      fixed(m.medianUs),
      fixed(m.p90Us),
      fixed(m.cpuUs),
      ratio(m.medianUs / (fetchRow ? mode(fetchRow).medianUs : Number.NaN)),
      ratio(m.medianUs / (bareRow ? mode(bareRow).medianUs : Number.NaN)),
      ratio(m.cpuUs / (bareRow ? mode(bareRow).cpuUs : Number.NaN)),
    ];
  });
  return table(
    ['client', 'configuration', 'median µs', 'p90 µs', 'CPU µs', '× fetch', '× bare', 'CPU × bare'],
    rows,
    [false, false, true, true, true, true, true, true],
  );
}

function verdict(contenders: readonly ContenderResult[]): string {
  const byName = new Map(contenders.map((c) => [c.name, c]));
  const read = byName.get(READ_FULL);
  const fetch = byName.get(FETCH);
  if (!read || !fetch) return '';
  const lines = ['**Against the goals** (median per request):', ''];
  for (const [label, mode] of [['sequential', (c: ContenderResult) => c.sequential], ['concurrent', (c: ContenderResult) => c.concurrent]] as const) {
    const times = mode(read).medianUs / mode(fetch).medianUs;
    const peers = PEERS_WITH_RETRY.map((name) => byName.get(name)).filter((c): c is ContenderResult => c !== undefined);
    const slower = peers.filter((p) => mode(read).medianUs >= mode(p).medianUs).map((p) => p.name);
    lines.push(
      `- ${label}: \`getGlucoseReadings\` (built package, everything on) costs ${ratio(times)} raw fetch ` +
        `(${times <= READ_BUDGET ? 'within' : '**not within**'} the ${ratio(READ_BUDGET)} budget); ` +
        (slower.length === 0 ? 'faster than every peer with retry.' : `**not faster** than ${slower.join(', ')}.`),
    );
  }
  return lines.join('\n');
}
