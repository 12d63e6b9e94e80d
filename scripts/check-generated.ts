/**
 * Fails when `generated/` (every job of openapi-ts.config.ts: the Dexcom client in `generated/`,
 * the relay client in `generated/relay/`) does not match what `npm run generate` would write from
 * the specs now. Regenerates each job into a scratch folder inside the repo (so openapi-ts picks up
 * the same tsconfig and import style) and compares the trees file by file; a job's folder is
 * compared without the folders of jobs nested inside it.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import type { UserConfig } from '@hey-api/openapi-ts';
import { openapiTsJobs, runOpenapiTsJob } from './codegen/openapi-ts-jobs.ts';

const root = resolve(import.meta.dirname, '..');
const scratchRoot = join(root, '.tmp', `generated-check-${process.pid}`);
// `--spec <file>` checks generated/ against another copy of the Dexcom spec (used by the tests).
const { values } = parseArgs({ options: { spec: { type: 'string' } } });

async function listFiles(dir: string, skip: readonly string[]): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !skip.some((folder) => file.startsWith(folder + sep)))
    .map((file) => relative(dir, file))
    .sort();
}

async function checkJob(job: UserConfig, index: number, nested: readonly string[]): Promise<string[]> {
  const committed = resolve(root, (job.output as { path: string }).path);
  const scratch = join(scratchRoot, String(index));
  const input = index === 0 && values.spec !== undefined ? resolve(values.spec) : job.input;
  await runOpenapiTsJob({
    ...job,
    input,
    output: { ...(job.output as object), path: scratch, tsConfigPath: join(root, 'tsconfig.json') },
    logs: { level: 'silent' },
  } as UserConfig);
  const shown = relative(root, committed);
  const expected = await listFiles(scratch, []);
  const actual = await listFiles(committed, nested);
  const problems: string[] = [];
  for (const file of expected) {
    if (!actual.includes(file)) {
      problems.push(`missing: ${shown}/${file}`);
      continue;
    }
    const [want, have] = await Promise.all([readFile(join(scratch, file), 'utf8'), readFile(join(committed, file), 'utf8')]);
    if (want !== have) problems.push(`differs: ${shown}/${file}`);
  }
  for (const file of actual) if (!expected.includes(file)) problems.push(`unexpected: ${shown}/${file}`);
  if (problems.length === 0) console.log(`${shown}/ matches ${relative(root, resolve(String(input)))} (${expected.length} files).`);
  return problems;
}

async function main(): Promise<number> {
  const jobs = await openapiTsJobs();
  const outputs = jobs.map((job) => resolve(root, (job.output as { path: string }).path));
  await rm(scratchRoot, { recursive: true, force: true });
  const problems: string[] = [];
  for (const [index, job] of jobs.entries()) {
    const nested = outputs.filter((other) => other.startsWith(outputs[index]! + sep));
    problems.push(...(await checkJob(job, index, nested)));
  }
  await rm(scratchRoot, { recursive: true, force: true });

  if (problems.length > 0) {
    console.error(`generated/ does not match the specs (${problems.length} file(s)):`);
    for (const problem of problems) console.error(`  ${problem}`);
    console.error('Fix: run `npm run generate` and commit the changes in generated/ (never edit generated/ by hand).');
    return 1;
  }
  return 0;
}

process.exitCode = await main();
