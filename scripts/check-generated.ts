/**
 * Fails when `generated/` does not match what `npm run generate` would write from the spec now.
 * Regenerates into a scratch folder inside the repo (so openapi-ts picks up the same tsconfig and
 * import style) and compares the two trees file by file.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, type UserConfig } from '@hey-api/openapi-ts';
import config from '../openapi-ts.config.ts';

const root = resolve(import.meta.dirname, '..');
const committed = join(root, 'generated');
const scratch = join(root, '.tmp', `generated-check-${process.pid}`);
// `--spec <file>` checks generated/ against another copy of the spec (used by the tests).
const { values } = parseArgs({ options: { spec: { type: 'string' } } });
const specPath = resolve(values.spec ?? join(root, 'spec', 'dexcom.openapi.yaml'));

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

async function main(): Promise<number> {
  const base = (await config) as UserConfig;
  await rm(scratch, { recursive: true, force: true });
  await createClient({
    ...base,
    input: specPath,
    output: { ...(base.output as object), path: scratch, tsConfigPath: join(root, 'tsconfig.json') },
    logs: { level: 'silent' },
  } as UserConfig);

  const expected = await listFiles(scratch);
  const actual = await listFiles(committed);
  const problems: string[] = [];
  for (const file of expected) {
    if (!actual.includes(file)) {
      problems.push(`missing: generated/${file}`);
      continue;
    }
    const [want, have] = await Promise.all([readFile(join(scratch, file), 'utf8'), readFile(join(committed, file), 'utf8')]);
    if (want !== have) problems.push(`differs: generated/${file}`);
  }
  for (const file of actual) if (!expected.includes(file)) problems.push(`unexpected: generated/${file}`);
  await rm(scratch, { recursive: true, force: true });

  if (problems.length > 0) {
    console.error(`generated/ does not match ${relative(root, specPath)} (${problems.length} file(s)):`);
    for (const problem of problems) console.error(`  ${problem}`);
    console.error('Fix: run `npm run generate` and commit the changes in generated/ (never edit generated/ by hand).');
    return 1;
  }
  console.log(`generated/ matches ${relative(root, specPath)} (${expected.length} files).`);
  return 0;
}

process.exitCode = await main();
