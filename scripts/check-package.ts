/**
 * Proves the published package works for a user: packs the tarball, installs it into an empty
 * TypeScript project, type-checks a small program with strict NodeNext settings, runs it against a
 * loopback server and checks what it printed. `npm run check:package`; part of CI.
 *
 * `DEXCOM_CHECK_NODES` (a colon-separated list of Node binaries) runs the compiled program under
 * each of them too: `.ci/run` passes Node 22 and 24 there, while the toolchain stays on Node 20.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const work = join(root, '.tmp', 'package-check');
const consumer = join(work, 'consumer');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

const program = `import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DexcomApiClient, isDexcomError, type Egv } from 'dexcom-api-client';

const requests: string[] = [];
const server = createServer((req, res) => {
  requests.push(req.url ?? '');
  res.setHeader('content-type', 'application/json');
  const start = new URL(req.url ?? '', 'http://x').searchParams.get('startDate');
  res.end(JSON.stringify({ recordType: 'egv', recordVersion: '3.0', userId: 'u', records: [
    { recordId: 'id-' + start, systemTime: start, displayTime: start, transmitterId: null, transmitterTicks: 1,
      value: 120, status: null, trend: 'flat', trendRate: 0, unit: 'mg/dL', rateUnit: 'mg/dL/min',
      displayDevice: 'iOS', transmitterGeneration: 'g7' } ] }));
});
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const { port } = server.address() as AddressInfo;
try {
  const dexcom = new DexcomApiClient({ baseUrl: 'http://127.0.0.1:' + port, accessToken: 'token' });
  const readings: Egv[] = await dexcom.getGlucoseReadings(new Date('2024-01-01T00:00:00Z'), new Date('2024-03-31T00:00:00Z'));
  console.log(JSON.stringify({ readings: readings.length, requests: requests.length, first: readings[0]?.value }));
} catch (error) {
  console.log(isDexcomError(error) ? error.code : String(error));
  process.exitCode = 1;
} finally {
  server.close();
}
`;

async function main(): Promise<void> {
  await rm(work, { recursive: true, force: true });
  await mkdir(consumer, { recursive: true });
  run('npm', ['pack', '--silent', '--pack-destination', work], root);
  const tarball = (await readdir(work)).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack produced no tarball');

  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await writeFile(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, lib: ['ES2022', 'DOM'],
        types: ['node'], typeRoots: [join(root, 'node_modules', '@types')], outDir: 'out', skipLibCheck: false,
      },
      include: ['main.ts'],
    }),
  );
  await writeFile(join(consumer, 'main.ts'), program);
  run('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)], consumer);
  run(process.execPath, [tsc, '-p', 'tsconfig.json'], consumer);
  const nodes = [process.execPath, ...(process.env.DEXCOM_CHECK_NODES ?? '').split(':').filter(Boolean)];
  for (const node of nodes) {
    const version = run(node, ['--version'], consumer).trim();
    const output = run(node, [join('out', 'main.js')], consumer).trim();
    const result = JSON.parse(output) as { readings: number; requests: number; first: number };
    if (result.requests !== 3 || result.readings !== 3 || result.first !== 120) {
      throw new Error(`unexpected result from the installed package on Node ${version}: ${output}`);
    }
    console.log(`${tarball} on Node ${version}: installs, type-checks (strict, NodeNext) and reads 90 days in 3 requests: ${output}`);
  }
  await checkExamples(work);
  await rm(work, { recursive: true, force: true });
}

/**
 * Type-checks examples/*.ts against the installed package, as a user's project would: the
 * optional peers the examples use are installed next to it first (the program above ran without them).
 */
async function checkExamples(dir: string): Promise<void> {
  const examples = join(dir, 'consumer', 'examples');
  await cp(join(root, 'examples'), examples, { recursive: true });
  const config = JSON.parse(await readFile(join(examples, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
  config.compilerOptions.typeRoots = [join(root, 'node_modules', '@types')];
  await writeFile(join(examples, 'tsconfig.json'), JSON.stringify(config));
  const ourPackage = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Record<'dependencies' | 'devDependencies', Record<string, string>>;
  const pinned = { ...ourPackage.dependencies, ...ourPackage.devDependencies };
  const peers = ['prom-client', 'pg', '@electric-sql/pglite', 'redis'].map((name) => `${name}@${pinned[name]}`);
  run('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefer-offline', ...peers], join(dir, 'consumer'));
  run(process.execPath, [tsc, '-p', join(examples, 'tsconfig.json')], join(dir, 'consumer'));
  const names = (await readdir(examples)).filter((name) => name.endsWith('.ts'));
  console.log(`examples type-check against the installed package: ${names.join(', ')}`);
}

await main();
