/**
 * Fleet token refresh: 8 and 16 worker processes, each with its own PostgresTokenStore on one
 * PostgreSQL server schema, race on one expired token against a local rotating token server
 * (single-use refresh tokens). Per expiry: token requests made (goal: exactly 1) and calls failed.
 * Writes its region of BENCHMARKS.md (`fleet-tokens`).
 *
 * Usage: npx tsx bench/fleet-tokens.ts [--rounds 5] [--calls 4]   (needs DEXCOM_TEST_POSTGRES_URL or 127.0.0.1:5432)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PostgresTokenStore } from '../src/stores/postgres/token-store.js';
import { startFakeAuthServer } from '../test/support/fake-auth-server.js';
import { POSTGRES_URL } from '../test/support/services.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 5);
const CALLS = arg('calls', 4);
const SIZES = [8, 16];

interface RoundResult {
  readonly tokenRequests: number;
  readonly callsMade: number;
  readonly callsFailed: number;
  readonly wallMs: number;
}

interface SizeResult {
  readonly processes: number;
  readonly rounds: readonly RoundResult[];
  readonly errors: readonly string[];
}

async function runSize(processes: number): Promise<SizeResult> {
  const server = await startFakeAuthServer();
  const schema = `bench_tokens_${randomBytes(6).toString('hex')}`;
  const admin = new PostgresTokenStore({ url: POSTGRES_URL, schema });
  const workers: ChildProcess[] = [];
  const errors = new Set<string>();
  try {
    const tokens = server.issueTokens('SandboxUser7', 7_200);
    await admin.compareAndSet('fleet-user', undefined, {
      ...tokens,
      environment: server.url,
      version: 1,
      reauthorizationRequired: false,
      updatedAt: Date.now(),
    });
    const script = new URL('./fleet-tokens-worker.ts', import.meta.url);
    const ready: Promise<void>[] = [];
    for (let i = 0; i < processes; i += 1) {
      const worker = fork(script, [POSTGRES_URL, schema, server.url, server.clientId, server.clientSecret, String(CALLS)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      workers.push(worker);
      ready.push(new Promise((resolve) => worker.once('message', () => resolve())));
    }
    await Promise.all(ready);

    const rounds: RoundResult[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      // Expire the stored access token: every worker's next call finds it due at once.
      const current = (await admin.get('fleet-user'))!;
      await admin.compareAndSet('fleet-user', current.version, { ...current, version: current.version + 1, expiresAt: Date.now() - 1_000 });
      const before = server.tokenRequests.length;
      const started = performance.now();
      const replies = workers.map(
        (worker) =>
          new Promise<{ ok: number; failed: number; errors: string[] }>((resolve) => {
            worker.once('message', (message) => resolve(message as { ok: number; failed: number; errors: string[] }));
          }),
      );
      for (const worker of workers) worker.send({ go: round });
      const results = await Promise.all(replies);
      for (const result of results) for (const code of result.errors) errors.add(code);
      rounds.push({
        tokenRequests: server.tokenRequests.length - before,
        callsMade: results.reduce((sum, r) => sum + r.ok + r.failed, 0),
        callsFailed: results.reduce((sum, r) => sum + r.failed, 0),
        wallMs: performance.now() - started,
      });
    }
    return { processes, rounds, errors: [...errors] };
  } finally {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.exitCode !== null) return resolve();
            worker.once('exit', () => resolve());
            worker.send({ stop: true });
          }),
      ),
    );
    await admin.close();
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => pool.end());
    await server.close();
  }
}

function render(results: readonly SizeResult[]): string {
  const lines = [
    '## Fleet token refresh',
    '',
    `N worker processes, each with its own \`PostgresTokenStore\` (own pool) on one PostgreSQL server schema, race on one expired`,
    `access token against a local rotating token server (single-use refresh tokens); each of ${ROUNDS} expiries, every process makes`,
    `${CALLS} concurrent reads for the user. Goal: exactly 1 token request per expiry, no failed call. Source: \`bench/fleet-tokens.ts\`.`,
    '',
    '| processes | expiries | token requests per expiry | calls made | calls failed | median wall per expiry (ms) |',
    '|---:|---:|---|---:|---:|---:|',
  ];
  for (const r of results) {
    const walls = r.rounds.map((x) => x.wallMs).sort((a, b) => a - b);
    const median = walls[Math.floor(walls.length / 2)] ?? 0;
    lines.push(
      `| ${r.processes} | ${r.rounds.length} | ${r.rounds.map((x) => x.tokenRequests).join(', ')} | ${r.rounds.reduce((s, x) => s + x.callsMade, 0)} | ${r.rounds.reduce((s, x) => s + x.callsFailed, 0)} | ${median.toFixed(0)} |`,
    );
  }
  const errors = results.flatMap((r) => r.errors);
  if (errors.length > 0) lines.push('', `Failed calls' error codes: ${[...new Set(errors)].join(', ')}.`);
  return lines.join('\n');
}

/** Replaces this benchmark's region of BENCHMARKS.md (appending it the first time), leaving the rest alone. */
function writeRegion(body: string): void {
  const target = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
  const begin = '<!-- fleet-tokens:begin -->';
  const end = '<!-- fleet-tokens:end -->';
  const text = readFileSync(target, 'utf8');
  const region = `${begin}\n${body}\n${end}`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  const next = from >= 0 && to > from ? text.slice(0, from) + region + text.slice(to + end.length) : `${text.trimEnd()}\n\n${region}\n`;
  writeFileSync(target, next);
}

const results: SizeResult[] = [];
for (const size of SIZES) {
  console.log(`fleet-tokens: ${size} processes...`);
  results.push(await runSize(size));
}
const body = render(results);
console.log(body);
writeRegion(body);
