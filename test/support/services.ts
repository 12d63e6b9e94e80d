import { createConnection } from 'node:net';

/**
 * The real services some suites need. `DEXCOM_TEST_POSTGRES_URL` and `DEXCOM_TEST_REDIS_URL`
 * default to the loopback servers our machines run. On a machine without them those suites are
 * skipped with a message saying why, unless `DEXCOM_REQUIRE_SERVICES=1` (set by `.ci/run`), under
 * which a missing service fails the run.
 */
export const POSTGRES_URL = process.env.DEXCOM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.DEXCOM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const required = process.env.DEXCOM_REQUIRE_SERVICES === '1';

/** Resolves the PostgreSQL URL when the server answers, or undefined (after saying why) to skip. */
export function postgresUrlOrSkip(): Promise<string | undefined> {
  return reachableOrSkip('PostgreSQL', POSTGRES_URL, 5432, 'DEXCOM_TEST_POSTGRES_URL');
}

/** Resolves the Redis URL when the server answers, or undefined (after saying why) to skip. */
export function redisUrlOrSkip(): Promise<string | undefined> {
  return reachableOrSkip('Redis', REDIS_URL, 6379, 'DEXCOM_TEST_REDIS_URL');
}

async function reachableOrSkip(name: string, url: string, defaultPort: number, variable: string): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host, port: Number(port || defaultPort) });
    socket.setTimeout(2_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
  if (reachable) return url;
  const why = `${name} is not reachable at ${host}:${port || defaultPort} (set ${variable} to point elsewhere)`;
  if (required) throw new Error(`${why}; DEXCOM_REQUIRE_SERVICES=1 makes a missing service a failure.`);
  console.warn(`Skipping the ${name} suites: ${why}.`);
  return undefined;
}
