/**
 * Cost of the spec-driven envelope check on a 30-day window of EGVs (8,640 records, what one v3
 * request can return), next to the `JSON.parse` of the same body that every call pays anyway, and
 * next to validating every record against the full schema (Ajv 2020, compiled from the spec), the
 * check the SDK deliberately does not make. Interleaved rounds (parse, envelope, full schema, ...),
 * medians over rounds, after a warm-up.
 * By hand: `npx tsx bench/envelope-check.ts` (`--rounds 41`, `--json <file>` for the raw result).
 */
import { responseEnvelopes } from '../generated/dexcom-spec-metadata.gen.js';
import { readSpec } from '../scripts/codegen/read-spec.ts';
import { specSchemaValidator } from '../scripts/codegen/spec-schema-validator.ts';
import { envelopeProblem } from '../src/core/response-envelope.js';
import { FakeDexcomData } from '../test/support/fake-dexcom-server.js';
import { emitResult } from './support/bench-process.js';
import { median } from './support/stats.js';

/** The numbers of one run. */
export interface EnvelopeCheckResult {
  readonly records: number;
  readonly bodyBytes: number;
  readonly rounds: number;
  /** Median time of one `JSON.parse` of the body, in microseconds. */
  readonly parseMedianUs: number;
  /** Median time of one envelope check of the parsed body, in microseconds. */
  readonly checkMedianUs: number;
  /** check ÷ parse. */
  readonly ratio: number;
  /** Median time of one full-schema validation of the parsed body, in microseconds. */
  readonly fullSchemaMedianUs: number;
}

const DAY = 86_400_000;
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg === -1 ? 31 : Number(process.argv[roundsArg + 1]);
const CHECKS_PER_ROUND = 200;
const PARSES_PER_ROUND = 3;

const from = Date.parse('2024-05-01T00:00:00Z');
const data = new FakeDexcomData({ dataStart: new Date(from), dataEnd: new Date(from + 30 * DAY) });
const records = data.recordsIn('egvs', from, from + 30 * DAY);
const text = JSON.stringify({ recordType: 'egv', recordVersion: '3.0', userId: 'fake-user', records });
const envelope = responseEnvelopes.getEstimatedGlucoseValuesV3;

let sink = 0;
const timeParse = (): number => {
  const started = performance.now();
  for (let i = 0; i < PARSES_PER_ROUND; i++) sink += (JSON.parse(text) as { records: unknown[] }).records.length;
  return ((performance.now() - started) * 1000) / PARSES_PER_ROUND;
};
const parsed: unknown = JSON.parse(text);
const timeCheck = (): number => {
  const started = performance.now();
  for (let i = 0; i < CHECKS_PER_ROUND; i++) if (envelopeProblem(parsed, envelope) === undefined) sink++;
  return ((performance.now() - started) * 1000) / CHECKS_PER_ROUND;
};

const validateAll = specSchemaValidator(await readSpec('./spec/dexcom.openapi.yaml'))('/components/schemas/EgvsResponse');
const timeFullSchema = (): number => {
  const started = performance.now();
  if (validateAll(parsed)) sink++;
  return (performance.now() - started) * 1000;
};

if (envelopeProblem(parsed, envelope) !== undefined || !validateAll(parsed)) throw new Error('the benchmark body does not match its schema');
for (let i = 0; i < 5; i++) timeParse(), timeCheck(), timeFullSchema();
const parseSamples: number[] = [];
const checkSamples: number[] = [];
const fullSchemaSamples: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  parseSamples.push(timeParse());
  checkSamples.push(timeCheck());
  fullSchemaSamples.push(timeFullSchema());
}
if (sink === 0) throw new Error('unreachable: keeps the work observable');

const parseMedianUs = median(parseSamples);
const checkMedianUs = median(checkSamples);
const result: EnvelopeCheckResult = {
  records: records.length,
  bodyBytes: Buffer.byteLength(text),
  rounds: ROUNDS,
  parseMedianUs,
  checkMedianUs,
  ratio: checkMedianUs / parseMedianUs,
  fullSchemaMedianUs: median(fullSchemaSamples),
};

emitResult(result, (r) =>
  [
    `Envelope check of a 30-day EGV window (${r.records.toLocaleString('en-US')} records, ${(r.bodyBytes / 1e6).toFixed(2)} MB), medians of ${r.rounds} interleaved rounds:`,
    `  JSON.parse of the body         ${r.parseMedianUs.toFixed(0)} µs`,
    `  envelope check (the SDK's)     ${r.checkMedianUs.toFixed(1)} µs  (${(r.ratio * 100).toFixed(2)} % of the parse)`,
    `  full schema, every record      ${r.fullSchemaMedianUs.toFixed(0)} µs  (${((r.fullSchemaMedianUs / r.parseMedianUs) * 100).toFixed(1)} % of the parse; not done)`,
  ].join('\n'),
);
